"""A multilayer perceptron made of masked Dense layers.

    X -> Dense(W0 ⊙ M0) -> ReLU -> Dense(W1 ⊙ M1) -> ReLU -> ... -> Dense(WL ⊙ ML) -> logits

The network is just three lists — ``weights``, ``biases``, ``masks`` — and the
layer functions of ``layers.py`` (or, with ``backend="numba"``, ``"sparse"`` or
``"auto"``, their fast twins of ``fast_layers.py``, which compute the same). Masks are data, not parameters: they have the
shape of their weight, hold only 0 and 1, and no optimizer ever changes them.
One invariant is kept at all times: a pruned weight is exactly zero
(``W == W ⊙ M``), so a reader can inspect ``weights`` and see the subnetwork.
"""
import numpy as np

from .errors import ConfigError, MaskError, ShapeError
from .fast_layers import BACKENDS, dense_twins
from .layers import LOSSES, relu_backward, relu_forward

INITS = ("normal", "glorot_normal")


def as_generator(seed):
    """A ``numpy.random.Generator`` from a seed, or the generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def init_weights(sizes, seed, std=0.1, init="normal", dtype=np.float32):
    """Fresh weights and zero biases for layer sizes like ``(784, 300, 100, 10)``.

    ``init="normal"``: W ~ N(0, std²), the paper's choice (std 0.1).
    ``init="glorot_normal"``: W ~ N(0, 2 / (fan_in + fan_out)); ``std`` is ignored.
    """
    if init not in INITS:
        raise ConfigError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    rng = as_generator(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        s = std if init == "normal" else np.sqrt(2.0 / (fan_in + fan_out))
        weights.append((s * rng.standard_normal((fan_in, fan_out))).astype(dtype))
        biases.append(np.zeros(fan_out, dtype=dtype))
    return weights, biases


def check_masks(masks, weights):
    """Masks as arrays of the weights' dtype, after checking shape and values."""
    if len(masks) != len(weights):
        raise MaskError(f"got {len(masks)} masks for {len(weights)} layers; give one mask per layer")
    checked = []
    for i, (m, w) in enumerate(zip(masks, weights)):
        m = np.asarray(m)
        if m.shape != w.shape:
            raise MaskError(f"mask {i} has shape {m.shape} but weight {i} has shape {w.shape}; a mask must match its weight")
        bad = (m != 0) & (m != 1)
        if bad.any():
            raise MaskError(f"mask {i} holds values other than 0 and 1 (e.g. {m[bad].flat[0]!r}); "
                            "a mask says only keep (1) or prune (0)")
        checked.append(m.astype(w.dtype))
    return checked


