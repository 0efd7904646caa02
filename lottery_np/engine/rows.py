"""ROWS: kernels for a layer that keeps most of its weights. Activations are (B, D), row by row.

Every kernel mirrors ``layers.dense_forward`` / ``layers.dense_backward`` (+ ``relu_backward``
and ``optim.sgd``) for one layer Z = A (W ⊙ M) + b; pruned weights are exactly 0 in W, so a
dense product with W is the masked product. Two shapes of input:

* **the first layer** reads its input, MNIST pixels (81% zeros), straight from the data set's
  sparse rows (``data.SparseRows``): example n's nonzero pixels are
  ``index[starts[n]:ends[n]]`` with values ``value[...]``. Only nonzero pixels are multiplied.
* **a hidden layer** reads a ReLU output, about half zeros, as a dense (B, D) array, and uses
  BLAS (``np.dot``, one thread in the runner's workers): at these sizes the BLAS product of
  every entry is faster than any loop that skips the zeros (``benchmarks/step_time.py``).

The SGD step is taken inside the backward pass: W ← W − lr (Aᵀ dZ) ⊙ M, b ← b − lr Σₙ dZ[n],
after the input gradient dA = dZ (W ⊙ M)ᵀ has used the old W.
"""
import numpy as np
from numba import njit

FAST = {"reassoc", "contract", "arcp", "nsz"}  # not "nnan"/"ninf": a diverging loss must stay visible


@njit(cache=True, fastmath=FAST)
def csr_forward(starts, ends, index, value, w, b, z, relu):
    """z[n] = b + Σ_p value[p] · W[index[p]] over example n's nonzero inputs p; ReLU if ``relu``.

    index/value: the data set's sparse rows; starts, ends: (B,) each example's span;
    w: (D, M), b: (M,) -> z: (B, M).
    Eight rows of W are added per pass over z[n], so z[n] is loaded and stored once per
    eight nonzero inputs rather than once per input."""
    d_out = w.shape[1]
    for n in range(z.shape[0]):
        for j in range(d_out):
            z[n, j] = b[j]
        p, hi = starts[n], ends[n]
        while p + 8 <= hi:
            d0, d1, d2, d3 = index[p], index[p + 1], index[p + 2], index[p + 3]
            d4, d5, d6, d7 = index[p + 4], index[p + 5], index[p + 6], index[p + 7]
            v0, v1, v2, v3 = value[p], value[p + 1], value[p + 2], value[p + 3]
            v4, v5, v6, v7 = value[p + 4], value[p + 5], value[p + 6], value[p + 7]
            for j in range(d_out):
                z[n, j] += ((v0 * w[d0, j] + v1 * w[d1, j]) + (v2 * w[d2, j] + v3 * w[d3, j])) + \
                           ((v4 * w[d4, j] + v5 * w[d5, j]) + (v6 * w[d6, j] + v7 * w[d7, j]))
            p += 8
        while p < hi:
            d0, v0 = index[p], value[p]
            for j in range(d_out):
                z[n, j] += v0 * w[d0, j]
            p += 1
        if relu:
            for j in range(d_out):
                if not z[n, j] > 0:
                    z[n, j] = 0


@njit(cache=True)
def by_input(starts, ends, index, value, cptr, fill, cex, cval):
    """The same nonzero inputs listed input by input (a counting sort of the batch's CSR rows):
    input d is nonzero in examples cex[cptr[d]:cptr[d+1]], with values cval[...].

    cptr: (D + 1,), fill: (D,) scratch, cex/cval: at least as long as the batch's nonzeros."""
    cptr[:] = 0
    for n in range(starts.size):
        for p in range(starts[n], ends[n]):
            cptr[index[p] + 1] += 1
    for d in range(cptr.size - 1):
        cptr[d + 1] += cptr[d]
        fill[d] = cptr[d]
    for n in range(starts.size):
        for p in range(starts[n], ends[n]):
            d = index[p]
            q = fill[d]
            cex[q] = n
            cval[q] = value[p]
            fill[d] = q + 1


