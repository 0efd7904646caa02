"""The training engine: many SGD steps of a masked MLP inside one Numba call.

This is the fast path. The readable path — ``layers.py`` → ``network.py`` →
``train.py`` — is the specification; this module computes the same thing and
``tests/test_engine.py`` holds it there (float64: every weight, bias and loss
to 1e-10 after a step; float32: a 200-step training agrees to rounding).

What it mirrors: ``train.train`` with ``Optimizer("sgd")`` on an ``MLP`` with
ReLU hidden layers and softmax cross-entropy. Anything else (momentum, Adam,
the XOR loss) is trained by the readable path: ``supports`` says why.

Why it is fast
--------------
1. **Fused steps.** The ``eval_every`` iterations between two evaluations run in
   one call of ``sgd_steps``: minibatch gather, forward, loss, backward and the
   SGD update of every layer, with no Python per layer or per step.
2. **Work only where a number can change.** Every product skips what is zero:
   an input pixel that is 0 (about 81% of MNIST), a ReLU that is off (about
   half), and — once a layer is sparse — a pruned weight. Two layouts, chosen
   per layer by its density (``ROWS_ABOVE``):

   * ``ROWS`` (dense layer): activations (B, D), row by row. Y[n] = Σ_d a[n, d] W[d]
     over the inputs a[n, d] ≠ 0; each term is a contiguous row of W.
   * ``COLS`` (sparse layer): activations transposed, (D, B), so that the batch
     is the vector dimension (the layout SparseProp uses for sparse backprop on
     CPUs). The weights are visited only at their survivors (CSR rows of the
     mask, ``sparse.Layout``): Yᵀ[j] += W[d, j] · aᵀ[d] for each survivor (d, j).
     The cost is linear in the number of survivors.

3. **The SGD step inside the backward pass.** A layer's weight gradient is
   never stored: row d of dW is accumulated and applied at once,
   W[d] ← W[d] − lr · (dW[d] ⊙ M[d]), after the input gradient has used the old W.
4. **One thread, deterministic.** No ``prange``, no BLAS: the same inputs give
   the same bits, whatever runs beside it. Parallelism is one training per core
   (``runner.py``).

Pruned weights stay exactly zero: a ROWS layer multiplies its gradient by the
mask, a COLS layer touches only survivors, and plain SGD has no state.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from .network import as_generator
from .sparse import layout_from_mask
from .train import History, batches, record_evaluation

ROWS, COLS = 0, 1

# A layer runs in COLS (survivors only) when it keeps less than ROWS_ABOVE of its weights.
# Measured on the 2-core AMD EPYC (AVX2) machine, float32, batch 60, real MNIST minibatches,
# whole fused steps of LeNet-300-100 with every layer forced to one layout (benchmarks/step_time.py
# and engine.pack(net, modes)): all-ROWS costs about the same at every density (~1.3-1.7 ms:
# it skips zero inputs, not pruned weights); all-COLS costs about 9 ms x density (0.59 ms at
# 6.9%, 1.4-2.0 ms at 21%, 4.1 ms at 51%). They cross near 18%. Below, COLS wins by the ratio
# of densities; above, ROWS's skipping of zero inputs (81% of pixels, half the ReLUs) beats
# COLS's full rows, which can skip an input only when it is zero for the whole batch.
ROWS_ABOVE = 0.18
# The masks of a COLS layer are not read: it never visits a pruned weight.

FAST = {"reassoc", "contract", "arcp", "nsz"}  # not "nnan"/"ninf": a diverging loss must stay visible

Layers = namedtuple("Layers", "weights masks biases indptrs cols modes")
"""The network as the engine sees it. ``weights``, ``masks``, ``biases`` are the MLP's own
arrays (updated in place); ``indptrs``/``cols`` the CSR rows of each mask (empty for ROWS
layers); ``modes`` an int array, ROWS or COLS per layer."""

Buffers = namedtuple("Buffers", "rows cols drows dcols nz_n nz_v nz_count")
"""Per-activation scratch for a batch of B: ``rows[l]`` (B, D_l), ``cols[l]`` (D_l, B), their
gradients, and the nonzero entries of ``rows[l]`` column by column (``nonzero_inputs``).
Activation 0 is the input, activation L the logits."""


def choose_modes(masks):
    """ROWS or COLS for each layer, by its fraction of weights left (see ROWS_ABOVE)."""
    return np.array([ROWS if float(m.mean()) >= ROWS_ABOVE else COLS for m in masks], dtype=np.int64)


def pack(net, modes=None):
    """The engine's view of an ``MLP`` (its arrays, not copies: training updates ``net``)."""
    modes = choose_modes(net.masks) if modes is None else np.asarray(modes, dtype=np.int64)
    empty = np.zeros(1, dtype=np.int64)
    layouts = [layout_from_mask(m) if mode == COLS else None for m, mode in zip(net.masks, modes)]
    return Layers(tuple(net.weights), tuple(net.masks), tuple(net.biases),
                  tuple(lay.indptr if lay is not None else empty for lay in layouts),
                  tuple(lay.cols if lay is not None else empty for lay in layouts), modes)


