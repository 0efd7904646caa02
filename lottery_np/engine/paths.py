"""Which kernels each layer uses, and the network and scratch arrays as the kernels see them.

The one decision of the engine: each layer runs either

* ``ROWS`` — dense weights, activations (B, D): the first layer reads the minibatch's nonzero
  pixels from the data set's sparse rows (``rows.csr_forward``), a hidden layer uses BLAS
  (``rows.dense_forward``); the cost does not depend on how many weights are left; or
* ``COLS`` — survivors only, activations (D, B) (``cols.py``); the cost is proportional to the
  weights left.

A layer runs in COLS when it keeps less than ``ROWS_ABOVE[kind]`` of its weights, where kind
is "first" (input: pixels) or "hidden" (input: a ReLU output). The crossovers were measured
with ``python benchmarks/phases.py --crossover`` (whole fused steps of LeNet-300-100, float32,
batch 60, real MNIST minibatches, every layer keeping the same fraction of its weights, layers
forced to each path; 2-core Intel Xeon with AVX-512, one thread, medians; µs per step):

    % kept    RRR    CRR    RCC    CCC        first layer: CRR < RRR and CCC < RCC from 16%
      30      524    776    574    763        hidden layers: RCC ≈ RRR at 20-25%, lower at 16%;
      25      526    727    531    648                       CCC < CRR from 30%
      20      515    623    515    548
      16      536    556    492    433
      12      516    463    480    355
       8      529    416    457    255

ROWS costs the same at every density (it skips zero pixels and BLAS skips nothing); COLS costs
about in proportion to the weights left.
"""
from collections import namedtuple

import numpy as np

from ..sparse import layout_from_mask
from .cols import LANES

ROWS, COLS = 0, 1

ROWS_ABOVE = {
    "first": 0.16,   # 784x300 with pixel inputs
    "hidden": 0.25,  # 300x100 and 100x10 with ReLU inputs
}

Layers = namedtuple("Layers", "weights masks biases iptr icols optr orows modes masked")
"""The network as the kernels see it. ``weights``, ``masks``, ``biases`` are the MLP's own arrays
(updated in place). Every layer's survivors by input (``iptr``/``icols``, CSR: the input
gradient and a COLS weight step read them); a COLS layer's also by output (``optr``/``orows``,
CSC: its forward pass), empty for ROWS layers. ``modes``: ROWS or COLS per layer; ``masked``:
False where a layer keeps every weight (its mask need not be read)."""

Buffers = namedtuple("Buffers", "rows cols drows dcols active live g lanes starts ends index value cptr fill cex cval")
"""Scratch for a batch of B. Activation l (0: input, L: logits): ``rows[l]`` (B, D_l) and
``cols[l]`` (D_l, B'), their gradients ``drows``/``dcols``, where B' is B rounded up to a
multiple of ``PAD`` so that the COLS kernels' loops over the batch have no scalar remainder
(the extra columns of a gradient are always 0, so they add nothing; those of an activation
may hold anything); ``active[l]`` which inputs of layer l are nonzero somewhere in the batch;
``live`` the active survivors of one column; ``g`` one gradient row; ``lanes`` the partial
sums of a sum over the batch (``cols.LANES``).
The input of a ROWS layer l by its nonzeros: ``starts[l]``/``ends[l]`` (B,) each example's
span of ``index[l]``/``value[l]`` (B·D_l,) (for the first layer, of the data set's sparse rows),
and the same listed by input (``rows.by_input``): ``cptr[l]``/``fill[l]``/``cex[l]``/``cval[l]``."""


def layer_kind(i):
    return "first" if i == 0 else "hidden"


def choose_modes(masks):
    """ROWS or COLS for each layer, by its fraction of weights left (see ROWS_ABOVE)."""
    return np.array([ROWS if float(m.mean()) >= ROWS_ABOVE[layer_kind(i)] else COLS
                     for i, m in enumerate(masks)], dtype=np.int64)


def survivors(m):
    """(iptr, icols, optr, orows): the nonzeros of a (D, M) mask by row (CSR, ``sparse.layout_from_mask``)
    and by column (the CSR of the transposed mask)."""
    by_row, by_col = layout_from_mask(m), layout_from_mask(np.asarray(m).T)
    return by_row.indptr, by_row.cols, by_col.indptr, by_col.cols


def pack(net, modes=None):
    """The engine's view of an ``MLP`` (its arrays, not copies: training updates ``net``).
    ``modes`` forces a path per layer (tests and benchmarks)."""
    modes = choose_modes(net.masks) if modes is None else np.asarray(modes, dtype=np.int64)
    empty = np.zeros(1, dtype=np.int64)
    lists = [survivors(m) for m in net.masks]
    iptr, icols = (tuple(x) for x in zip(*[s[:2] for s in lists]))
    optr, orows = (tuple(x) for x in zip(*[s[2:] if mode == COLS else (empty, empty) for s, mode in zip(lists, modes)]))
    masked = np.array([not bool(np.all(m == 1)) for m in net.masks])
    return Layers(tuple(net.weights), tuple(net.masks), tuple(net.biases), iptr, icols, optr, orows, modes, masked)


PAD = 16  # the COLS layout's batch dimension is a multiple of this (60 -> 64) and of cols.LANES


def buffers(sizes, batch, dtype, modes=None):
    """Scratch arrays for batches of ``batch`` examples through a network of ``sizes``."""
    padded = -(-batch // PAD) * PAD
    rows = tuple(np.zeros((batch, s), dtype) for s in sizes)
    cols = tuple(np.zeros((s, padded), dtype) for s in sizes)
    inputs = sizes[:-1]
    listed = [batch * s if i > 0 else 1 for i, s in enumerate(inputs)]  # the first layer lists the data set's rows
    return Buffers(rows, cols, tuple(np.zeros_like(a) for a in rows), tuple(np.zeros_like(a) for a in cols),
                   tuple(np.zeros(s, np.bool_) for s in sizes), np.zeros(max(sizes), np.int64),
                   np.zeros(max(sizes), dtype), np.zeros(LANES, dtype),
                   tuple(np.zeros(batch, np.int64) for _ in inputs), tuple(np.zeros(batch, np.int64) for _ in inputs),
                   tuple(np.zeros(k, np.int64) for k in listed), tuple(np.zeros(k, dtype) for k in listed),
                   tuple(np.zeros(s + 1, np.int64) for s in inputs), tuple(np.zeros(s, np.int64) for s in inputs),
                   tuple(np.zeros(batch * s, np.int64) for s in inputs), tuple(np.zeros(batch * s, dtype) for s in inputs))
