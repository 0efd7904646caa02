"""Compile the package's Numba code for one dtype, for the test suite's workers to load instead.

    python tests/compile_ahead.py float32

On a fresh clone every process compiles what it calls first: about 20 s for each dtype. The suite's
controller (``conftest.pytest_sessionstart``) runs this once for float32 and once for float64, the two
at the same time, into the cache folder its workers then share, so that they start with it compiled
instead of both compiling the same functions at once. The trainings here are tiny: only what they
compile matters (the engine's step and evaluation, the Numba and sparse kernels of the readable path).
"""
import sys

import numpy as np

from lottery_np import engine
from lottery_np.data import Dataset
from lottery_np.network import MLP
from lottery_np.train import TrainConfig, train


def network(dtype, backend, seed):
    rng = np.random.default_rng(seed)
    net = MLP.initialize((20, 16, 12, 5), seed=seed, dtype=dtype, backend=backend)
    net.set_masks([(rng.random(w.shape) < p).astype(dtype) for w, p in zip(net.weights, (0.3, 1.0, 0.5))])
    return net


def compile_for(dtype):
    rng = np.random.default_rng(0)
    x = (rng.random((64, 20)) * (rng.random((64, 20)) < 0.3)).astype(dtype)
    y = rng.integers(0, 5, 64)
    data = Dataset(x, y, x[:16], y[:16], x[:16], y[:16])
    config = TrainConfig(iterations=4, eval_every=2, batch_size=8)
    for backend in ("numba", "sparse"):
        train(network(dtype, backend, 1), data, config)
    engine.train_fused(network(dtype, "numpy", 2), data, config)


if __name__ == "__main__":
    compile_for(np.dtype(sys.argv[1]))
