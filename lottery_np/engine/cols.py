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
  the weight gradient of each survivor is a sum over the batch.

The same bits on every CPU: a sum over the batch (a weight's gradient, a bias's) is taken in
``LANES`` fixed lanes — lane k adds the examples k, k + LANES, k + 2·LANES, … in turn — and the
lanes are then added as one fixed tree (``lane_sum``). The code fixes every addition, so the
vector width the CPU has (or none) changes nothing; no ``fastmath``.

Mirrors ``layers.dense_forward`` / ``dense_backward`` + ``relu_backward`` + ``optim.sgd`` at
the survivors only; a pruned weight is never read or written, so it stays exactly 0.
"""
from numba import njit

LANES = 16  # partial sums of a sum over the batch; B' (paths.PAD) is a multiple of it


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
def lane_sum(lanes):
    """lanes[0] + … + lanes[15] as one fixed tree of additions."""
    return ((((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))) +
            (((lanes[8] + lanes[9]) + (lanes[10] + lanes[11])) + ((lanes[12] + lanes[13]) + (lanes[14] + lanes[15]))))


@njit(cache=True)
def cols_weight_step(at, active, dzt, w, iptr, icols, b, lr, lanes):
    """W[d, j] −= lr · Σ_n at[d, n] dzt[j, n] for every survivor (d, j) (rows with ``active[d]``
    False are zero for the batch: no gradient); b −= lr · Σ_n dzt[:, n].
    at: (D, B'), dzt: (M, B'); lanes: (LANES,) scratch. Mirrors the dW and db of
    ``layers.dense_backward`` then ``optim.sgd``; each sum over the batch in ``LANES`` lanes."""
    d_in, n_batch = at.shape
    for d in range(d_in):
        if not active[d]:
            continue
        for p in range(iptr[d], iptr[d + 1]):
            j = icols[p]
            for k in range(LANES):
                lanes[k] = at[d, k] * dzt[j, k]
            for q in range(LANES, n_batch, LANES):
                for k in range(LANES):
                    lanes[k] += at[d, q + k] * dzt[j, q + k]
            w[d, j] -= lr * lane_sum(lanes)
    for j in range(dzt.shape[0]):
        for k in range(LANES):
            lanes[k] = dzt[j, k]
        for q in range(LANES, n_batch, LANES):
            for k in range(LANES):
                lanes[k] += dzt[j, q + k]
        b[j] -= lr * lane_sum(lanes)


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
