"""The training engine: many SGD steps of a masked MLP inside one Numba call.

This is the fast path. The readable path — ``layers.py`` → ``network.py`` → ``train.py`` — is
the specification; this package computes the same thing and ``tests/test_engine.py`` holds it
there (float64: every weight, bias and loss to 1e-10 after a step, for every kernel variant in
``KERNELS``; float32: a 200-step training agrees to rounding; the same bits every time).

What it mirrors: ``train.train`` with ``Optimizer("sgd")`` on an ``MLP`` with ReLU hidden
layers and softmax cross-entropy. Anything else (momentum, Adam, the XOR loss) is trained by
the readable path: ``supports`` says why.

Where things are
----------------
* ``paths.py``    — the one decision: each layer runs ROWS (dense weights) or COLS (survivors
  only), by the fraction of weights it keeps, with the measured crossovers beside it;
* ``rows.py``     — ROWS kernels: the first layer from the data set's sparse rows, hidden
  layers by BLAS;
* ``cols.py``     — COLS kernels: survivors only, the batch as the vector dimension;
* ``step.py``     — a whole step (forward, loss, backward + update) and ``sgd_steps``;
* ``evaluate.py`` — loss and accuracy over a data set, forward only, in large blocks;
* ``data.py``     — each data set's nonzero pixels, listed once per training.

Why it is fast
--------------
1. **Fused steps.** The ``eval_every`` iterations between two evaluations run in one call of
   ``sgd_steps``, with no Python per layer or per step.
2. **Only the arithmetic that can change a number.** The first layer multiplies only nonzero
   pixels (19% of MNIST), read straight from the data set's sparse rows, eight rows of W per
   pass over an output row; below a crossover a layer visits only its surviving weights.
   Hidden dense layers use BLAS, which at these sizes beats skipping the ReLU's zeros.
3. **The SGD step inside the backward pass.** A first-layer weight gradient is never stored:
   row d of dW is accumulated and applied at once, W[d] ← W[d] − lr · dW[d] ⊙ M[d].
4. **Deterministic.** No ``prange``; ``train_fused`` runs BLAS on one thread whatever the
   process allows (one training per core). The same inputs give the same bits.

Pruned weights stay exactly zero: a ROWS layer multiplies its gradient by the mask, a COLS
layer touches only survivors, and plain SGD has no state.
"""
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba's np.dot calls: loaded now, so that it can be limited)
from threadpoolctl import ThreadpoolController

from ..network import as_generator
from ..train import History, batches, record_evaluation
from .cols import cols_backward_step, cols_forward
from .data import Prepared, SparseRows, column_blocks, prepare, sparse_rows
from .evaluate import EVAL_BLOCK, evaluate
from .paths import COLS, ROWS, ROWS_ABOVE, Buffers, Layers, buffers, choose_modes, pack
from .rows import csr_forward, csr_weight_step, dense_backward_step, dense_forward
from .step import backward_and_step, forward, sgd_steps, softmax_cross_entropy

KERNELS = {
    # name: (layer it serves, what it computes, the reference it mirrors)
    "rows.csr_forward": ("first, ROWS", "Z = X W + b from the nonzero pixels", "layers.dense_forward"),
    "rows.csr_weight_step": ("first, ROWS", "W -= lr (Xᵀ dZ) ⊙ M, b -= lr Σ dZ", "dense_backward + sgd"),
    "rows.dense_forward": ("hidden, ROWS", "Z = A W + b by BLAS", "layers.dense_forward"),
    "rows.dense_backward_step": ("hidden, ROWS", "dA, then the SGD step, by BLAS", "dense_backward + relu_backward + sgd"),
    "cols.cols_forward": ("any, COLS", "Zᵀ = (W ⊙ M)ᵀ Aᵀ + b at the survivors", "layers.dense_forward"),
    "cols.cols_backward_step": ("any, COLS", "dAᵀ, then the SGD step at the survivors", "dense_backward + relu_backward + sgd"),
}
"""Every kernel variant. ``tests/test_engine.py`` runs a float64 step through every combination
of paths (all ROWS, all COLS, alternating) and holds it to the readable path."""

