"""A whole SGD step of the network — forward, loss, backward and update — and many of them in one call.

Mirrors ``MLP.loss_and_grads`` followed by ``Optimizer("sgd").step``: Dense → ReLU → … → Dense →
softmax cross-entropy, then every layer from the top. Each layer runs its own path
(``paths.py``); an activation is transposed only where two neighbouring layers use different
layouts (a ROWS layer's input gradient is computed transposed, ``cols.input_grad``, and
transposed back).
"""
import numpy as np

from ..jit import njit
from .cols import cols_by_input, cols_forward, find_active, gather, input_grad, relu_cols, survivor_weight_step
from .mathfn import exp_for, log
from .paths import ROWS
from .rows import by_input, compress, csr_forward, csr_weight_step, relu_transpose


@njit(cache=True)
def transpose(src, dst):
    """dst = srcᵀ where both have room (a COLS buffer's batch dimension may be padded)."""
    for i in range(min(src.shape[0], dst.shape[1])):
        for j in range(min(src.shape[1], dst.shape[0])):
            dst[j, i] = src[i, j]


@njit(cache=True)
def load_input(net, buf, x, idx):
    """The minibatch idx of x (``SparseRows``) as the first layer reads it: each example's span
    of the sparse rows (both paths: a weight step lists them by input), and for COLS a dense
    transposed block."""
    if net.modes[0] == ROWS:
        for n in range(idx.size):
            buf.starts[0][n], buf.ends[0][n] = x.indptr[idx[n]], x.indptr[idx[n] + 1]
    else:
        gather(x.index, x.value, x.indptr, idx, buf.starts[0], buf.ends[0], buf.cols[0], buf.active[0])


@njit(cache=True)
def forward_layer(net, buf, x, i):
    """Layer i's forward pass (ReLU included below the top), its output in the layout of the layer above."""
    n_layers = len(net.weights)
    mode, relu = net.modes[i], i < n_layers - 1
    w, b = net.weights[i], net.biases[i]
    if mode == ROWS:
        out = buf.rows[i + 1]
        if i == 0:  # pixels, from the data set's sparse rows
            csr_forward(buf.starts[0], buf.ends[0], x.index, x.value, w, b, out, relu)
        else:  # a ReLU output: its nonzeros listed first
            compress(buf.rows[i], buf.starts[i], buf.ends[i], buf.index[i], buf.value[i])
            csr_forward(buf.starts[i], buf.ends[i], buf.index[i], buf.value[i], w, b, out, relu)
    else:
        out = buf.cols[i + 1]
        if i > 0:
            find_active(buf.cols[i], buf.active[i])
        cols_forward(buf.cols[i], buf.active[i], w, net.optr[i], net.orows[i], b, out, relu, buf.live)
    above = net.modes[i + 1] if relu else ROWS  # the loss reads logits row by row
    if above != mode:
        if mode == ROWS:
            transpose(out, buf.cols[i + 1])
        else:
            transpose(out, buf.rows[i + 1])


@njit(cache=True)
def forward(net, buf, x, idx):
    """Logits for the examples ``idx`` of x (``SparseRows``), left in ``buf.rows[L]`` (B, C)."""
    load_input(net, buf, x, idx)
    for i in range(len(net.weights)):
        forward_layer(net, buf, x, i)


@njit(cache=True)
def softmax_cross_entropy(logits, y, idx, dlogits):
    """Mirrors ``layers.softmax_cross_entropy``: returns the summed loss and the number
    correct over the batch; dlogits (B, C) gets (p − onehot(y)) / B. exp and log are
    ``mathfn``'s (the same bits on every CPU); each exp is rounded to the logits' dtype, as the
    readable path computes it in that dtype."""
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
            # the shift in the logits' dtype, as the readable path; exp rounded to it on the way in
            dlogits[n, c] = exp_for(float(logits[n, c] - mx), logits.itemsize)
            s += dlogits[n, c]
        total += log(s) - (float(logits[n, label]) - float(mx))
        for c in range(n_class):
            dlogits[n, c] = (dlogits[n, c] / s - (c == label)) / n_batch
    return total, correct


@njit(cache=True)
def backward_layer(net, buf, x, lr, i):
    """Layer i's backward pass and SGD step; expects ∂L/∂Z of layer i in the layout of the layer above,
    and leaves ∂L/∂Z of layer i − 1 (its ReLU folded in) in this layer's layout."""
    n_layers = len(net.weights)
    mode = net.modes[i]
    above = net.modes[i + 1] if i < n_layers - 1 else ROWS
    w, m, b = net.weights[i], net.masks[i], net.biases[i]
    # both layouts of ∂L/∂Z: rows for the weight step, transposed for the input gradient
    if above == ROWS and i > 0:
        transpose(buf.drows[i + 1], buf.dcols[i + 1])
    elif above != ROWS:
        transpose(buf.dcols[i + 1], buf.drows[i + 1])
    # the layer's input listed by input
    if i == 0:  # the minibatch's pixels
        by_input(buf.starts[0], buf.ends[0], x.index, x.value, buf.cptr[0], buf.fill[0], buf.cex[0], buf.cval[0],
                 buf.active[0])
    elif mode == ROWS:
        by_input(buf.starts[i], buf.ends[i], buf.index[i], buf.value[i], buf.cptr[i], buf.fill[i], buf.cex[i],
                 buf.cval[i], buf.active[i])
    else:
        cols_by_input(buf.cols[i], buf.rows[0].shape[0], buf.cptr[i], buf.cex[i], buf.cval[i], buf.active[i])
    if i > 0:  # the input gradient, with the old W (the first layer's input is data: nobody needs it)
        input_grad(buf.dcols[i + 1], w, net.iptr[i], net.icols[i], buf.active[i], buf.dcols[i])
        if mode == ROWS:
            relu_transpose(buf.dcols[i], buf.rows[i], buf.drows[i])
        else:
            relu_cols(buf.cols[i], buf.dcols[i])
    if mode == ROWS:
        csr_weight_step(buf.cptr[i], buf.cex[i], buf.cval[i], buf.drows[i + 1], w, m, b, lr, buf.g, net.masked[i])
    else:
        survivor_weight_step(buf.cptr[i], buf.cex[i], buf.cval[i], buf.drows[i + 1], w, net.iptr[i], net.icols[i], b, lr,
                             buf.g)


@njit(cache=True)
def backward_and_step(net, buf, x, lr):
    """Mirrors ``MLP.backward`` then ``Optimizer("sgd").step``, layer by layer from the top.
    Expects ``buf.drows[L]`` = ∂L/∂logits."""
    for i in range(len(net.weights) - 1, -1, -1):
        backward_layer(net, buf, x, lr, i)


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
        backward_and_step(net, buf, x, lr)
    return order.shape[0]
