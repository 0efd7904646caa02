"""COLS: kernels for a layer that keeps few of its weights. Activations are transposed, (D, B).

The batch is the vector dimension (the layout SparseProp uses for sparse backprop on CPUs),
and only surviving weights are visited, so a layer's cost is linear in its survivors. The
survivors are listed twice, once per direction of the product (``paths.pack`` builds both
once per training, from the mask):

* by output j (CSC): rows ``orows[optr[j]:optr[j+1]]`` — the forward pass accumulates each
  output row Zᵀ[j] over its survivors, four at a time, with Zᵀ[j] loaded once per four;
* by input d (CSR): columns ``icols[iptr[d]:iptr[d+1]]`` — the backward pass accumulates each
  input-gradient row dAᵀ[d] the same way, and takes each survivor's weight gradient as one
  dot product of two rows of length B.

Mirrors ``layers.dense_forward`` / ``dense_backward`` + ``relu_backward`` + ``optim.sgd`` at
the survivors only; a pruned weight is never read or written, so it stays exactly 0.
"""
from numba import njit

from .rows import FAST


@njit(cache=True, fastmath=FAST)
def cols_forward(at, active, w, optr, orows, b, zt, relu, live):
    """zt[j] = b[j] + Σ over survivors (d, j) of W[d, j] · at[d]; ReLU if ``relu``.

    at: (D, B) -> zt: (M, B); survivors of column j: rows orows[optr[j]:optr[j+1]]; rows d
    with ``active[d]`` False are zero for the whole batch and skipped (``live``: scratch for
    the active survivors of one column)."""
    n_batch = at.shape[1]
    for j in range(zt.shape[0]):
        for n in range(n_batch):
            zt[j, n] = b[j]
        hi = 0
        for p in range(optr[j], optr[j + 1]):
            live[hi] = orows[p]
            hi += active[orows[p]]
        p = 0
        while p + 4 <= hi:
            d0, d1, d2, d3 = live[p], live[p + 1], live[p + 2], live[p + 3]
            v0, v1, v2, v3 = w[d0, j], w[d1, j], w[d2, j], w[d3, j]
            for n in range(n_batch):
                zt[j, n] += (v0 * at[d0, n] + v1 * at[d1, n]) + (v2 * at[d2, n] + v3 * at[d3, n])
            p += 4
        while p < hi:
            d0 = live[p]
            v0 = w[d0, j]
            for n in range(n_batch):
                zt[j, n] += v0 * at[d0, n]
            p += 1
        if relu:
            for n in range(n_batch):
                if not zt[j, n] > 0:
                    zt[j, n] = 0


@njit(cache=True, fastmath=FAST)
def cols_backward_step(at, active, dzt, w, iptr, icols, b, lr, dat, need_da):
    """dat[d] = Σ over survivors (d, j) of W[d, j] · dzt[j], where at[d] > 0 (old W), if
    ``need_da``; then W[d, j] −= lr · Σ_n at[d, n] dzt[j, n] for every survivor (rows with
    ``active[d]`` False are zero for the batch: no gradient), and b −= lr · Σ_n dzt[:, n].
    at: (D, B), dzt: (M, B) -> dat: (D, B)."""
    d_in, n_batch = at.shape
    for d in range(d_in):
        lo, hi = iptr[d], iptr[d + 1]
        if need_da:
            for n in range(n_batch):
                dat[d, n] = 0
            p = lo
            while p + 4 <= hi:
                j0, j1, j2, j3 = icols[p], icols[p + 1], icols[p + 2], icols[p + 3]
                v0, v1, v2, v3 = w[d, j0], w[d, j1], w[d, j2], w[d, j3]
                for n in range(n_batch):
                    dat[d, n] += (v0 * dzt[j0, n] + v1 * dzt[j1, n]) + (v2 * dzt[j2, n] + v3 * dzt[j3, n])
                p += 4
            while p < hi:
                j0 = icols[p]
                v0 = w[d, j0]
                for n in range(n_batch):
                    dat[d, n] += v0 * dzt[j0, n]
                p += 1
            for n in range(n_batch):
                if not at[d, n] > 0:
                    dat[d, n] = 0
        if not active[d]:
            continue
        for p in range(lo, hi):
            j = icols[p]
            g = w.dtype.type(0)
            for n in range(n_batch):
                g += at[d, n] * dzt[j, n]
            w[d, j] -= lr * g
    for j in range(dzt.shape[0]):
        s = w.dtype.type(0)
        for n in range(n_batch):
            s += dzt[j, n]
        b[j] -= lr * s


@njit(cache=True)
def find_active(at, active):
    """active[d] = whether row d of at: (D, B) has a nonzero entry."""
    for d in range(at.shape[0]):
        any_ = False
        for n in range(at.shape[1]):
            any_ |= at[d, n] != 0
        active[d] = any_


@njit(cache=True)
def gather(index, value, indptr, idx, at, active):
    """The minibatch idx of a data set's sparse rows as a dense transposed block at: (D, B)
    (columns beyond len(idx) stay 0), and which rows have a nonzero entry."""
    at[:, :] = 0
    active[:] = False
    for n in range(idx.size):
        for p in range(indptr[idx[n]], indptr[idx[n] + 1]):
            at[index[p], n] = value[p]
            active[index[p]] = True
