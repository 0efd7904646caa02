"""Short real trainings of LeNet-300-100 on MNIST with the paper's settings."""
import numpy as np
import pytest

from lottery_np import MLP, TrainConfig, load_mnist, oneshot_pruning, train


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_lenet_short_run_beats_85_percent(mnist, backend):
    net = MLP.initialize((784, 300, 100, 10), seed=0, backend=backend)
    h = train(net, mnist, TrainConfig(iterations=400, eval_every=100), seed=0)
    assert h.test_accuracy > 0.85, h.test_accuracy
    assert not h.diverged


def test_a_pruned_ticket_still_trains(mnist):
    theta0 = MLP.initialize((784, 300, 100, 10), seed=1)
    levels = oneshot_pruning(theta0, mnist, TrainConfig(iterations=300, eval_every=100), fractions=[0.2], seed=0)
    # (0.2 · 265,200 hidden + 0.6 · 1,000 output) / 266,200 = 20.15%
    assert levels[1].percent_remaining == pytest.approx(20.15, abs=0.01)
    assert levels[1].history.test_accuracy > 0.85
    assert all(np.all(w[m == 0] == 0) for w, m in zip(levels[1].net.weights, levels[1].masks))
