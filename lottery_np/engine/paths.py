"""Which kernels each layer uses, and the network and scratch arrays as the kernels see them.

The one decision of the engine: each layer runs either

* ``ROWS`` — dense weights, activations (B, D): the products run over the nonzero entries of the
  layer's input (``rows.py``: the first layer's pixels from the data set's sparse rows, a hidden
  layer's ReLU output listed by ``rows.compress``); the cost does not depend on how many weights
  are left; or
* ``COLS`` — survivors only, activations (D, B') (``cols.py``); the cost falls with the weights
  left (the forward pass in proportion to the survivors, the weight step to nonzero inputs ×
  survivors).

Every layer's input gradient is ``cols.input_grad`` (survivors only) whatever its path.

A layer runs in COLS when it keeps less than ``ROWS_ABOVE[kind]`` of its weights, where kind
is "first" (input: pixels), "hidden" (input: a ReLU output) or "output" (the last layer, 10
outputs: too narrow for a row of outputs to fill a vector, so it always runs COLS). The
crossovers were measured with ``python benchmarks/phases.py --crossover`` and a CPU-time version
of it (whole fused steps of LeNet-300-100, float32, batch 60, real MNIST minibatches, every layer
keeping the same fraction of its weights, layers forced to each path; 2-core AMD EPYC Zen 4,
one thread, the least CPU time of 5 calls of 100 steps, a test suite running
on the other core; µs per step):

    % kept    RRR    RRC    RCC    CCC       output layer: RRC < RRR at every density
     100      821    806   1042   2692       hidden layer: RCC < RRC below 40%
      60      791    768    862   1800       first layer:  CCC < RCC below 14%
      50      739    714    783   1478
      40      776    694    709   1120
      30      720    703    610    888
      20      694    667    549    691
      16      699    652    524    607
      12      693    642    508    475
       8      681    635    471    386

ROWS costs about the same at every density (it skips zero inputs, not pruned weights); COLS
costs about in proportion to the weights left. Which path a layer takes decides the order of
its sums, so moving a crossover changes the last bits of the trainings it affects (on every CPU
alike).
"""
import math
from collections import namedtuple

import numpy as np
from numba.typed import List

from ..jit import njit
from ..sparse import layout_from_mask

ROWS, COLS = 0, 1
INDEX = np.uint32  # the type of a listed row, column or example number

ROWS_ABOVE = {
    "first": 0.14,      # 784x300 with pixel inputs
    "hidden": 0.40,     # 300x100 with ReLU inputs
    "output": math.inf,  # 100x10: always COLS
}

Layers = namedtuple("Layers", "weights masks biases iptr icols optr orows modes masked")
"""The network as the kernels see it. ``weights``, ``masks``, ``biases`` are the MLP's own arrays
(updated in place). Every layer's survivors by input (``iptr``/``icols``, CSR: the input
gradient and a COLS weight step read them); a COLS layer's also by output (``optr``/``orows``,
CSC: its forward pass), empty for ROWS layers. ``modes``: ROWS or COLS per layer; ``masked``:
False where a layer keeps every weight (its mask need not be read)."""

Buffers = namedtuple("Buffers", "rows cols drows dcols active live g starts ends index value cptr fill cex cval")
"""Scratch for a batch of B. Activation l (0: input, L: logits): ``rows[l]`` (B, D_l) and
``cols[l]`` (D_l, B'), their gradients ``drows``/``dcols``, where B' is B rounded up to a
multiple of ``PAD`` so that the COLS kernels' loops over the batch have no scalar remainder
(the extra columns of a gradient are always 0, so they add nothing; those of an activation
may hold anything); ``active[l]`` which inputs of layer l are nonzero somewhere in the batch;
``live`` the active survivors of one column; ``g`` one gradient row.
The input of a ROWS layer l by its nonzeros: ``starts[l]``/``ends[l]`` (B,) each example's
span of ``index[l]``/``value[l]`` (B·D_l,) (for the first layer, of the data set's sparse rows);
the input of any layer listed by input (``rows.by_input``, ``cols.cols_by_input``), for its weight
step: ``cptr[l]``/``fill[l]``/``cex[l]``/``cval[l]``. A step's buffers serve one data set: a COLS
first layer's block ``cols[0]`` is cleared by zeroing the previous minibatch's pixels (``cols.gather``)."""