def buffers(sizes, batch, dtype):
    z = [np.zeros((batch, s), dtype) for s in sizes]
    zt = [np.zeros((s, batch), dtype) for s in sizes]
    return Buffers(tuple(z), tuple(zt), tuple(np.zeros_like(a) for a in z), tuple(np.zeros_like(a) for a in zt),
                   tuple(np.zeros((s, batch), np.int64) for s in sizes), tuple(np.zeros((s, batch), dtype) for s in sizes),
                   tuple(np.zeros(s, np.int64) for s in sizes))


# ----------------------------------------------------------------------------
# One layer, two layouts. Each forward computes Z = A (W ⊙ M) + b (pruned W are 0);
# each backward computes dA = dZ (W ⊙ M)ᵀ · 1[A > 0] (the ReLU that made A, folded in),
# then takes the SGD step W ← W − lr (Aᵀ dZ) ⊙ M, b ← b − lr Σ_n dZ.
# ----------------------------------------------------------------------------


@njit(cache=True)
def nonzero_inputs(a, nz_n, nz_v, nz_count):
    """Column by column, the nonzero entries of a: (B, D). Input d is nonzero for the
    examples nz_n[d, :nz_count[d]], with values nz_v[d, :nz_count[d]]."""
    nz_count[:] = 0
    for n in range(a.shape[0]):
        for d in range(a.shape[1]):
            v = a[n, d]
            if v != 0:
                k = nz_count[d]
                nz_n[d, k] = n
                nz_v[d, k] = v
                nz_count[d] = k + 1


@njit(cache=True, fastmath=FAST)
def rows_forward(nz_n, nz_v, nz_count, w, b, z):
    """Mirrors ``layers.dense_forward``.  (B, D) @ w: (D, M) + b -> z: (B, M).

    The input a is given by its nonzero entries (``nonzero_inputs``):
    z[n] = b + Σ over a[n, d] ≠ 0 of a[n, d] W[d]."""
    d_in, d_out = w.shape
    for n in range(z.shape[0]):
        for j in range(d_out):
            z[n, j] = b[j]
    for d in range(d_in):  # d outer: each row of W is read once per step, not once per example
        for k in range(nz_count[d]):
            n, v = nz_n[d, k], nz_v[d, k]
            for j in range(d_out):
                z[n, j] += v * w[d, j]


@njit(cache=True, fastmath=FAST)
def rows_backward(nz_n, nz_v, nz_count, dz, w, m, b, lr, da, need_da):
    """Mirrors ``layers.dense_backward`` + ``relu_backward`` + ``optim.sgd``.

    dz: (B, M) ∂L/∂Z; w, m: (D, M); the input a: (B, D) given by its nonzero entries.
    da: (B, D) gets dz Wᵀ where a > 0 (the ReLU below folded in; old W), if ``need_da``.
    Then, row by row, g = Σ_n a[n, d] dz[n] and W[d] -= lr · g ⊙ M[d]."""
    d_in, d_out = w.shape
    if need_da:  # a is a ReLU output here, so "nonzero" is "> 0"
        da[:, :] = 0
        for d in range(d_in):
            for k in range(nz_count[d]):
                n = nz_n[d, k]
                acc = w.dtype.type(0)
                for j in range(d_out):
                    acc += dz[n, j] * w[d, j]
                da[n, d] = acc
    g = np.empty(d_out, dtype=w.dtype)
    for d in range(d_in):
        if nz_count[d] == 0:  # an input that is 0 for the whole batch: zero gradient row
            continue
        g[:] = 0
        for k in range(nz_count[d]):
            n, v = nz_n[d, k], nz_v[d, k]
            for j in range(d_out):
                g[j] += v * dz[n, j]
        for j in range(d_out):
            w[d, j] -= lr * (g[j] * m[d, j])
    for j in range(d_out):
        s = w.dtype.type(0)
        for n in range(dz.shape[0]):
            s += dz[n, j]
        b[j] -= lr * s


