"""The reference layers of ``layers.py`` and their fast twins of ``fast_layers.py``.

Finite-difference gradient checks, in float64, for every layer (and twin), loss and a whole
masked MLP: relative error is ‖a − b‖ / (‖a‖ + ‖b‖) over each gradient array (see
``lottery_np.gradcheck.rel_error``); every check below must come in under 1e-7. Then every
twin against the reference, call by call, in float64.
"""
import ast
from pathlib import Path

import numpy as np
import pytest

from lottery_np import MLP
from lottery_np.fast_layers import TWINS
from lottery_np.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from lottery_np.layers import (dense_backward, dense_forward, relu_backward, relu_forward,
                               sigmoid, sigmoid_binary_cross_entropy, softmax_cross_entropy)
from conftest import SHAPES, random_mask

MAX_REL_ERROR = 1e-7
FAST = [name for name in TWINS if name != "numpy"]


def test_the_reference_is_numpy_only_and_knows_no_backend():
    """layers.py is the specification: it imports NumPy and nothing of the package (kernels,
    sparse, fast_layers), and has no backend to branch on."""
    path = Path(__file__).resolve().parents[1] / "lottery_np" / "layers.py"
    imported = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append("." * node.level + (node.module or ""))
    assert imported == ["numpy"], imported
    assert "backend" not in path.read_text()
    assert TWINS["numpy"] == (dense_forward, dense_backward)  # the "numpy" backend is the reference itself


@pytest.mark.parametrize("backend", list(TWINS))
@pytest.mark.parametrize("density", [1.0, 0.5, 0.1])
def test_dense_backward_matches_finite_differences(rng, backend, density):
    forward, backward = TWINS[backend]
    x = rng.standard_normal((5, 7))
    w = rng.standard_normal((7, 4))
    m = random_mask(rng, (7, 4), density)
    w *= m  # the network's invariant (W = W ⊙ M); the sparse twin reads only the survivors
    b = rng.standard_normal(4)
    dout = rng.standard_normal((5, 4))
    _, cache = forward(x, w, m, b)
    dx, dw, db = backward(dout, cache)

    def f():
        return forward(x, w, m, b)[0]

    assert rel_error(dx, numerical_gradient_array(f, x, dout)) < MAX_REL_ERROR
    assert rel_error(dw, numerical_gradient_array(f, w, dout)) < MAX_REL_ERROR
    assert rel_error(db, numerical_gradient_array(f, b, dout)) < MAX_REL_ERROR
    assert np.all(dw[m == 0] == 0)  # a pruned weight gets no gradient at all




@pytest.mark.parametrize("density", [0.0, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("backend", FAST)
def test_every_twin_matches_the_reference(rng, backend, shape, density):
    """float64, one call each way: out, dX, dW and db of a twin against layers.dense_*."""
    n, d, k = shape
    x = rng.standard_normal((n, d))
    x[rng.random((n, d)) < 0.3] = 0  # zeros, as ReLU outputs and MNIST pixels have
    m = random_mask(rng, (d, k), density)
    w = rng.standard_normal((d, k)) * m
    b, dout = rng.standard_normal(k), rng.standard_normal((n, k))
    forward, backward = TWINS[backend]
    want_out, want_cache = dense_forward(x, w, m, b)
    got_out, got_cache = forward(x, w, m, b)
    tol = dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_out, want_out, **tol)
    for want, got in zip(dense_backward(dout, want_cache), backward(dout, got_cache)):
        assert type(got) is np.ndarray and got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **tol)
    dx, dw, _ = backward(dout, got_cache, need_dx=False)
    assert dx is None
    assert np.all(dw[m == 0] == 0)  # exactly, not to rounding


def test_relu_backward_matches_finite_differences(rng):
    x = rng.standard_normal((6, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the derivative does not exist
    dout = rng.standard_normal((6, 5))
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    assert rel_error(dx, numerical_gradient_array(lambda: relu_forward(x)[0], x, dout)) < MAX_REL_ERROR


def test_softmax_cross_entropy_gradient_and_value(rng):
    logits = rng.standard_normal((8, 10))
    y = rng.integers(0, 10, size=8)
    loss, dlogits = softmax_cross_entropy(logits, y)
    num = numerical_gradient(lambda: softmax_cross_entropy(logits, y)[0], logits)
    assert rel_error(dlogits, num) < MAX_REL_ERROR
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(8), y])), rel=1e-12)
    # uniform logits: loss is log C
    assert softmax_cross_entropy(np.zeros((3, 10)), np.array([1, 2, 3]))[0] == pytest.approx(np.log(10))


def test_softmax_cross_entropy_survives_huge_logits():
    loss, d = softmax_cross_entropy(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx(500.0)


def test_sigmoid_binary_cross_entropy_gradient_and_value(rng):
    logits = rng.standard_normal((4, 1)) * 3
    y = np.array([0, 1, 1, 0])
    loss, dlogits = sigmoid_binary_cross_entropy(logits, y)
    num = numerical_gradient(lambda: sigmoid_binary_cross_entropy(logits, y)[0], logits)
    assert rel_error(dlogits, num) < MAX_REL_ERROR
    p = 1 / (1 + np.exp(-logits[:, 0]))
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    big = sigmoid_binary_cross_entropy(np.array([[800.0], [-800.0]]), np.array([0, 1]))[0]
    assert big == pytest.approx(800.0)
    assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("backend", list(TWINS))
@pytest.mark.parametrize("loss,sizes", [("softmax_cross_entropy", (6, 8, 7, 5, 4)),
                                        ("sigmoid_binary_cross_entropy", (2, 6, 5, 1))])
def test_whole_masked_network_gradient(rng, backend, loss, sizes):
    """Every weight and bias of a 3+ layer network with random masks, against finite differences."""
    net = MLP.initialize(sizes, seed=rng, std=0.5, dtype=np.float64, loss=loss, backend=backend)
    net.set_masks([random_mask(rng, w.shape, 0.6) for w in net.weights])
    for b in net.biases:
        b[:] = rng.standard_normal(b.shape) * 0.1
    x = rng.standard_normal((7, sizes[0]))
    y = rng.integers(0, sizes[-1] if sizes[-1] > 1 else 2, size=7)
    _, grads = net.loss_and_grads(x, y)

    def f():
        return net.loss_and_grads(x, y)[0]

    for i, (dw, db) in enumerate(grads):
        num_w = numerical_gradient(f, net.weights[i])  # 0 at pruned entries: the forward pass ignores them
        assert rel_error(dw, num_w) < MAX_REL_ERROR, f"layer {i} weights"
        assert rel_error(db, numerical_gradient(f, net.biases[i])) < MAX_REL_ERROR, f"layer {i} biases"
        assert np.all(dw[net.masks[i] == 0] == 0)
