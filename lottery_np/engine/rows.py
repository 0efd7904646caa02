"""ROWS: kernels for a layer that keeps most of its weights. Activations are (B, D), row by row.

Every kernel mirrors ``layers.dense_forward`` / ``layers.dense_backward`` (+ ``optim.sgd``) for
one layer Z = A (W ⊙ M) + b; pruned weights are exactly 0 in W, so a product with the dense W is
the masked product. A ROWS layer multiplies only the **nonzero entries of its input**, listed
example by example (``SparseRows``-like: example n's nonzero inputs are ``index[starts[n]:ends[n]]``
with values ``value[...]``):

* **the first layer** reads MNIST pixels (81% zeros) straight from the data set's sparse rows;
* **a hidden layer** reads a ReLU output, about half of it zeros (measured on LeNet-300-100 by
  ``benchmarks/step_time.py``, 100% to 1.8% of the weights: 45–52% of the first hidden layer's
  outputs and 45–54% of the second's are nonzero), listed by ``compress`` after the layer below.

The same bits on every CPU: each product is an explicit loop that adds ``value · W[d, :]`` into
an output row — vectorized across the outputs j, each output's sum in an order fixed by the
code (the inputs of an example in turn, eight at a time as a fixed tree of additions). No BLAS,
no ``fastmath`` (LLVM may not reorder a sum or fuse a multiply and an add), no reduction whose
order depends on the vector width: whatever the CPU's vectors, every output sees the same
sequence of IEEE operations.

The SGD step is taken inside the backward pass: W ← W − lr (Aᵀ dZ) ⊙ M, b ← b − lr Σₙ dZ[n],
after the input gradient (``cols.input_grad``) has used the old W.
"""
from ..jit import njit


@njit(cache=True)
def compress(a, starts, ends, index, value):
    """The nonzero entries of a: (B, D), example by example: example n's are
    index[starts[n]:ends[n]] with values value[...] (in increasing d). index, value: (B·D,)."""
    k = 0
    for n in range(a.shape[0]):
        starts[n] = k
        for d in range(a.shape[1]):
            index[k] = d
            value[k] = a[n, d]
            k += a[n, d] != 0
        ends[n] = k


@njit(cache=True)
def csr_forward(starts, ends, index, value, w, b, z, relu):
    """z[n] = b + Σ_p value[p] · W[index[p]] over example n's nonzero inputs p; ReLU if ``relu``.

    starts, ends: (B,) each example's span of index/value; w: (D, M), b: (M,) -> z: (B, M).
    Mirrors ``layers.dense_forward`` (+ ``relu_forward``). Eight rows of W are added per pass
    over z[n], as one fixed tree, so z[n] is loaded and stored once per eight nonzero inputs."""
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
def by_input(starts, ends, index, value, cptr, fill, cex, cval, active):
    """The same nonzero inputs listed input by input (a counting sort of the batch's rows):
    input d is nonzero in examples cex[cptr[d]:cptr[d+1]] (increasing), with values cval[...];
    active[d]: whether it is nonzero in any example.

    cptr: (D + 1,), fill: (D,) scratch, cex/cval: at least as long as the batch's nonzeros."""
    cptr[:] = 0
    for n in range(starts.size):
        for p in range(starts[n], ends[n]):
            cptr[index[p] + 1] += 1
    for d in range(cptr.size - 1):
        cptr[d + 1] += cptr[d]
        fill[d] = cptr[d]
        active[d] = cptr[d + 1] > cptr[d]
    for n in range(starts.size):
        for p in range(starts[n], ends[n]):
            d = index[p]
            q = fill[d]
            cex[q] = n
            cval[q] = value[p]
            fill[d] = q + 1


@njit(cache=True)
def csr_weight_step(cptr, cex, cval, dz, w, m, b, lr, g, masked):
    """The SGD step of a ROWS layer from its inputs listed by input (``by_input``):

    for each input d: g = Σ_k cval[k] · dz[cex[k]] (row d of Aᵀ dZ), W[d] −= lr · g ⊙ M[d];
    b −= lr · Σ_n dz[n]. dz: (B, M); w, m: (D, M); g: (M,) scratch. Mirrors the dW of
    ``layers.dense_backward`` then ``optim.sgd``. Inputs that are zero for the whole batch have
    a zero gradient row and are skipped. ``masked=False`` (every weight kept) skips reading M.
    Up to eight examples are added per pass over g (a fixed tree), so g is loaded and stored
    once per eight."""
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
    bias_step(dz, b, lr, g)


@njit(cache=True)
def bias_step(dz, b, lr, g):
    """b −= lr · Σ_n dz[n], the examples added in turn (vectorized across the outputs).
    dz: (B, M); g: (M,) scratch."""
    for j in range(dz.shape[1]):
        g[j] = 0
    for n in range(dz.shape[0]):
        for j in range(dz.shape[1]):
            g[j] += dz[n, j]
    for j in range(dz.shape[1]):
        b[j] -= lr * g[j]


@njit(cache=True)
def relu_transpose(dat, a, da):
    """da[n, d] = dat[d, n] where a[n, d] > 0, else 0: an input gradient computed transposed
    (``cols.input_grad``) back to rows, with ``relu_backward`` of the layer below folded in.
    dat: (D, B'), a: (B, D) -> da: (B, D)."""
    for n in range(a.shape[0]):
        for d in range(a.shape[1]):
            da[n, d] = dat[d, n] if a[n, d] > 0 else 0
