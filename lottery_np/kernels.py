"""The three matrix products of a masked Dense layer, twice over.

A Dense layer with weights ``W`` (D, M) and a 0/1 mask ``M`` of the same shape
needs three products (``⊙`` is the elementwise product):

    forward          Y  = X (W ⊙ M)            (N, D) @ (D, M) -> (N, M)
    input gradient   dX = dY (W ⊙ M)ᵀ          (N, M) @ (M, D) -> (N, D)
    weight gradient  dW = (Xᵀ dY) ⊙ M          (D, N) @ (N, M) -> (D, M)

Each product is written here twice with the same signature:

* ``*_numpy`` — the reference. One line that reads like the math.
* ``*_numba`` — a Numba kernel with explicit loops. It skips the work that
  cannot change the answer: an input that is exactly zero (most MNIST pixels,
  every ReLU that is off) contributes nothing to a row of ``Y`` or ``dW``.
  Rows of the batch (or of ``W``) are split across threads with ``prange``.

``tests/test_kernels.py`` holds every pair to each other over shapes, dtypes
and mask densities (all-zero, sparse, all-one). ``KERNELS`` maps a name to its
three functions. The NumPy products are ``layers.dense_forward``/``dense_backward``
written one at a time; ``fast_layers.dense_forward_numba``/``dense_backward_numba``
build the Dense layer's fast twin from the Numba ones.
"""
import numpy as np
from numba import prange

from .jit import njit

# ----------------------------------------------------------------------------
# NumPy reference
# ----------------------------------------------------------------------------


def masked_matmul_numpy(x, w, m):
    """Y = X (W ⊙ M).  x: (N, D), w, m: (D, M) -> (N, M)."""
    return x @ (w * m)  # (N, D) @ (D, M) -> (N, M)


def masked_matmul_t_numpy(dy, w, m):
    """dX = dY (W ⊙ M)ᵀ.  dy: (N, M), w, m: (D, M) -> (N, D)."""
    return dy @ (w * m).T  # (N, M) @ (M, D) -> (N, D)


def masked_weight_grad_numpy(x, dy, m):
    """dW = (Xᵀ dY) ⊙ M.  x: (N, D), dy: (N, M), m: (D, M) -> (D, M)."""
    return (x.T @ dy) * m  # (D, N) @ (N, M) -> (D, M)


# ----------------------------------------------------------------------------
# Numba kernels (same signatures; each names the reference it mirrors)
# ----------------------------------------------------------------------------


@njit(parallel=True, fastmath=True, cache=True)
def masked_matmul_numba(x, w, m):
    """Mirrors ``masked_matmul_numpy``: Y[n, j] = Σ_d X[n, d] W[d, j] M[d, j].

    Loop order n, d, j: the inner loop walks a contiguous row of W and Y, and
    a zero input X[n, d] skips its whole row of W.
    """
    n_rows, d_in = x.shape
    d_out = w.shape[1]
    y = np.zeros((n_rows, d_out), dtype=w.dtype)
    for n in prange(n_rows):
        for d in range(d_in):
            xv = x[n, d]
            if xv == 0:
                continue
            for j in range(d_out):
                y[n, j] += xv * (w[d, j] * m[d, j])
    return y


@njit(parallel=True, fastmath=True, cache=True)
def masked_matmul_t_numba(dy, w, m):
    """Mirrors ``masked_matmul_t_numpy``: dX[n, d] = Σ_j dY[n, j] W[d, j] M[d, j]."""
    n_rows, d_out = dy.shape
    d_in = w.shape[0]
    dx = np.zeros((n_rows, d_in), dtype=w.dtype)
    for n in prange(n_rows):
        for d in range(d_in):
            acc = dx.dtype.type(0)
            for j in range(d_out):
                acc += dy[n, j] * (w[d, j] * m[d, j])
            dx[n, d] = acc
    return dx


@njit(parallel=True, fastmath=True, cache=True)
def masked_weight_grad_numba(x, dy, m):
    """Mirrors ``masked_weight_grad_numpy``: dW[d, j] = M[d, j] Σ_n X[n, d] dY[n, j].

    One thread per row d of dW; a zero input X[n, d] skips its row of dY.
    """
    n_rows, d_in = x.shape
    d_out = dy.shape[1]
    dw = np.zeros((d_in, d_out), dtype=dy.dtype)
    for d in prange(d_in):
        for n in range(n_rows):
            xv = x[n, d]
            if xv == 0:
                continue
            for j in range(d_out):
                dw[d, j] += xv * dy[n, j]
        for j in range(d_out):
            dw[d, j] *= m[d, j]
    return dw


KERNELS = {
    "numpy": {
        "masked_matmul": masked_matmul_numpy,
        "masked_matmul_t": masked_matmul_t_numpy,
        "masked_weight_grad": masked_weight_grad_numpy,
    },
    "numba": {
        "masked_matmul": masked_matmul_numba,
        "masked_matmul_t": masked_matmul_t_numba,
        "masked_weight_grad": masked_weight_grad_numba,
    },
}
