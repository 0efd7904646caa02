import numpy as np
import pytest

from lottery_np import MLP, ConfigError, Optimizer
from lottery_np.pruning import prune_by_magnitude


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    net = MLP.initialize((12, 16, 8, 3), seed=seed, std=0.5)
    x = rng.standard_normal((32, 12)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    return net, x, y


def test_one_sgd_step_by_hand():
    """A 1-1 network: w=2, b=0, x=1, y=1 with sigmoid BCE. z=2, p=σ(2)=0.8808,
    dL/dz = p − y = −0.1192, so dw = −0.1192 and after lr=0.5: w = 2.0596, b = 0.0596."""
    net = MLP([np.array([[2.0]])], [np.array([0.0])], loss="sigmoid_binary_cross_entropy")
    loss, grads = net.loss_and_grads(np.array([[1.0]]), np.array([1]))
    assert loss == pytest.approx(np.log(1 + np.exp(-2.0)))
    Optimizer("sgd", lr=0.5).step(net, grads)
    p = 1 / (1 + np.exp(-2.0))
    assert net.weights[0][0, 0] == pytest.approx(2 - 0.5 * (p - 1))
    assert net.biases[0][0] == pytest.approx(-0.5 * (p - 1))


@pytest.mark.parametrize("name,settings", [("sgd", {}), ("momentum", {"beta": 0.9}), ("adam", {})])
def test_pruned_weights_stay_exactly_zero(name, settings):
    net, x, y = small_problem()
    net.set_masks(prune_by_magnitude(net.weights, net.masks, [0.6, 0.6, 0.3]))
    opt = Optimizer(name, lr=0.05 if name != "adam" else 0.01, **settings)
    for _ in range(300):
        _, grads = net.loss_and_grads(x, y)
        opt.step(net, grads)
    for w, m in zip(net.weights, net.masks):
        assert np.all(w[m == 0] == 0)
        assert np.any(w[m == 1] != 0)
    for (kind, i), state in opt.state.items():
        for arr in state.values():
            if kind == "w":
                assert np.all(arr[net.masks[i] == 0] == 0)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_history_from_before_pruning_does_not_revive_a_weight(name):
    """Train dense so momentum/Adam state is nonzero everywhere, prune, keep the same optimizer:
    the state carried over must not move the pruned weights."""
    net, x, y = small_problem(1)
    opt = Optimizer(name, lr=0.05)
    for _ in range(50):
        opt.step(net, net.loss_and_grads(x, y)[1])
    net.set_masks(prune_by_magnitude(net.weights, net.masks, [0.5, 0.5, 0.25]))
    # the test means something only if the carried-over state is nonzero where weights were just pruned
    assert all(np.any(s[net.masks[i] == 0] != 0) for (k, i), st in opt.state.items() if k == "w" for s in st.values())
    for _ in range(50):
        opt.step(net, net.loss_and_grads(x, y)[1])
    for w, m in zip(net.weights, net.masks):
        assert np.all(w[m == 0] == 0)


def test_optimizers_reduce_the_loss():
    for name in ("sgd", "momentum", "adam"):
        net, x, y = small_problem(2)
        opt = Optimizer(name, lr=0.05 if name != "adam" else 0.01)
        first = net.loss_and_grads(x, y)[0]
        for _ in range(200):
            loss, grads = net.loss_and_grads(x, y)
            opt.step(net, grads)
        assert loss < 0.5 * first, name


def test_bad_optimizer_settings():
    with pytest.raises(ConfigError, match="unknown optimizer 'rmsprop'"):
        Optimizer("rmsprop")
    with pytest.raises(ConfigError, match="learning rate must be positive"):
        Optimizer("sgd", lr=-1)


def test_a_setting_the_rule_does_not_take_is_refused_by_name():
    with pytest.raises(ConfigError, match="momentum takes no setting beat; its settings are beta"):
        Optimizer("momentum", lr=0.1, beat=0.5)
    with pytest.raises(ConfigError, match="sgd takes no setting beta"):
        Optimizer("sgd", lr=0.1, beta=0.9)
    assert Optimizer("adam", lr=0.1, beta1=0.8, eps=1e-7).settings["beta1"] == 0.8
