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
* ``rows.py``     — ROWS kernels: products over the nonzero entries of a layer's input (the data
  set's sparse rows for the first layer, a ReLU output listed by ``compress`` above it);
* ``cols.py``     — COLS kernels: survivors only, the batch as the vector dimension; and every
  layer's input gradient (it costs in proportion to the survivors);
* ``step.py``     — a whole step (forward, loss, backward + update) and ``sgd_steps``;
* ``evaluate.py`` — loss and accuracy over a data set, forward only, in large blocks;
* ``mathfn.py``   — exp and log from + − × ÷ alone (the C library's differ between CPUs);
* ``data.py``     — each data set's nonzero pixels, listed once per training.

Why it is fast
--------------
1. **Fused steps.** The ``eval_every`` iterations between two evaluations run in one call of
   ``sgd_steps``, with no Python per layer or per step.
2. **Only the arithmetic that can change a number.** A ROWS layer multiplies only the nonzero
   entries of its input — the pixels (19% of MNIST), read straight from the data set's sparse
   rows, and the ReLU's nonzero outputs (about half) — eight rows of W per pass over an output
   row; a COLS layer visits only its surviving weights, and so does every input gradient.
3. **The SGD step inside the backward pass.** A weight gradient is never stored whole: row d of
   dW is accumulated and applied at once, W[d] ← W[d] − lr · dW[d] ⊙ M[d].

The same bits on every x86-64 CPU
---------------------------------
A training's numbers — every weight, every loss, the convergence iteration — are a function
of its inputs (network, masks, data, seed, settings) and of this code, not of the machine:

* **no BLAS** (its kernels differ by CPU and thread count: OpenBLAS's Haswell and Sandybridge
  kernels gave three different weight hashes in one training of the previous engine);
* **no libm**: exp and log are ``mathfn``'s, built from IEEE-754 operations (glibc picks an
  FMA variant of its own on CPUs that have FMA, with other last bits);
* **no ``fastmath``**: LLVM may not reorder a sum or fuse a multiply and an add (which it
  would do differently for each CPU's vector width and FMA support), and **no ``prange``**;
* **every sum in an order the code fixes**: products are vectorized across independent
  outputs (a row of W times an input added into an output row; a row of Zᵀ or dAᵀ over the
  batch; a weight gradient across a row's survivors), each output's terms added in turn, a few
  at a time as a fixed tree — never a reduction whose order depends on the vector width.

Tested (``tests/test_same_bits.py``, in the default suite): short trainings of LeNet-300-100 at
100%, 21% and 3.6% of the weights (every kernel path) give identical weights, losses and
convergence iterations under ``OPENBLAS_CORETYPE=Haswell`` and ``=Sandybridge``,
``NUMBA_CPU_NAME=generic`` (x86-64 with SSE2 only, against the host's AVX-512 code) and
``GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA`` — on one AMD EPYC (Zen 4). Same-bits therefore
holds between x86-64 CPUs from SSE2-only to AVX-512, with or without FMA. **Not** guaranteed:
other versions of Numba/llvmlite or NumPy (NumPy's ``Generator`` draws the initial weights and
the minibatch order; a new LLVM is not bound to today's instruction choices), other
architectures (ARM, POWER: not tested), a change of the crossovers in ``paths.py`` (a layer that
switches path sums in another order), and the readable path (NumPy with BLAS), which the engine
matches to rounding, not to the bit.
The runner runs one training per core and the numbers do not depend on the number of jobs.

Pruned weights stay exactly zero: a ROWS layer multiplies its gradient by the mask, a COLS
layer and the input gradient touch only survivors, and plain SGD has no state.
"""
import numpy as np

from ..network import as_generator
from ..train import History, batches, record_evaluation
from .cols import cols_forward, input_grad, survivor_weight_step
from .data import Prepared, SparseRows, column_blocks, prepare, sparse_rows
from .evaluate import EVAL_BLOCK, evaluate
from .paths import COLS, ROWS, ROWS_ABOVE, Buffers, Layers, buffers, choose_modes, pack
from .rows import compress, csr_forward, csr_weight_step
from .step import backward_and_step, forward, sgd_steps, softmax_cross_entropy

KERNELS = {
    # name: (layer it serves, what it computes, the reference it mirrors)
    "rows.csr_forward": ("any, ROWS", "Z = A W + b from A's nonzero entries (pixels, or a ReLU output by rows.compress)",
                         "layers.dense_forward + relu_forward"),
    "rows.csr_weight_step": ("any, ROWS", "W -= lr (Aᵀ dZ) ⊙ M, b -= lr Σ dZ, from A's nonzeros by input",
                             "dense_backward (dW, db) + sgd"),
    "cols.input_grad": ("hidden, any", "dAᵀ = (W ⊙ M) dZᵀ at the survivors, then the ReLU below",
                        "dense_backward (dA) + relu_backward"),
    "cols.cols_forward": ("any, COLS", "Zᵀ = (W ⊙ M)ᵀ Aᵀ + b at the survivors", "layers.dense_forward + relu_forward"),
    "cols.survivor_weight_step": ("any, COLS", "W -= lr Aᵀ dZ at the survivors, b -= lr Σ dZ, from A's nonzeros by input",
                                  "dense_backward (dW, db) + sgd"),
}
"""Every kernel variant (the products; each has the same bits on every CPU, see the module
docstring). ``tests/test_engine.py`` runs a float64 step through every combination of paths
(all ROWS, all COLS, alternating) and holds it to the readable path."""

__all__ = ["train_fused", "supports", "Evaluator", "pack", "buffers", "sgd_steps", "evaluate", "prepare", "sparse_rows",
           "column_blocks", "choose_modes", "ROWS", "COLS", "ROWS_ABOVE", "EVAL_BLOCK", "KERNELS", "Layers",
           "Buffers", "SparseRows", "Prepared", "forward", "backward_and_step", "softmax_cross_entropy", "compress",
           "csr_forward", "csr_weight_step", "input_grad", "cols_forward", "survivor_weight_step"]


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
    with np.errstate(over="ignore", invalid="ignore"):
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
