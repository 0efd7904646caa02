"""The data as the engine reads it: each data set's nonzero pixels, listed once per training.

MNIST is about 81% zeros. A minibatch's first-layer products only need an example's nonzero
inputs, so each data set is listed once, example by example, in compressed sparse rows
(``SparseRows``); a step then reads its 60 examples straight from these lists, with no
per-step copy of the minibatch.

The lists are passed explicitly (``train_fused`` builds them once per training; a caller
that trains many networks on one data set may build them once with ``prepare`` and pass them
in). Nothing is cached by object identity.
"""
from collections import namedtuple

import numpy as np

SparseRows = namedtuple("SparseRows", "indptr index value")
"""A data set's inputs by their nonzero entries (CSR by example): example e has value[p] at
input index[p] for p in indptr[e]:indptr[e+1] (index: uint16 where the inputs are few enough)."""

Prepared = namedtuple("Prepared", "train val test y_train y_val y_test")
"""The three data sets of a ``Dataset`` as ``SparseRows``, with int64 labels."""


def sparse_rows(x):
    """``SparseRows`` of x: (N, D)."""
    x = np.asarray(x)
    nonzero = x != 0
    indptr = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(nonzero.sum(axis=1), out=indptr[1:])
    # Input indices as uint16 where they fit (784 pixels do): a step reads its 60 examples' rows
    # from memory, and smaller rows are read faster (benchmarks/phases.py, the "input" phase).
    index_type = np.uint16 if x.shape[1] <= np.iinfo(np.uint16).max + 1 else np.int64
    return SparseRows(indptr, np.nonzero(nonzero)[1].astype(index_type), np.ascontiguousarray(x[nonzero]))


def prepare(data, dtype=np.float32):
    """The engine's view of a ``Dataset``: every split as ``SparseRows`` of ``dtype``, labels int64."""
    def xs(x):
        return sparse_rows(np.asarray(x).astype(dtype, copy=False))

    def ys(y):
        return np.ascontiguousarray(y, dtype=np.int64)

    return Prepared(xs(data.x_train), xs(data.x_val), xs(data.x_test), ys(data.y_train), ys(data.y_val), ys(data.y_test))


def column_blocks(rows, n_inputs, block):
    """A data set as dense blocks of ``block`` examples, transposed: (n_blocks, D, block).

    Block k holds examples k·block … (k+1)·block − 1 as columns (the last block is padded with
    zeros). This is the layout a survivors-only first layer reads at evaluation: each of its
    rows is a contiguous run of ``block`` examples."""
    n = rows.indptr.size - 1
    n_blocks = -(-n // block)
    out = np.zeros((n_blocks, n_inputs, block), dtype=rows.value.dtype)
    example = np.repeat(np.arange(n), np.diff(rows.indptr))
    out[example // block, rows.index, example % block] = rows.value
    return out
