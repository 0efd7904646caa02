"""How much would training a ticket and its controls in lockstep save?

Issue: a ticket and its control draws at one level use the same minibatch order, so training
them together could share the minibatch gather (the examples' nonzero pixels put into the first
layer's layout). Their weights differ, so nothing after that is shared. This prints, per
density, the time of one engine step and of the gather alone, both single-threaded on real
MNIST; a lockstep of k networks saves at most (k - 1) / k of the gather per network.

    python benchmarks/lockstep_share.py
"""
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

from lottery_np import engine  # noqa: E402
from lottery_np.data import load_mnist  # noqa: E402
from lottery_np.network import MLP  # noqa: E402

STEPS, REPEATS = 2000, 5


@njit
def gathers(x, order, mode, buf):
    for t in range(order.shape[0]):
        engine.gather(x, order[t], mode, buf)


def main():
    d = load_mnist()
    xs = engine.sparse_rows(d.x_train)
    y = d.y_train.astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.integers(0, len(d.x_train), size=(STEPS, 60))
    print("LeNet-300-100, float32, batch 60, one thread; median of", REPEATS)
    for f in (1.0, 0.21, 0.036, 0.018):
        net = MLP.initialize((784, 300, 100, 10), seed=0)
        net.set_masks([(rng.random(w.shape) < g).astype(w.dtype) for w, g in zip(net.weights, [f, f, min(1, 2 * f)])])
        layers, buf = engine.pack(net), engine.buffers(net.sizes, 60, net.dtype)
        losses = np.zeros(STEPS, net.dtype)
        engine.sgd_steps(layers, buf, xs, y, order[:5], np.float32(0.1), losses)  # compile / load the cache
        gathers(xs, order[:5], layers.modes[0], buf)
        step, gather = [], []
        for _ in range(REPEATS):
            t = time.perf_counter()
            engine.sgd_steps(layers, buf, xs, y, order, np.float32(0.1), losses)
            step.append(time.perf_counter() - t)
            t = time.perf_counter()
            gathers(xs, order, layers.modes[0], buf)
            gather.append(time.perf_counter() - t)
        s, g = np.median(step) / STEPS * 1e6, np.median(gather) / STEPS * 1e6
        print(f"{100 * f:5.1f}% of weights: step {s:7.1f} µs, gather {g:5.1f} µs = {100 * g / s:4.1f}% of the step; "
              f"a ticket + 2 controls in lockstep would save at most {100 * (2 / 3) * g / s:4.1f}% per training")


if __name__ == "__main__":
    main()
