"""The fused engine (engine.py) against the readable path it mirrors (network.py + train.py)."""
import numpy as np
import pytest

from lottery_np import engine
from lottery_np.data import Dataset
from lottery_np.network import MLP
from lottery_np.optim import Optimizer
from lottery_np.train import TrainConfig, train


def random_net(sizes, densities, seed, dtype):
    rng = np.random.default_rng(seed)
    net = MLP.initialize(sizes, seed=seed, dtype=dtype, backend="numpy")
    for b in net.biases:
        b[:] = rng.normal(0, 0.1, b.shape)
    net.set_masks([(rng.random(w.shape) < p).astype(dtype) for w, p in zip(net.weights, densities)])
    return net


def sparse_inputs(rng, n, d, dtype):
    """Inputs with many exact zeros, like MNIST pixels."""
    x = rng.random((n, d)) * (rng.random((n, d)) < 0.3)
    x[:, : d // 4] = 0  # some inputs zero for the whole batch, like MNIST's border
    return x.astype(dtype)


CASES = [  # sizes, per-layer densities, batch
    ((20, 16, 12, 5), (1.0, 1.0, 1.0), 7),
    ((20, 16, 12, 5), (0.3, 0.05, 0.6), 1),
    ((20, 16, 12, 5), (0.0, 1.0, 0.5), 4),
    ((9, 3), (0.5,), 6),
    ((30, 25, 20, 15, 10, 4), (0.9, 0.1, 0.0, 1.0, 0.7), 11),
]


@pytest.mark.parametrize("sizes,densities,batch", CASES)
@pytest.mark.parametrize("modes", ["rows", "cols", "mixed"])
def test_one_fused_step_equals_the_readable_step_float64(sizes, densities, batch, modes):
    rng = np.random.default_rng(len(sizes) + batch)
    x = sparse_inputs(rng, 50, sizes[0], np.float64)
    y = rng.integers(0, sizes[-1], 50)
    idx = rng.choice(50, batch, replace=False)
    ref = random_net(sizes, densities, seed=batch, dtype=np.float64)
    fast = ref.copy()
    fast.weights = [w.copy() for w in ref.weights]
    fast.biases = [b.copy() for b in ref.biases]
    n = len(densities)
    forced = {"rows": [engine.ROWS] * n, "cols": [engine.COLS] * n,
              "mixed": [engine.ROWS if i % 2 else engine.COLS for i in range(n)]}[modes]

    loss, grads = ref.loss_and_grads(x[idx], y[idx])
    Optimizer("sgd", lr=0.1).step(ref, grads)

    layers = engine.pack(fast, forced)
    buf = engine.buffers(fast.sizes, batch, np.float64)
    losses = np.zeros(1)
    assert engine.sgd_steps(layers, buf, engine.sparse_rows(x), y.astype(np.int64), idx[None, :], np.float64(0.1), losses) == 1
    assert abs(losses[0] - loss) < 1e-10
    for a, b in zip(ref.weights + ref.biases, fast.weights + fast.biases):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10)
    for w, m in zip(fast.weights, fast.masks):
        assert np.all(w[m == 0] == 0)  # pruned weights stay exactly zero


def small_mnist_like(seed, dtype, n=600, d=40, classes=4):
    rng = np.random.default_rng(seed)
    centers = rng.random((classes, d)) * (rng.random((classes, d)) < 0.4)
    def part(k):
        y = rng.integers(0, classes, k)
        x = np.clip(centers[y] + 0.3 * rng.standard_normal((k, d)), 0, None) * (rng.random((k, d)) < 0.5)
        return x.astype(dtype), y
    (xt, yt), (xv, yv), (xs, ys) = part(n), part(200), part(300)
    return Dataset(xt, yt, xv, yv, xs, ys)