@njit(cache=True, fastmath=FAST)
def cols_forward(at, w, indptr, cols, b, zt):
    """Mirrors ``layers.dense_forward`` at the survivors only, batch as the vector dimension.

    at: (D, B) inputs transposed, survivors of row d: cols[indptr[d]:indptr[d+1]] -> zt: (M, B).
    zt[j] = b[j] + Σ over survivors (d, j) of W[d, j] at[d]."""
    d_in, n_batch = at.shape
    for j in range(zt.shape[0]):
        for n in range(n_batch):
            zt[j, n] = b[j]
    for d in range(d_in):
        lo, hi = indptr[d], indptr[d + 1]
        if lo == hi or not _any_nonzero(at, d):
            continue
        for k in range(lo, hi):
            j = cols[k]
            v = w[d, j]
            for n in range(n_batch):
                zt[j, n] += v * at[d, n]


@njit(cache=True, fastmath=FAST)
def cols_backward(at, dzt, w, indptr, cols, b, lr, dat, need_da):
    """Mirrors ``layers.dense_backward`` + ``relu_backward`` + ``optim.sgd`` at the survivors only.

    at: (D, B), dzt: (M, B) -> dat: (D, B) = W dzt where at > 0 (old W), if ``need_da``;
    then for each survivor (d, j): W[d, j] -= lr · Σ_n at[d, n] dzt[j, n]."""
    d_in, n_batch = at.shape
    for d in range(d_in):
        lo, hi = indptr[d], indptr[d + 1]
        if need_da:
            for n in range(n_batch):
                dat[d, n] = 0
            for k in range(lo, hi):
                v = w[d, cols[k]]
                for n in range(n_batch):
                    dat[d, n] += v * dzt[cols[k], n]
            for n in range(n_batch):
                if not at[d, n] > 0:
                    dat[d, n] = 0
        if lo == hi or not _any_nonzero(at, d):
            continue
        for k in range(lo, hi):
            j = cols[k]
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
def _any_nonzero(at, d):
    for n in range(at.shape[1]):
        if at[d, n] != 0:
            return True
    return False


@njit(cache=True)
def _transpose(src, dst):
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[j, i] = src[i, j]


