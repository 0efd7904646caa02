"""COLS: kernels for a layer that keeps few of its weights, and every layer's input gradient.
Activations are transposed, (D, B').

The batch is the vector dimension (the layout SparseProp uses for sparse backprop on CPUs),
and only surviving weights are visited, so a layer's cost is linear in its survivors. The
survivors are listed twice, once per direction of the product (``paths.pack`` builds both
once per training, from the mask):

* by output j (CSC): rows ``orows[optr[j]:optr[j+1]]`` — the forward pass accumulates each
  output row Zᵀ[j] over its survivors, four at a time, with Zᵀ[j] loaded once per four;
* by input d (CSR): columns ``icols[iptr[d]:iptr[d+1]]`` — the input gradient accumulates each
  row dAᵀ[d] the same way (for ROWS layers too: it costs in proportion to the survivors), and
  the weight step adds, for each example where input d is nonzero, that example's ∂L/∂Z at
  d's survivors (so it costs nonzero inputs × survivors).

The same bits on every CPU: every product is vectorized across independent outputs (a row of
Zᵀ or dAᵀ over the batch; a weight gradient across a row's survivors), each output's sum in an
order the code fixes (four terms at a time as a fixed tree); no ``fastmath``.

Mirrors ``layers.dense_forward`` / ``dense_backward`` + ``relu_backward`` + ``optim.sgd`` at
the survivors only; a pruned weight is never read or written, so it stays exactly 0.
"""
from ..jit import njit
from .rows import bias_step

@njit(cache=True)
def cols_forward(at, active, w, optr, orows, b, zt, relu, live):
    """zt[j] = b[j] + Σ over survivors (d, j) of W[d, j] · at[d]; ReLU if ``relu``.

    at: (D, B') -> zt: (M, B'); survivors of column j: rows orows[optr[j]:optr[j+1]]; rows d
    with ``active[d]`` False are zero for the whole batch and skipped (``live``: scratch for
    the active survivors of one column). Mirrors ``layers.dense_forward`` (+ ``relu_forward``)."""
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


@njit(cache=True)
def input_grad(dzt, w, iptr, icols, active, dat):
    """dat[d] = Σ over survivors (d, j) of W[d, j] · dzt[j], for the rows d with ``active[d]``
    (the others, zero inputs for the whole batch, get 0). dzt: (M, B') -> dat: (D, B').

    Mirrors dA = dZ (W ⊙ M)ᵀ of ``layers.dense_backward``, before the ReLU of the layer below
    (``relu_cols`` or ``rows.relu_transpose``); uses the old W, so it runs before the step."""
    d_in, n_batch = dat.shape
    for d in range(d_in):
        for n in range(n_batch):
            dat[d, n] = 0
        if not active[d]:
            continue
        lo, hi = iptr[d], iptr[d + 1]
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


@njit(cache=True)
def relu_cols(at, dat):
    """dat[d, n] = 0 where at[d, n] is not > 0: ``relu_backward`` of the layer below, transposed."""
    for d in range(at.shape[0]):
        for n in range(at.shape[1]):
            if not at[d, n] > 0:
                dat[d, n] = 0


@njit(cache=True)
def survivor_weight_step(cptr, cex, cval, dz, w, iptr, icols, b, lr, g):
    """The SGD step of a COLS layer at its survivors, from its inputs listed by input
    (``rows.by_input`` or ``cols_by_input``):

    for each input d nonzero somewhere in the batch, g[p] = Σ_k cval[k] · dz[cex[k], icols[p]]
    over d's survivors p (row d of Aᵀ dZ at the survivors: the examples in turn, four at a time
    as a fixed tree, vectorized across the survivors); W[d, icols[p]] −= lr · g[p];
    b −= lr · Σ_n dz[n]. dz: (B, M); w: (D, M); g: (M,) scratch. Mirrors the dW and db of
    ``layers.dense_backward`` then ``optim.sgd``; the work is (nonzero inputs) × (survivors)."""
    for d in range(w.shape[0]):
        lo, hi = cptr[d], cptr[d + 1]
        s, e = iptr[d], iptr[d + 1]
        if lo == hi or s == e:
            continue
        for p in range(e - s):
            g[p] = 0
        k = lo
        while k + 4 <= hi:
            n0, n1, n2, n3 = cex[k], cex[k + 1], cex[k + 2], cex[k + 3]
            v0, v1, v2, v3 = cval[k], cval[k + 1], cval[k + 2], cval[k + 3]
            for p in range(s, e):
                c = icols[p]
                g[p - s] += (v0 * dz[n0, c] + v1 * dz[n1, c]) + (v2 * dz[n2, c] + v3 * dz[n3, c])
            k += 4
        while k < hi:
            n0, v0 = cex[k], cval[k]
            for p in range(s, e):
                g[p - s] += v0 * dz[n0, icols[p]]
            k += 1
        for p in range(s, e):
            w[d, icols[p]] -= lr * g[p - s]
    bias_step(dz, b, lr, g)


@njit(cache=True)
def cols_by_input(at, n_batch, cptr, cex, cval, active):
    """The nonzero entries of the first n_batch columns of at: (D, B') listed input by input, as
    ``rows.by_input`` lists a ROWS layer's: input d is nonzero in examples cex[cptr[d]:cptr[d+1]]
    with values cval[...]; active[d] whether there are any."""
    k = 0
    for d in range(at.shape[0]):
        cptr[d] = k
        for n in range(n_batch):
            cex[k] = n
            cval[k] = at[d, n]
            k += at[d, n] != 0
        active[d] = k > cptr[d]
    cptr[at.shape[0]] = k


@njit(cache=True)
def find_active(at, active):
    """active[d] = whether row d of at: (D, B) has a nonzero entry."""
    for d in range(at.shape[0]):
        any_ = False
        for n in range(at.shape[1]):
            any_ |= at[d, n] != 0
        active[d] = any_


@njit(cache=True)
def gather(index, value, indptr, idx, starts, ends, at, active):
    """The minibatch idx of a data set's sparse rows as a dense transposed block at: (D, B')
    (columns beyond len(idx) stay 0), and which rows have a nonzero entry. starts, ends: (B,) the
    previous minibatch's spans on the way in (its entries are zeroed, not the whole block), this
    one's on the way out."""
    for n in range(idx.size):
        for p in range(starts[n], ends[n]):
            at[index[p], n] = 0
        starts[n], ends[n] = indptr[idx[n]], indptr[idx[n] + 1]
    active[:] = False
    for n in range(idx.size):
        for p in range(starts[n], ends[n]):
            at[index[p], n] = value[p]
            active[index[p]] = True