@pytest.mark.parametrize("densities", [(1.0, 1.0, 1.0), (0.2, 0.1, 0.5), (0.03, 0.02, 0.3)])
def test_float32_training_agrees_with_the_readable_path(densities):
    data = small_mnist_like(0, np.float32)
    sizes = (40, 30, 20, 4)
    cfg = TrainConfig(iterations=200, batch_size=20, lr=0.1, eval_every=50, record_test_curve=True)
    ref = random_net(sizes, densities, seed=3, dtype=np.float32)
    fast = MLP([w.copy() for w in ref.weights], [b.copy() for b in ref.biases], ref.masks, backend="numpy")
    h_ref = train(ref, data, cfg, seed=5)
    h_fast = engine.train_fused(fast, data, cfg, seed=5)
    for a, b in zip(ref.weights + ref.biases, fast.weights + fast.biases):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h_fast.val_loss, h_ref.val_loss, rtol=1e-4)
    np.testing.assert_allclose(h_fast.train_loss[1:], h_ref.train_loss[1:], rtol=1e-4)
    np.testing.assert_allclose(h_fast.test_acc, h_ref.test_acc, atol=1 / 300 + 1e-9)
    assert h_fast.iterations == h_ref.iterations and h_fast.stopped_at == h_ref.stopped_at == 200
    assert h_fast.convergence_iteration == h_ref.convergence_iteration
    for w, m in zip(fast.weights, fast.masks):
        assert np.all(w[m == 0] == 0)


def test_same_seed_same_bits():
    data = small_mnist_like(1, np.float32)
    cfg = TrainConfig(iterations=120, batch_size=20, eval_every=40)
    runs = []
    for _ in range(2):
        net = random_net((40, 30, 20, 4), (0.3, 0.5, 1.0), seed=2, dtype=np.float32)
        h = engine.train_fused(net, data, cfg, seed=9)
        runs.append((net, h))
    for a, b in zip(runs[0][0].weights, runs[1][0].weights):
        assert np.array_equal(a, b)
    assert runs[0][1].val_loss == runs[1][1].val_loss


def test_divergence_is_reported_like_the_readable_path():
    data = small_mnist_like(2, np.float32)
    cfg = TrainConfig(iterations=300, batch_size=20, eval_every=50)
    ref = random_net((40, 30, 4), (1.0, 1.0), seed=4, dtype=np.float32)
    for w in ref.weights:
        w *= np.float32(1e25)  # logits overflow to inf: the loss is NaN at the first step
    fast = MLP([w.copy() for w in ref.weights], [b.copy() for b in ref.biases], ref.masks, backend="numpy")
    h_ref, h_fast = train(ref, data, cfg, seed=1), engine.train_fused(fast, data, cfg, seed=1)
    assert h_ref.diverged and h_fast.diverged
    assert h_fast.stopped_at == h_ref.stopped_at == 1


def test_unsupported_settings_are_named():
    net = MLP.initialize((4, 3, 1), seed=0, loss="sigmoid_binary_cross_entropy")
    assert engine.supports(net, TrainConfig())[0] is False
    net = MLP.initialize((4, 3, 2), seed=0)
    ok, why = engine.supports(net, TrainConfig(optimizer="adam"))
    assert not ok and "adam" in why


def test_sparse_rows_lists_each_example_nonzeros_and_keep_false_leaves_the_cache_alone():
    rng = np.random.default_rng(0)
    x = rng.random((7, 9)) * (rng.random((7, 9)) < 0.3)
    rows = engine.sparse_rows(x)
    for e in range(len(x)):
        span = slice(rows.indptr[e], rows.indptr[e + 1])
        dense = np.zeros(x.shape[1])
        dense[rows.index[span]] = rows.value[span]
        np.testing.assert_array_equal(dense, x[e])
    assert engine.sparse_rows(x) is rows  # kept: the same object again
    kept = dict(engine._SPARSE_ROWS)
    other = x[:3].copy()
    fresh = engine.sparse_rows(other, keep=False)
    assert engine._SPARSE_ROWS == kept and fresh.indptr[-1] == np.count_nonzero(other)