def layer_kind(i, n_layers):
    return "first" if i == 0 else "output" if i == n_layers - 1 else "hidden"


def choose_modes(masks):
    """ROWS or COLS for each layer, by its fraction of weights left (see ROWS_ABOVE)."""
    return np.array([ROWS if float(m.mean()) >= ROWS_ABOVE[layer_kind(i, len(masks))] else COLS
                     for i, m in enumerate(masks)], dtype=np.int64)


def survivors(m):
    """(iptr, icols, optr, orows): the nonzeros of a (D, M) mask by row (CSR, ``sparse.layout_from_mask``)
    and by column (the CSR of the transposed mask)."""
    by_row, by_col = layout_from_mask(m), layout_from_mask(np.asarray(m).T)
    return by_row.indptr, by_row.cols, by_col.indptr, by_col.cols


@njit(cache=True)
def as_list(arrays):
    """A tuple of arrays of one type as a typed list. The network and its scratch reach the kernels
    as lists, whose type does not depend on how many layers there are: the step and the evaluation
    are compiled once per dtype, not once per depth (a tuple's type includes its length, and every
    function that takes one was compiled again, with every kernel inlined into it, for each depth)."""
    out = List()
    for a in arrays:
        out.append(a)
    return out


def listed(arrays):
    return as_list(tuple(arrays))


def pack(net, modes=None):
    """The engine's view of an ``MLP`` (its arrays, not copies: training updates ``net``).
    ``modes`` forces a path per layer (tests and benchmarks)."""
    modes = choose_modes(net.masks) if modes is None else np.asarray(modes, dtype=np.int64)
    empty = np.zeros(1, dtype=np.int64)
    # column and row numbers as uint32: an unsigned index needs no wrap-around test, which lets LLVM
    # vectorize the loops that read through them (about 15% off the COLS kernels)
    lists = [[a.astype(INDEX, copy=False) if k % 2 else a for k, a in enumerate(survivors(m))] for m in net.masks]
    none = np.zeros(1, dtype=INDEX)
    iptr, icols = (listed(x) for x in zip(*[s[:2] for s in lists]))
    optr, orows = (listed(x) for x in zip(*[s[2:] if mode == COLS else (empty, none) for s, mode in zip(lists, modes)]))
    masked = np.array([not bool(np.all(m == 1)) for m in net.masks])
    return Layers(listed(net.weights), listed(net.masks), listed(net.biases), iptr, icols, optr, orows, modes, masked)


PAD = 16  # the COLS layout's batch dimension is a multiple of this (60 -> 64)


def buffers(sizes, batch, dtype, modes=None):
    """Scratch arrays for batches of ``batch`` examples through a network of ``sizes``."""
    padded = -(-batch // PAD) * PAD
    rows = [np.zeros((batch, s), dtype) for s in sizes]
    cols = [np.zeros((s, padded), dtype) for s in sizes]
    inputs = sizes[:-1]
    lengths = [batch * s if i > 0 else 1 for i, s in enumerate(inputs)]  # the first layer lists the data set's rows
    return Buffers(listed(rows), listed(cols), listed(np.zeros_like(a) for a in rows),
                   listed(np.zeros_like(a) for a in cols), listed(np.zeros(s, np.bool_) for s in sizes),
                   np.zeros(max(sizes), INDEX), np.zeros(max(sizes), dtype),
                   listed(np.zeros(batch, np.int64) for _ in inputs), listed(np.zeros(batch, np.int64) for _ in inputs),
                   listed(np.zeros(k, INDEX) for k in lengths), listed(np.zeros(k, dtype) for k in lengths),
                   listed(np.zeros(s + 1, np.int64) for s in inputs), listed(np.zeros(s, np.int64) for s in inputs),
                   listed(np.zeros(batch * s, INDEX) for s in inputs), listed(np.zeros(batch * s, dtype) for s in inputs))
