"""Finite-difference gradient checks, in float64, for every layer, loss and a whole masked MLP.

Relative error is ‖a − b‖ / (‖a‖ + ‖b‖) over each gradient array (see
``lottery_np.gradcheck.rel_error``); every check below must come in under 1e-7.
"""
import numpy as np
import pytest

from lottery_np import MLP
from lottery_np.gradcheck import numerical_gradient, numerical_gradient_array, rel_error
from lottery_np.layers import (dense_backward, dense_forward, relu_backward, relu_forward,
                               sigmoid, sigmoid_binary_cross_entropy, softmax_cross_entropy)
from conftest import random_mask

MAX_REL_ERROR = 1e-7


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("density", [1.0, 0.5, 0.1])
def test_dense_backward_matches_finite_differences(rng, backend, density):
    x = rng.standard_normal((5, 7))
    w = rng.standard_normal((7, 4))
    m = random_mask(rng, (7, 4), density)
    b = rng.standard_normal(4)
    dout = rng.standard_normal((5, 4))
    _, cache = dense_forward(x, w, m, b, backend)
    dx, dw, db = dense_backward(dout, cache)

    def f():
        return dense_forward(x, w, m, b, backend)[0]

    assert rel_error(dx, numerical_gradient_array(f, x, dout)) < MAX_REL_ERROR
    assert rel_error(dw, numerical_gradient_array(f, w, dout)) < MAX_REL_ERROR
    assert rel_error(db, numerical_gradient_array(f, b, dout)) < MAX_REL_ERROR
    assert np.all(dw[m == 0] == 0)  # a pruned weight gets no gradient at all


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


@pytest.mark.parametrize("backend", ["numpy", "numba"])
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