@njit(cache=True, fastmath=FAST)
def csr_weight_step(cptr, cex, cval, dz, w, m, b, lr, g, masked):
    """The SGD step of a first layer from its inputs listed by input (``by_input``):

    for each input d: g = Σ_k cval[k] · dz[cex[k]] (row d of Aᵀ dZ), W[d] −= lr · g ⊙ M[d];
    b −= lr · Σ_n dz[n]. dz: (B, M); w, m: (D, M); g: (M,) scratch. Inputs that are zero for
    the whole batch have a zero gradient row and are skipped. ``masked=False`` (every weight
    kept) skips reading M. Up to eight examples are added per pass over g, so g is loaded and
    stored once per eight."""
    d_in, d_out = w.shape
    for d in range(d_in):
        lo, hi = cptr[d], cptr[d + 1]
        if lo == hi:
            continue
        for j in range(d_out):
            g[j] = 0
        p = lo
        while p + 8 <= hi:
            n0, n1, n2, n3 = cex[p], cex[p + 1], cex[p + 2], cex[p + 3]
            n4, n5, n6, n7 = cex[p + 4], cex[p + 5], cex[p + 6], cex[p + 7]
            v0, v1, v2, v3 = cval[p], cval[p + 1], cval[p + 2], cval[p + 3]
            v4, v5, v6, v7 = cval[p + 4], cval[p + 5], cval[p + 6], cval[p + 7]
            for j in range(d_out):
                g[j] += ((v0 * dz[n0, j] + v1 * dz[n1, j]) + (v2 * dz[n2, j] + v3 * dz[n3, j])) + \
                        ((v4 * dz[n4, j] + v5 * dz[n5, j]) + (v6 * dz[n6, j] + v7 * dz[n7, j]))
            p += 8
        while p + 4 <= hi:
            n0, n1, n2, n3 = cex[p], cex[p + 1], cex[p + 2], cex[p + 3]
            v0, v1, v2, v3 = cval[p], cval[p + 1], cval[p + 2], cval[p + 3]
            for j in range(d_out):
                g[j] += (v0 * dz[n0, j] + v1 * dz[n1, j]) + (v2 * dz[n2, j] + v3 * dz[n3, j])
            p += 4
        while p < hi:
            n0, v0 = cex[p], cval[p]
            for j in range(d_out):
                g[j] += v0 * dz[n0, j]
            p += 1
        if masked:
            for j in range(d_out):
                w[d, j] -= lr * (g[j] * m[d, j])
        else:
            for j in range(d_out):
                w[d, j] -= lr * g[j]
    bias_step(dz, b, lr)


@njit(cache=True, fastmath=FAST)
def bias_step(dz, b, lr):
    """b −= lr · Σ_n dz[n]. dz: (B, M)."""
    for j in range(dz.shape[1]):
        s = dz.dtype.type(0)
        for n in range(dz.shape[0]):
            s += dz[n, j]
        b[j] -= lr * s


@njit(cache=True, fastmath=FAST)
def dense_forward(a, w, b, z, relu):
    """z = a @ w + b, ReLU if ``relu``. a: (B, D) @ w: (D, M) -> z: (B, M), by BLAS."""
    np.dot(a, w, z)
    for n in range(z.shape[0]):
        for j in range(z.shape[1]):
            v = z[n, j] + b[j]
            z[n, j] = v if (v > 0 or not relu) else 0


@njit(cache=True, fastmath=FAST)
def dense_backward_step(a, dz, w, m, b, lr, da, dw, need_da, masked):
    """Mirrors ``dense_backward`` + ``relu_backward`` + ``sgd`` with BLAS products:

    da = (dz @ wᵀ) · 1[a > 0]   (B, M) @ (M, D) -> (B, D), the ReLU that made a folded in, old W;
    dw = aᵀ @ dz                (D, B) @ (B, M) -> (D, M), scratch;
    W −= lr · dw ⊙ M (M not read if ``masked`` is False); b −= lr · Σ_n dz[n]."""
    if need_da:
        np.dot(dz, w.T, da)
        for n in range(da.shape[0]):
            for d in range(da.shape[1]):
                if not a[n, d] > 0:
                    da[n, d] = 0
    np.dot(a.T, dz, dw)
    d_in, d_out = w.shape
    if masked:
        for d in range(d_in):
            for j in range(d_out):
                w[d, j] -= lr * (dw[d, j] * m[d, j])
    else:
        for d in range(d_in):
            for j in range(d_out):
                w[d, j] -= lr * dw[d, j]
    bias_step(dz, b, lr)