@njit(cache=True)
def _relu(x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if not x[i, j] > 0:
                x[i, j] = 0


# ----------------------------------------------------------------------------
# The whole network
# ----------------------------------------------------------------------------


SparseRows = namedtuple("SparseRows", "indptr index value")
"""A data set's inputs by their nonzero entries (CSR by example): example e has value[p] at
input index[p] for p in indptr[e]:indptr[e+1]. MNIST is about 81% zeros; listing the
nonzeros once per data set saves scanning every pixel of every minibatch."""

_SPARSE_ROWS = {}


def sparse_rows(x, keep=True):
    """``SparseRows`` of x: (N, D), computed once per array (kept while x is the one in use;
    ``keep=False`` computes it without touching what is kept)."""
    cached = _SPARSE_ROWS.get(id(x))
    if cached is not None and cached[0] is x:
        return cached[1]
    nonzero = x != 0
    indptr = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(nonzero.sum(axis=1), out=indptr[1:])
    rows = SparseRows(indptr, np.nonzero(nonzero)[1].astype(np.int64), np.ascontiguousarray(x[nonzero]))
    if not keep:
        return rows
    if len(_SPARSE_ROWS) >= 3:  # train, validation and test of one data set
        _SPARSE_ROWS.clear()
    _SPARSE_ROWS[id(x)] = (x, rows)
    return rows


@njit(cache=True)
def gather(x, idx, mode, buf):
    """The minibatch x[idx] in the first layer's layout: for ROWS its nonzeros column by
    column (as ``nonzero_inputs`` lists them), for COLS the dense transposed (D, B) block."""
    if mode == ROWS:
        buf.nz_count[0][:] = 0
        for n in range(idx.size):
            for p in range(x.indptr[idx[n]], x.indptr[idx[n] + 1]):
                d = x.index[p]
                k = buf.nz_count[0][d]
                buf.nz_n[0][d, k] = n
                buf.nz_v[0][d, k] = x.value[p]
                buf.nz_count[0][d] = k + 1
    else:
        buf.cols[0][:, :] = 0
        for n in range(idx.size):
            for p in range(x.indptr[idx[n]], x.indptr[idx[n] + 1]):
                buf.cols[0][x.index[p], n] = x.value[p]


@njit(cache=True)
def forward(net, buf, x, idx):
    """Logits for the examples ``x[idx]`` (x: ``SparseRows``), left in ``buf.rows[L]`` (B, C).

    Mirrors ``MLP.forward``: Dense → ReLU → … → Dense, each layer in its own layout; an
    activation is transposed only where two neighbouring layers use different layouts."""
    n_layers = len(net.weights)
    gather(x, idx, net.modes[0], buf)
    for i in range(n_layers):
        mode = net.modes[i]
        if mode == ROWS:
            out = buf.rows[i + 1]
            if i > 0:  # (the input's nonzeros were listed by gather)
                nonzero_inputs(buf.rows[i], buf.nz_n[i], buf.nz_v[i], buf.nz_count[i])
            rows_forward(buf.nz_n[i], buf.nz_v[i], buf.nz_count[i], net.weights[i], net.biases[i], out)
        else:
            out = buf.cols[i + 1]
            cols_forward(buf.cols[i], net.weights[i], net.indptrs[i], net.cols[i], net.biases[i], out)
        if i < n_layers - 1:
            _relu(out)
            nxt = net.modes[i + 1]
        else:
            nxt = ROWS  # the loss reads logits row by row
        if nxt != mode:
            if mode == ROWS:
                _transpose(out, buf.cols[i + 1])
            else:
                _transpose(out, buf.rows[i + 1])


@njit(cache=True)
def softmax_cross_entropy(logits, y, idx, dlogits):
    """Mirrors ``layers.softmax_cross_entropy``: returns the summed loss and the number
    correct over the batch; dlogits (B, C) gets (p − onehot(y)) / B."""
    n_batch, n_class = logits.shape
    total, correct = 0.0, 0
    for n in range(n_batch):
        label = y[idx[n]]
        mx = logits[n, 0]
        best = 0
        for c in range(1, n_class):
            if logits[n, c] > mx:
                mx, best = logits[n, c], c
        correct += best == label
        s = 0.0
        for c in range(n_class):
            e = np.exp(float(logits[n, c]) - mx)
            dlogits[n, c] = e
            s += e
        total += np.log(s) - (float(logits[n, label]) - mx)
        for c in range(n_class):
            dlogits[n, c] = (dlogits[n, c] / s - (c == label)) / n_batch
    return total, correct


@njit(cache=True)
def backward_and_step(net, buf, lr):
    """Mirrors ``MLP.backward`` followed by ``Optimizer("sgd").step``, layer by layer from the top.
    Expects ``buf.drows[L]`` = ∂L/∂logits."""
    n_layers = len(net.weights)
    for i in range(n_layers - 1, -1, -1):
        mode = net.modes[i]
        above = net.modes[i + 1] if i < n_layers - 1 else ROWS
        if above != mode:  # ∂L/∂Z of this layer in this layer's layout
            if above == ROWS:
                _transpose(buf.drows[i + 1], buf.dcols[i + 1])
            else:
                _transpose(buf.dcols[i + 1], buf.drows[i + 1])
        need_da = i > 0  # the first layer's input is data: nobody needs its gradient
        if mode == ROWS:
            rows_backward(buf.nz_n[i], buf.nz_v[i], buf.nz_count[i], buf.drows[i + 1], net.weights[i],
                          net.masks[i], net.biases[i], lr, buf.drows[i], need_da)
        else:
            cols_backward(buf.cols[i], buf.dcols[i + 1], net.weights[i], net.indptrs[i], net.cols[i],
                          net.biases[i], lr, buf.dcols[i], need_da)


@njit(cache=True)
def sgd_steps(net, buf, x, y, order, lr, losses):
    """``order.shape[0]`` SGD steps, one minibatch ``order[t]`` (indices into x, y) each;
    x is a ``SparseRows``.

    Mirrors the loop of ``train.train``: loss and gradients, then the update. Writes each
    step's mean loss to ``losses[t]`` and returns the number of steps taken: fewer than
    asked if a loss was not finite (that step's update is not applied, as in ``train``)."""
    n_layers = len(net.weights)
    for t in range(order.shape[0]):
        idx = order[t]
        forward(net, buf, x, idx)
        total, _ = softmax_cross_entropy(buf.rows[n_layers], y, idx, buf.drows[n_layers])
        losses[t] = total / idx.size
        if not np.isfinite(losses[t]):
            return t
        backward_and_step(net, buf, lr)
    return order.shape[0]


@njit(cache=True)
def evaluate_blocks(net, buf, x, y):
    """Mean loss and accuracy over all of (x, y), forward only, ``buf``'s batch size at a time."""
    block = buf.rows[0].shape[0]
    n_layers = len(net.weights)
    n_examples = x.indptr.size - 1
    total, correct = 0.0, 0
    for start in range(0, n_examples, block):
        stop = min(start + block, n_examples)
        idx = np.arange(start, stop)
        if stop - start < block:  # the last, shorter block: pad by repeating, then count only the real ones
            idx = np.concatenate((idx, np.full(block - (stop - start), start)))
        forward(net, buf, x, idx)
        logits = buf.rows[n_layers]
        d = buf.drows[n_layers]
        t, c = softmax_cross_entropy(logits[:stop - start], y, idx[:stop - start], d[:stop - start])
        total += t
        correct += c
    return total / n_examples, correct / n_examples


# ----------------------------------------------------------------------------
# Training, as train.train does it
# ----------------------------------------------------------------------------


def supports(net, config):
    """``(True, "")`` if this engine trains ``net`` with ``config`` exactly as ``train.train``
    would; otherwise ``(False, reason)`` and the readable path must do it."""
    if config.optimizer != "sgd":
        return False, f"optimizer {config.optimizer!r} (the engine does plain SGD)"
    if net.loss_name != "softmax_cross_entropy":
        return False, f"loss {net.loss_name!r} (the engine does softmax cross-entropy)"
    if net.dtype not in (np.float32, np.float64):
        return False, f"dtype {net.dtype} (the engine does float32 and float64)"
    return True, ""


EVAL_BLOCK = 128  # examples per forward-only block when evaluating (fits the caches; 1000 was slower)


def train_fused(net, data, config, seed=0, callback=None, modes=None):
    """Train ``net`` in place exactly as ``train.train(net, data, config, seed, callback)``
    does, and return the same ``History``. ``modes`` forces a layout per layer (tests)."""
    ok, why = supports(net, config)
    if not ok:
        raise ValueError(f"the fused engine cannot train this: {why}")
    rng = as_generator(seed)
    x_train, y_train = net.check_input(data.x_train, data.y_train)
    x_val, y_val = net.check_input(data.x_val, data.y_val)
    x_test, y_test = net.check_input(data.x_test, data.y_test)
    n_train = len(x_train)
    x_train, x_val, x_test = (sparse_rows(a) for a in (x_train, x_val, x_test))
    y_train, y_val, y_test = (np.ascontiguousarray(a, dtype=np.int64) for a in (y_train, y_val, y_test))
    layers = pack(net, modes)
    sizes = net.sizes
    step_buf = buffers(sizes, config.batch_size, net.dtype)
    eval_buf = buffers(sizes, EVAL_BLOCK, net.dtype)
    lr = net.dtype.type(config.lr)
    hist, running = History(), []

    def evaluate(it):
        val_loss, val_acc = evaluate_blocks(layers, eval_buf, x_val, y_val)
        return record_evaluation(hist, running, it, float(val_loss), float(val_acc),
                                 lambda: float(evaluate_blocks(layers, eval_buf, x_test, y_test)[1]),
                                 config, callback)

    order = batches(n_train, config.batch_size, rng)
    losses = np.zeros(config.eval_every, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        evaluate(0)
        it = 0
        while it < config.iterations:
            n = min(config.eval_every - it % config.eval_every, config.iterations - it)
            chunk = np.stack([next(order) for _ in range(n)])  # the same minibatches train() would draw
            done = sgd_steps(layers, step_buf, x_train, y_train, chunk, lr, losses)
            running.extend(losses[:done].tolist())
            it += done
            hist.stopped_at = it + (done < n)
            if done < n:
                hist.diverged = True
                break
            if it % config.eval_every == 0 and not evaluate(it):
                hist.diverged = True
                break
    return hist
