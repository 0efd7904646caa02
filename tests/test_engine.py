"""The fused engine (lottery_np/engine/) against the readable path it mirrors (network.py + train.py)."""
import os
import subprocess
import sys

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


R, C = engine.ROWS, engine.COLS
PATHS = {  # every way of assigning the two paths to a first layer and the layers above it
    "all ROWS": lambda n: [R] * n,
    "all COLS": lambda n: [C] * n,
    "COLS first, ROWS above": lambda n: [C] + [R] * (n - 1),
    "ROWS first, then alternating": lambda n: [R if i % 2 == 0 else C for i in range(n)],
}


def test_the_cases_run_every_kernel_variant():
    """Every kernel of engine.KERNELS serves a (layer, path) that some case of PATHS x CASES uses."""
    used = set()
    for assign in PATHS.values():
        for sizes, _, _ in CASES:
            modes = assign(len(sizes) - 1)
            used |= {("first" if i == 0 else "hidden", "ROWS" if m == R else "COLS") for i, m in enumerate(modes)}
    for name, (serves, _, _) in engine.KERNELS.items():
        layer, path = serves.split(", ")
        wanted = {(k, p) for k in (("first", "hidden") if layer == "any" else (layer,))
                  for p in (("ROWS", "COLS") if path == "any" else (path,))}
        assert wanted <= used, f"{name} ({serves}) is not run by any case"


def two_copies(sizes, densities, batch, dtype=np.float64):
    ref = random_net(sizes, densities, seed=batch, dtype=dtype)
    fast = ref.copy()
    fast.weights = [w.copy() for w in ref.weights]
    fast.biases = [b.copy() for b in ref.biases]
    return ref, fast


@pytest.mark.parametrize("sizes,densities,batch", CASES)
@pytest.mark.parametrize("paths", list(PATHS))
def test_one_fused_step_equals_the_readable_step_float64(sizes, densities, batch, paths):
    rng = np.random.default_rng(len(sizes) + batch)
    x = sparse_inputs(rng, 50, sizes[0], np.float64)
    y = rng.integers(0, sizes[-1], 50)
    idx = rng.choice(50, batch, replace=False)
    ref, fast = two_copies(sizes, densities, batch)
    forced = PATHS[paths](len(densities))

    loss, grads = ref.loss_and_grads(x[idx], y[idx])
    Optimizer("sgd", lr=0.1).step(ref, grads)

    layers = engine.pack(fast, forced)
    buf = engine.buffers(fast.sizes, batch, np.float64, layers.modes)
    losses = np.zeros(1)
    assert engine.sgd_steps(layers, buf, engine.sparse_rows(x), y.astype(np.int64), idx[None, :], np.float64(0.1), losses) == 1
    assert abs(losses[0] - loss) < 1e-10
    for a, b in zip(ref.weights + ref.biases, fast.weights + fast.biases):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10)
    for w, m in zip(fast.weights, fast.masks):
        assert np.all(w[m == 0] == 0)  # pruned weights stay exactly zero


@pytest.mark.parametrize("sizes,densities,batch", CASES)
@pytest.mark.parametrize("paths", list(PATHS))
def test_evaluation_equals_the_readable_evaluation_float64(sizes, densities, batch, paths):
    """Forward-only blocks, a last short block included (EVAL_BLOCK + 37 examples)."""
    rng = np.random.default_rng(batch)
    n = engine.EVAL_BLOCK + 37
    x = sparse_inputs(rng, n, sizes[0], np.float64)
    y = rng.integers(0, sizes[-1], n)
    net, _ = two_copies(sizes, densities, batch)
    layers = engine.pack(net, PATHS[paths](len(densities)))
    got = engine.Evaluator(layers, net.sizes, net.dtype, engine.sparse_rows(x), y.astype(np.int64))()
    want = net.evaluate(x, y)
    assert abs(got[0] - want[0]) < 1e-10 and got[1] == want[1]


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


