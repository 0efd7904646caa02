"""Fast twins of the masked Dense layer, with the signatures of ``layers.py``.

``layers.dense_forward`` / ``layers.dense_backward`` are the reference: plain
NumPy, the equations in one line each. The twins here compute the same thing
with other kernels, and ``tests/test_layers.py`` holds each one to the
reference (float64, per call and through a whole network):

* ``dense_forward_numba`` / ``dense_backward_numba`` — the Numba loops of
  ``kernels.py``, which skip inputs that are exactly zero;
* ``dense_forward_sparse`` / ``dense_backward_sparse`` — the survivors-only
  kernels of ``sparse.py``: the work follows the weights that are left.

``dense_twins`` is the one place a network's backend is chosen: ``MLP`` calls
it whenever its masks change.
"""
from functools import partial

from .errors import ConfigError
from .kernels import masked_matmul_numba, masked_matmul_t_numba, masked_weight_grad_numba
from .layers import dense_backward, dense_forward
from .sparse import (layout_from_mask, sparse_matmul_numba, sparse_matmul_t_numba,
                     sparse_weight_grad_numba, to_dense)

# ----------------------------------------------------------------------------
# Dense kernels, Numba loops
# ----------------------------------------------------------------------------


def dense_forward_numba(x, w, m, b):
    """Mirrors ``layers.dense_forward``: Y = X (W ⊙ M) + b with ``kernels.masked_matmul_numba``."""
    out = masked_matmul_numba(x, w, m) + b  # (N, D) -> (N, M)
    return out, (x, w, m)


def dense_backward_numba(dout, cache, need_dx=True):
    """Mirrors ``layers.dense_backward``: dX = dY (W ⊙ M)ᵀ, dW = (Xᵀ dY) ⊙ M, db = Σₙ dYₙ."""
    x, w, m = cache
    db = dout.sum(axis=0)  # (N, M) -> (M,)
    dx = masked_matmul_t_numba(dout, w, m) if need_dx else None  # (N, M) -> (N, D)
    dw = masked_weight_grad_numba(x, dout, m)  # -> (D, M), exactly 0 where m is 0
    return dx, dw, db


# ----------------------------------------------------------------------------
# Survivors only (CSR layout of the mask, sparse.py)
# ----------------------------------------------------------------------------


def dense_forward_sparse(x, w, m, b, layout=None):
    """Mirrors ``layers.dense_forward`` at the surviving weights only.

    ``layout`` is ``sparse.layout_from_mask(m)``; pass it to build it once per
    mask rather than once per call (``dense_twins`` does).
    """
    layout = layout if layout is not None else layout_from_mask(m)
    values = w.reshape(-1)[layout.flat]  # (nnz,) the surviving weights: W ⊙ M without the zeros
    out = sparse_matmul_numba(x, values, layout.indptr, layout.cols, layout.shape) + b  # (N, D) -> (N, M)
    return out, (x, values, layout)


def dense_backward_sparse(dout, cache, need_dx=True):
    """Mirrors ``layers.dense_backward``; dW is computed at the survivors only and then
    scattered into a dense (D, M) array, so it is exactly 0 at every pruned weight."""
    x, values, layout = cache
    csr = (layout.indptr, layout.cols, layout.shape)
    db = dout.sum(axis=0)  # (N, M) -> (M,)
    dx = sparse_matmul_t_numba(dout, values, *csr) if need_dx else None  # (N, M) -> (N, D)
    dw = to_dense(sparse_weight_grad_numba(x, dout, *csr), layout)  # (nnz,) -> (D, M)
    return dx, dw, db


# ----------------------------------------------------------------------------
# Choosing the twin
# ----------------------------------------------------------------------------

TWINS = {
    "numpy": (dense_forward, dense_backward),  # the reference itself
    "numba": (dense_forward_numba, dense_backward_numba),
    "sparse": (dense_forward_sparse, dense_backward_sparse),
}
BACKENDS = tuple(TWINS) + ("auto",)

# "auto" picks "sparse" when the network's largest layer keeps fewer than this fraction of
# its weights, and "numpy" otherwise: about where the survivors-only kernels start to beat
# NumPy's dense product on LeNet's first layer (benchmarks/crossover.py measures it on your
# machine). The choice is one for the whole network, not per layer: alternating OpenBLAS's
# and Numba's thread pools within one pass cost more than it saved (benchmarks/step_time.py).
SPARSE_BELOW = 0.05


def resolve_backend(backend, masks):
    """``backend`` itself, except that ``"auto"`` becomes ``"sparse"`` when the largest layer
    keeps fewer than ``SPARSE_BELOW`` of its weights and ``"numpy"`` otherwise."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    largest = max(masks, key=lambda m: m.size)
    return "sparse" if float(largest.mean()) < SPARSE_BELOW else "numpy"


def dense_twins(backend, masks):
    """One ``(forward, backward)`` pair per layer, for a network with these masks.

    The same pair for every layer; for ``"sparse"`` each layer's forward is bound
    to its mask's layout, built here once per mask and not on every step.
    """
    name = resolve_backend(backend, masks)
    forward, backward = TWINS[name]
    if name == "sparse":
        return [(partial(forward, layout=layout_from_mask(m)), backward) for m in masks]
    return [(forward, backward) for _ in masks]