__all__ = ["train_fused", "supports", "Evaluator", "pack", "buffers", "sgd_steps", "evaluate", "prepare", "sparse_rows",
           "column_blocks", "choose_modes", "ROWS", "COLS", "ROWS_ABOVE", "EVAL_BLOCK", "KERNELS", "Layers", "Buffers",
           "SparseRows", "Prepared", "forward", "backward_and_step", "softmax_cross_entropy", "csr_forward",
           "csr_weight_step", "dense_forward", "dense_backward_step", "cols_forward", "cols_backward_step"]


# The BLAS libraries, found once (finding them costs about a millisecond per training otherwise).
BLAS = ThreadpoolController()

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


class Evaluator:
    """Loss and accuracy of ``layers`` on one data set (``SparseRows`` x, int64 labels y)."""

    def __init__(self, layers, sizes, dtype, x, y):
        self.layers, self.x, self.y = layers, x, y
        self.buf = buffers(sizes, EVAL_BLOCK, dtype, layers.modes)
        self.blocks = (column_blocks(x, sizes[0], EVAL_BLOCK) if layers.modes[0] == COLS
                       else np.zeros((1, 1, 1), dtype))

    def __call__(self):
        loss, acc = evaluate(self.layers, self.buf, self.x, self.blocks, self.y)
        return float(loss), float(acc)


def train_fused(net, data, config, seed=0, callback=None, modes=None, prepared=None):
    """Train ``net`` in place exactly as ``train.train(net, data, config, seed, callback)``
    does, and return the same ``History``.

    modes : force a path per layer (tests, benchmarks); default ``choose_modes``.
    prepared : ``prepare(data, net.dtype)``, if the caller already has it (else it is made here)."""
    ok, why = supports(net, config)
    if not ok:
        raise ValueError(f"the fused engine cannot train this: {why}")
    rng = as_generator(seed)
    net.check_input(data.x_train, data.y_train)
    net.check_input(data.x_val, data.y_val)
    net.check_input(data.x_test, data.y_test)
    d = prepare(data, net.dtype) if prepared is None else prepared
    n_train = d.train.indptr.size - 1
    layers = pack(net, modes)
    step_buf = buffers(net.sizes, config.batch_size, net.dtype, layers.modes)
    val = Evaluator(layers, net.sizes, net.dtype, d.val, d.y_val)
    test = None  # made at the first test evaluation
    lr = net.dtype.type(config.lr)
    hist, running = History(), []

    def test_accuracy():
        nonlocal test
        test = test or Evaluator(layers, net.sizes, net.dtype, d.test, d.y_test)
        return test()[1]

    def evaluate_at(it):
        val_loss, val_acc = val()
        return record_evaluation(hist, running, it, val_loss, val_acc, test_accuracy, config, callback)

    order = batches(n_train, config.batch_size, rng)
    losses = np.zeros(config.eval_every, dtype=np.float64)
    # One BLAS thread for the dense layers: a multi-threaded sgemm may split its sums differently
    # (OpenBLAS does on some CPUs), and the same seed must give the same bits on any machine setting.
    with np.errstate(over="ignore", invalid="ignore"), BLAS.limit(limits=1, user_api="blas"):
        evaluate_at(0)
        it = 0
        while it < config.iterations:
            n = min(config.eval_every - it % config.eval_every, config.iterations - it)
            chunk = np.stack([next(order) for _ in range(n)])  # the same minibatches train() would draw
            done = sgd_steps(layers, step_buf, d.train, d.y_train, chunk, lr, losses)
            running.extend(losses[:done].tolist())
            it += done
            hist.stopped_at = it + (done < n)
            if done < n:
                hist.diverged = True
                break
            if it % config.eval_every == 0 and not evaluate_at(it):
                hist.diverged = True
                break
    return hist
