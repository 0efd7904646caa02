"""Evaluation: loss and accuracy over a whole data set, forward only, in large blocks.

Mirrors ``MLP.evaluate``. No backward bookkeeping: no gradients, no lists of inputs by input.
Each layer runs its path's forward kernel on ``EVAL_BLOCK`` examples at a time — a first ROWS
layer straight from the data set's sparse rows, a hidden ROWS layer from its input's nonzeros
(``rows.compress``), COLS layers at their survivors; a COLS first layer reads the data set as
dense transposed blocks (``data.column_blocks``), made once per training. The same kernels as
a training step, so the same bits on every CPU (``engine`` docstring).
"""
from ..jit import njit
from .cols import cols_forward, find_active
from .mathfn import exp_for, log
from .paths import ROWS
from .rows import compress, csr_forward
from .step import transpose

EVAL_BLOCK = 256  # examples per forward-only block (benchmarks/step_time.py: 128 to 1000 within a few %)


@njit(cache=True)
def loss_and_correct(logits, y, start):
    """Summed softmax cross-entropy and number correct of logits (n, C) for labels y[start:start+n]
    (``mathfn``'s exp and log, each exp rounded to the logits' dtype, as ``step.softmax_cross_entropy``)."""
    total, correct = 0.0, 0
    for n in range(logits.shape[0]):
        label = y[start + n]
        mx = logits[n, 0]
        best = 0
        for c in range(1, logits.shape[1]):
            if logits[n, c] > mx:
                mx, best = logits[n, c], c
        correct += best == label
        s = 0.0
        for c in range(logits.shape[1]):
            s += logits.dtype.type(exp_for(float(logits[n, c] - mx), logits.itemsize))
        total += log(s) - (float(logits[n, label]) - float(mx))
    return total, correct


@njit(cache=True)
def eval_layer(net, buf, x, blocks, k, start, n, i):
    """Layer i's forward pass on block k (examples start … start + n − 1)."""
    mode, relu = net.modes[i], i < len(net.weights) - 1
    w, b = net.weights[i], net.biases[i]
    if mode == ROWS:
        out = buf.rows[i + 1][:n]
        if i == 0:
            csr_forward(x.indptr[start:start + n], x.indptr[start + 1:start + n + 1], x.index, x.value, w, b, out, relu)
        else:
            compress(buf.rows[i][:n], buf.starts[i], buf.ends[i], buf.index[i], buf.value[i])
            csr_forward(buf.starts[i][:n], buf.ends[i][:n], buf.index[i], buf.value[i], w, b, out, relu)
    else:
        at = blocks[k] if i == 0 else buf.cols[i]
        find_active(at, buf.active[i])
        cols_forward(at, buf.active[i], w, net.optr[i], net.orows[i], b, buf.cols[i + 1], relu, buf.live)
    above = net.modes[i + 1] if relu else ROWS
    if above != mode:
        if mode == ROWS:
            transpose(buf.rows[i + 1][:n], buf.cols[i + 1])
        else:
            transpose(buf.cols[i + 1], buf.rows[i + 1][:n])


@njit(cache=True)
def evaluate(net, buf, x, blocks, y):
    """Mean loss and accuracy over all of (x, y); x: ``SparseRows``; blocks: x as
    ``column_blocks`` of ``buf``'s block size if the first layer is COLS (else unused)."""
    block = buf.rows[0].shape[0]
    n_layers = len(net.weights)
    n_examples = x.indptr.size - 1
    total, correct = 0.0, 0
    for k, start in enumerate(range(0, n_examples, block)):
        n = min(block, n_examples - start)
        for i in range(n_layers):
            eval_layer(net, buf, x, blocks, k, start, n, i)
        t, c = loss_and_correct(buf.rows[n_layers][:n], y, start)
        total += t
        correct += c
    return total / n_examples, correct / n_examples