class MLP:
    """Masked multilayer perceptron: ReLU hidden layers, raw logits out.

    Parameters
    ----------
    weights : list of (fan_in, fan_out) arrays, one per layer.
    biases : list of (fan_out,) arrays.
    masks : list of 0/1 arrays shaped like ``weights``; ``None`` keeps every weight.
    loss : ``"softmax_cross_entropy"`` (MNIST) or ``"sigmoid_binary_cross_entropy"`` (XOR).
    backend : ``"numpy"`` (``layers.dense_forward``/``dense_backward``, the reference),
        ``"numba"`` (jitted dense kernels), ``"sparse"`` (survivors-only kernels) or ``"auto"``
        (sparse once the largest layer keeps less than ``fast_layers.SPARSE_BELOW`` of its
        weights, NumPy before); see ``fast_layers.dense_twins``.

    The arrays are copied, so the caller's arrays are never changed by training.
    """

    def __init__(self, weights, biases, masks=None, loss="softmax_cross_entropy", backend="numpy"):
        if len(weights) == 0 or len(weights) != len(biases):
            raise ShapeError(f"need one bias per weight and at least one layer; "
                             f"got {len(weights)} weights and {len(biases)} biases")
        weights = [np.array(w) for w in weights]
        biases = [np.array(b) for b in biases]
        for i, (w, b) in enumerate(zip(weights, biases)):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ShapeError(f"layer {i}: weight must be (fan_in, fan_out) and bias (fan_out,); got {w.shape} and {b.shape}")
            if i and w.shape[0] != weights[i - 1].shape[1]:
                raise ShapeError(f"layer {i} takes {w.shape[0]} inputs but layer {i - 1} gives {weights[i - 1].shape[1]}")
            if w.dtype != weights[0].dtype or b.dtype != w.dtype:
                raise ShapeError(f"layer {i}: all weights and biases must share one dtype "
                                 f"(got {w.dtype}, {b.dtype}, first layer {weights[0].dtype})")
        if loss not in LOSSES:
            raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.weights, self.biases = weights, biases
        self.loss_name, self.backend = loss, backend
        self.set_masks(masks if masks is not None else [np.ones_like(w) for w in weights])

    @classmethod
    def initialize(cls, sizes, seed, std=0.1, init="normal", dtype=np.float32, **kwargs):
        """A fresh network of layer ``sizes`` (inputs first, outputs last)."""
        if len(sizes) < 2 or any(int(s) != s or s < 1 for s in sizes):
            raise ConfigError(f"sizes must be two or more positive integers, e.g. (784, 300, 100, 10); got {sizes!r}")
        weights, biases = init_weights(sizes, seed, std=std, init=init, dtype=dtype)
        return cls(weights, biases, **kwargs)

    # -- structure -----------------------------------------------------------

    @property
    def sizes(self):
        return (self.weights[0].shape[0],) + tuple(w.shape[1] for w in self.weights)

    @property
    def dtype(self):
        return self.weights[0].dtype

    @property
    def n_layers(self):
        return len(self.weights)

    def set_masks(self, masks):
        """Install new masks and zero the weights they prune (``W ← W ⊙ M``)."""
        self.masks = check_masks(masks, self.weights)
        for w, m in zip(self.weights, self.masks):
            w *= m
        # each layer's (dense_forward, dense_backward): layers.py's for "numpy", else a fast twin;
        # they depend on the masks ("auto", the sparse layouts), so they are picked again here
        self.dense = dense_twins(self.backend, self.masks)

    def copy(self):
        return MLP(self.weights, self.biases, self.masks, loss=self.loss_name, backend=self.backend)

    def n_remaining(self):
        """Weights still present, per layer."""
        return [int(m.sum()) for m in self.masks]

    def fraction_remaining(self):
        """Fraction of all weights (every layer, biases not counted) still present."""
        return sum(self.n_remaining()) / sum(m.size for m in self.masks)

    # -- computation ---------------------------------------------------------

    def check_input(self, x, y=None):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ShapeError(f"inputs must be (batch, {self.sizes[0]}); got {x.shape}")
        if y is not None:
            y = np.asarray(y)
            if y.shape[0] != x.shape[0]:
                raise ShapeError(f"{x.shape[0]} inputs but {y.shape[0]} labels")
        return x.astype(self.dtype, copy=False), y

    def forward(self, x):
        """Logits (N, C) and the caches backward needs: h ← ReLU(h (Wᵢ ⊙ Mᵢ) + bᵢ) layer by
        layer from h = x; the last layer has no ReLU, and its output is the logits."""
        h, caches = x, []
        for i, (w, m, b) in enumerate(zip(self.weights, self.masks, self.biases)):
            dense_forward, _ = self.dense[i]
            h, cache = dense_forward(h, w, m, b)  # (N, D_i) -> (N, D_i+1)
            caches.append(cache)
            if i < self.n_layers - 1:
                h, cache = relu_forward(h)
                caches.append(cache)
        return h, caches

    def backward(self, dlogits, caches):
        """Per-layer gradients ``[(dW0, db0), (dW1, db1), ...]`` from ∂L/∂logits:
        the layers of ``forward`` in reverse, each backward taking the cache its forward left."""
        grads, d = [], dlogits
        for i in reversed(range(self.n_layers)):
            _, dense_backward = self.dense[i]
            if i < self.n_layers - 1:
                d = relu_backward(d, caches.pop())
            d, dw, db = dense_backward(d, caches.pop(), need_dx=i > 0)  # dx of the data is not needed
            grads.append((dw, db))
        return grads[::-1]

    def loss_and_grads(self, x, y):
        """Mean loss over the batch and the gradient of every weight and bias."""
        logits, caches = self.forward(x)
        loss, dlogits = LOSSES[self.loss_name](logits, y)
        return loss, self.backward(dlogits, caches)

    def predict(self, x):
        """Predicted labels: argmax of the logits (or logit > 0 for one sigmoid output)."""
        logits, _ = self.forward(x)
        if logits.shape[1] == 1:
            return (logits[:, 0] > 0).astype(np.int64)
        return logits.argmax(axis=1)

    def evaluate(self, x, y):
        """(mean loss, accuracy) on a whole data set, without gradients."""
        x, y = self.check_input(x, y)
        logits, _ = self.forward(x)
        loss, _ = LOSSES[self.loss_name](logits, y)
        if logits.shape[1] == 1:
            pred = (logits[:, 0] > 0).astype(np.int64)
        else:
            pred = logits.argmax(axis=1)
        return loss, float(np.mean(pred == y))

    def state(self):
        """Arrays and settings as a flat dict (for ``np.savez`` or a results file)."""
        d = {"loss": self.loss_name, "backend": self.backend, "n_layers": len(self.weights)}
        for i, (w, b, m) in enumerate(zip(self.weights, self.biases, self.masks)):
            d[f"w{i}"], d[f"b{i}"], d[f"m{i}"] = w, b, m
        return d

    @classmethod
    def from_state(cls, d):
        n = int(d["n_layers"])
        return cls([d[f"w{i}"] for i in range(n)], [d[f"b{i}"] for i in range(n)],
                   [d[f"m{i}"] for i in range(n)], loss=str(d["loss"]), backend=str(d["backend"]))

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, remaining={100 * self.fraction_remaining():.2f}%, "
                f"loss={self.loss_name}, backend={self.backend})")
