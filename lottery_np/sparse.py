"""Sparse kernels: the masked layer's three products at the surviving weights only.

A pruned network multiplies by a mask that is mostly zeros. The dense kernels
(``kernels.py``) still do the work for every weight; these do it only for the
weights that are left, so a layer with 2% of its weights costs about 2% of
the arithmetic. The mask is stored as a ``Layout`` — the surviving positions of
each row d of the (D, M) weight matrix, in compressed sparse row (CSR) form:

    row d's survivors are  cols[indptr[d] : indptr[d + 1]]
    and their weights are  values[indptr[d] : indptr[d + 1]]   (values = W at the survivors)

CSR over the input dimension d suits all three products: the forward pass
skips an input that is zero (most MNIST pixels, every ReLU that is off)
together with its whole row, the input gradient gathers along a row, and the
weight gradient is one short dot product per survivor. A layout is built once
per mask (``fast_layers.dense_twins``, called by ``MLP.set_masks`` once per
pruning round), never per step.

Each product exists twice with the same signature, as in ``kernels.py``: a
NumPy reference that reads like the math (it rebuilds the dense matrix) and a
Numba kernel that loops over survivors only. ``tests/test_sparse.py`` holds
them to each other and to the dense kernels; ``fast_layers.dense_forward_sparse``
/ ``dense_backward_sparse`` build the Dense layer from the Numba ones.
"""
from dataclasses import dataclass

import numpy as np
from numba import prange

from .jit import njit


@dataclass(frozen=True)
class Layout:
    """Surviving positions of a (D, M) mask, row by row (CSR without the values)."""

    shape: tuple  # (D, M)
    indptr: np.ndarray  # (D + 1,) int64: row d's survivors are entries indptr[d]:indptr[d+1]
    cols: np.ndarray  # (nnz,) int64: their columns j, ascending within a row
    flat: np.ndarray  # (nnz,) int64: their flat positions d * M + j in W

    @property
    def nnz(self):
        return self.cols.size

    @property
    def density(self):
        return self.nnz / (self.shape[0] * self.shape[1])

    def rows(self):
        """(nnz,) the row d of every survivor."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))


def layout_from_mask(m):
    """The CSR layout of a 0/1 mask (D, M)."""
    flat = np.flatnonzero(np.asarray(m).reshape(-1))  # row-major: row by row, columns ascending
    d_in, d_out = m.shape
    rows, cols = np.divmod(flat, d_out)
    indptr = np.zeros(d_in + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=d_in), out=indptr[1:])
    return Layout((d_in, d_out), indptr, cols.astype(np.int64), flat.astype(np.int64))


def to_dense(values, layout):
    """The (D, M) matrix with ``values`` at the layout's survivors and 0 elsewhere."""
    w = np.zeros(layout.shape, dtype=values.dtype)
    w.reshape(-1)[layout.flat] = values
    return w


# ----------------------------------------------------------------------------
# NumPy reference (rebuilds the dense matrix; reads like the math)
# ----------------------------------------------------------------------------


def sparse_matmul_numpy(x, values, indptr, cols, shape):
    """Y = X W, W given at its survivors.  x: (N, D) -> (N, M)."""
    return x @ _dense(values, indptr, cols, shape)  # (N, D) @ (D, M) -> (N, M)


def sparse_matmul_t_numpy(dy, values, indptr, cols, shape):
    """dX = dY Wᵀ.  dy: (N, M) -> (N, D)."""
    return dy @ _dense(values, indptr, cols, shape).T  # (N, M) @ (M, D) -> (N, D)


def sparse_weight_grad_numpy(x, dy, indptr, cols, shape):
    """dW = Xᵀ dY at the survivors only.  x: (N, D), dy: (N, M) -> (nnz,)."""
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    return (x.T @ dy)[rows, cols]  # (D, N) @ (N, M) -> (D, M), then read the survivors


def _dense(values, indptr, cols, shape):
    w = np.zeros(shape, dtype=values.dtype)
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    w[rows, cols] = values
    return w


# ----------------------------------------------------------------------------
# Numba kernels: loops over survivors only (same signatures)
# ----------------------------------------------------------------------------


@njit(parallel=True, fastmath=True, cache=True)
def sparse_matmul_numba(x, values, indptr, cols, shape):
    """Mirrors ``sparse_matmul_numpy``: Y[n, j] += X[n, d] W[d, j] over the survivors (d, j).

    One thread per example n; a zero input X[n, d] skips row d entirely.
    """
    n_rows, d_in = x.shape
    y = np.zeros((n_rows, shape[1]), dtype=values.dtype)
    for n in prange(n_rows):
        for d in range(d_in):
            xv = x[n, d]
            if xv == 0:
                continue
            for k in range(indptr[d], indptr[d + 1]):
                y[n, cols[k]] += xv * values[k]
    return y


@njit(parallel=True, fastmath=True, cache=True)
def sparse_matmul_t_numba(dy, values, indptr, cols, shape):
    """Mirrors ``sparse_matmul_t_numpy``: dX[n, d] = Σ over row d's survivors of dY[n, j] W[d, j]."""
    n_rows = dy.shape[0]
    d_in = shape[0]
    dx = np.zeros((n_rows, d_in), dtype=values.dtype)
    for n in prange(n_rows):
        for d in range(d_in):
            acc = values.dtype.type(0)
            for k in range(indptr[d], indptr[d + 1]):
                acc += dy[n, cols[k]] * values[k]
            dx[n, d] = acc
    return dx


@njit(parallel=True, fastmath=True, cache=True)
def sparse_weight_grad_numba(x, dy, indptr, cols, shape):
    """Mirrors ``sparse_weight_grad_numpy``: dW[d, j] = Σ_n X[n, d] dY[n, j] for each survivor (d, j).

    X and dY are transposed first so that each survivor's sum runs over two
    contiguous rows; one thread per row d of W.
    """
    xt = np.ascontiguousarray(x.T)  # (D, N)
    dyt = np.ascontiguousarray(dy.T)  # (M, N)
    n_rows = x.shape[0]
    dv = np.zeros(cols.size, dtype=dy.dtype)
    for d in prange(shape[0]):
        for k in range(indptr[d], indptr[d + 1]):
            j = cols[k]
            acc = dy.dtype.type(0)
            for n in range(n_rows):
                acc += xt[d, n] * dyt[j, n]
            dv[k] = acc
    return dv


SPARSE_KERNELS = {
    "numpy": {"matmul": sparse_matmul_numpy, "matmul_t": sparse_matmul_t_numpy,
              "weight_grad": sparse_weight_grad_numpy},
    "numba": {"matmul": sparse_matmul_numba, "matmul_t": sparse_matmul_t_numba,
              "weight_grad": sparse_weight_grad_numba},
}