def test_sparse_rows_lists_each_example_nonzeros():
    rng = np.random.default_rng(0)
    x = rng.random((7, 9)) * (rng.random((7, 9)) < 0.3)
    rows = engine.sparse_rows(x)
    assert rows.index.dtype == np.uint16 and rows.indptr[-1] == np.count_nonzero(x)
    for e in range(len(x)):
        span = slice(rows.indptr[e], rows.indptr[e + 1])
        dense = np.zeros(x.shape[1])
        dense[rows.index[span]] = rows.value[span]
        np.testing.assert_array_equal(dense, x[e])
    blocks = engine.column_blocks(rows, x.shape[1], 4)  # (2 blocks, 9 inputs, 4 examples), zero-padded
    assert blocks.shape == (2, 9, 4)
    np.testing.assert_array_equal(np.concatenate(list(blocks), axis=1)[:, :7], x.T)
    assert not blocks[1][:, 3].any()


def test_prepared_data_is_used_as_given():
    """A caller may list the data's nonzeros once and pass them in: the same training results."""
    data = small_mnist_like(3, np.float32)
    cfg = TrainConfig(iterations=60, batch_size=20, eval_every=30)
    a = random_net((40, 30, 20, 4), (1.0, 0.1, 1.0), seed=5, dtype=np.float32)
    b = MLP([w.copy() for w in a.weights], [x.copy() for x in a.biases], a.masks, backend="numpy")
    h_a = engine.train_fused(a, data, cfg, seed=2)
    h_b = engine.train_fused(b, data, cfg, seed=2, prepared=engine.prepare(data, np.float32))
    assert h_a.val_loss == h_b.val_loss
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights))


BITS = """
import hashlib, numpy as np, lottery_np as lt
from lottery_np.data import Dataset
from lottery_np.train import TrainConfig
rng = np.random.default_rng(0)
x = (rng.random((600, 784)) * (rng.random((600, 784)) < 0.2)).astype(np.float32)
y = rng.integers(0, 10, 600)
data = Dataset(x[:400], y[:400], x[400:500], y[400:500], x[500:], y[500:])
net = lt.MLP.initialize((784, 300, 100, 10), seed=0)
h = lt.train_fused(net, data, TrainConfig(iterations=20, eval_every=10), seed=0)
print(hashlib.sha256(b"".join(w.tobytes() for w in net.weights + net.biases)).hexdigest(), h.val_loss)
"""


def test_same_bits_whatever_the_number_of_blas_threads():
    """The engine uses no BLAS, so how many threads BLAS may use changes nothing (the runner's
    workers use one; a library caller may have any number). tests/test_same_bits.py changes the
    BLAS kernels, the Numba target and libm."""
    outs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-c", BITS], capture_output=True, text=True, env=env, check=True)
        outs.append(done.stdout.strip())
    assert outs[0] == outs[1] and outs[0]


def test_exp_and_log_of_the_engine_match_numpy():
    """mathfn's exp and log (+ − × ÷ only, the same bits on every CPU) to a few float64 ulps."""
    from lottery_np.engine.mathfn import exp, log
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-80, 80, 3000), rng.uniform(-1, 1, 3000), [0.0, -700.0, 700.0]])
    got = np.array([exp(v) for v in x])
    np.testing.assert_allclose(got, np.exp(x), rtol=4e-16, atol=0)
    y = np.concatenate([np.exp(rng.uniform(-60, 60, 3000)), rng.uniform(1, 11, 3000), [1.0, 2.0, 1e-300]])
    np.testing.assert_allclose([log(v) for v in y], np.log(y), rtol=4e-16, atol=4e-16)
    assert exp(-800.0) == 0 and exp(800.0) == np.inf and np.isnan(exp(np.nan))
    assert log(0.0) == -np.inf and log(np.inf) == np.inf and np.isnan(log(-1.0)) and np.isnan(log(np.nan))
