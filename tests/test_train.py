import json

import numpy as np
import pytest

from lottery_np import (ConfigError, Dataset, MLP, TrainConfig, iterative_pruning, oneshot_pruning,
                        percent_remaining, train)


def blobs(seed=0, n=600, d=10, classes=3):
    """A small learnable problem: Gaussian blobs, split 400 / 100 / 100."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, d)) * 2
    y = rng.integers(0, classes, size=n)
    x = (centers[y] + rng.standard_normal((n, d))).astype(np.float32)
    return Dataset(x[:400], y[:400], x[400:500], y[400:500], x[500:], y[500:])


CFG = TrainConfig(iterations=200, batch_size=20, lr=0.1, eval_every=20)


def test_training_learns_and_history_is_consistent():
    net = MLP.initialize((10, 16, 8, 3), seed=0)
    h = train(net, blobs(), CFG, seed=0)
    assert h.iterations == list(range(0, 201, 20)) and h.stopped_at == 200 and not h.diverged
    assert h.val_loss[-1] < h.val_loss[0]
    best = int(np.argmin(h.val_loss))
    assert h.convergence_iteration == h.iterations[best] and h.min_val_loss == h.val_loss[best]
    assert h.test_accuracy == h.test_acc[best] > 0.8  # test evaluated when validation improved
    assert np.isnan(h.train_loss[0]) and np.isfinite(h.train_loss[1:]).all()


def test_same_seed_same_history_different_seed_differs():
    def run(seed):
        return train(MLP.initialize((10, 16, 3), seed=1), blobs(), CFG, seed=seed).to_dict()
    a, b, c = run(0), run(0), run(1)
    assert json.dumps(a) == json.dumps(b)  # NaN-aware equality of every field
    assert a["val_loss"] != c["val_loss"]


def test_backends_train_alike():
    """float64 so the two backends' different summation orders stay far below the comparison."""
    data = blobs()
    nets = [MLP.initialize((10, 16, 3), seed=1, dtype=np.float64, backend=b) for b in ("numpy", "numba")]
    hs = [train(n, data, CFG, seed=0) for n in nets]
    np.testing.assert_allclose(hs[0].val_loss, hs[1].val_loss, rtol=1e-9)


def test_divergence_is_reported_not_raised():
    net = MLP.initialize((10, 16, 3), seed=0, std=10.0)
    h = train(net, blobs(), TrainConfig(iterations=200, batch_size=20, lr=50.0, eval_every=20), seed=0)
    assert h.diverged and h.stopped_at < 200


def test_pruned_weights_stay_zero_through_train():
    net = MLP.initialize((10, 16, 3), seed=0)
    rng = np.random.default_rng(0)
    net.set_masks([(rng.random(w.shape) < 0.3) for w in net.weights])
    train(net, blobs(), TrainConfig(iterations=100, batch_size=20, eval_every=50, optimizer="adam", lr=0.01), seed=0)
    assert all(np.all(w[m == 0] == 0) for w, m in zip(net.weights, net.masks))


@pytest.mark.parametrize("field,value,msg", [
    ("iterations", 0, "iterations must be a positive whole number"),
    ("lr", -0.1, "lr must be a positive number"),
    ("optimizer", "lbfgs", "unknown optimizer 'lbfgs'"),
    ("batch_size", 2.5, "batch_size must be a positive whole number"),
])
def test_bad_train_config(field, value, msg):
    with pytest.raises(ConfigError, match=msg):
        TrainConfig(**{field: value})


def test_batch_larger_than_training_set():
    with pytest.raises(ConfigError, match="batch_size 1000 is larger than the training set"):
        train(MLP.initialize((10, 3), seed=0), blobs(), TrainConfig(iterations=5, batch_size=1000), seed=0)


def test_iterative_lottery_loop_prunes_resets_and_retrains():
    theta0 = MLP.initialize((10, 40, 20, 3), seed=0)
    levels = iterative_pruning(theta0, blobs(), CFG, rounds=3, rate=0.2, seed=0)
    pct = [lvl.percent_remaining for lvl in levels]
    assert pct[0] == 100 and all(a > b for a, b in zip(pct, pct[1:]))
    for prev, lvl in zip(levels, levels[1:]):
        assert all(np.all(b <= a) for a, b in zip(prev.masks, lvl.masks))  # masks only shrink
    assert all(np.all(w[m == 0] == 0) for w, m in zip(levels[-1].net.weights, levels[-1].masks))
    # theta0 itself is never trained
    assert np.array_equal(theta0.weights[0], MLP.initialize((10, 40, 20, 3), seed=0).weights[0])
    assert all(lvl.history.test_accuracy > 0.8 for lvl in levels)


def test_oneshot_lottery_hits_the_requested_sizes():
    theta0 = MLP.initialize((10, 40, 20, 3), seed=0)
    levels = oneshot_pruning(theta0, blobs(), CFG, fractions=[0.5, 0.2], seed=0)
    assert [lvl.masks[0].mean() for lvl in levels] == pytest.approx([1.0, 0.5, 0.2])
    assert percent_remaining(levels[2].masks) < percent_remaining(levels[1].masks)
