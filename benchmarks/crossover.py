"""Where the sparse kernels start to beat NumPy's dense product, layer by layer.

    python benchmarks/crossover.py

For each LeNet-300-100 layer shape and a range of densities, times one layer's training
work — forward, weight gradient, and input gradient where the network needs it — with the
dense NumPy kernels and with the sparse ones, on real MNIST inputs (first layer) or ReLU-like
inputs (half zeros). ``fast_layers.SPARSE_BELOW`` is set from the densities where sparse wins.
The last line is a JSON object.
"""
import json
import time

import numpy as np

import lottery_np as lt
from lottery_np.fast_layers import dense_twins

DENSITIES = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05, 0.02)
LAYERS = [("784x300 (pixels in)", 784, 300, False), ("300x100", 300, 100, True), ("100x10", 100, 10, True)]


def median_us(fn, repeat=200):
    fn()
    t = []
    for _ in range(repeat):
        s = time.perf_counter()
        fn()
        t.append(time.perf_counter() - s)
    return 1e6 * float(np.median(t))


def main():
    data = lt.load_mnist()
    rng = np.random.default_rng(0)
    out = {}
    print(f"{'layer':22s} {'density':>8s} {'dense us':>9s} {'sparse us':>9s}")
    for name, d, m, need_dx in LAYERS:
        x = data.x_train[:60] if d == 784 else np.maximum(rng.standard_normal((60, d)), 0).astype(np.float32)
        dy = rng.standard_normal((60, m)).astype(np.float32)
        b = np.zeros(m, np.float32)
        out[name] = {}
        for dens in DENSITIES:
            mask = (rng.random((d, m)) < dens).astype(np.float32)
            w = rng.standard_normal((d, m)).astype(np.float32) * mask
            times = {}
            for backend in ("numpy", "sparse"):
                [(forward, backward)] = dense_twins(backend, [mask])  # the sparse layout is built here, once

                def work():
                    _, cache = forward(x, w, mask, b)
                    backward(dy, cache, need_dx=need_dx)
                times[backend] = median_us(work)
            out[name][str(dens)] = {k: round(v, 1) for k, v in times.items()}
            print(f"{name:22s} {dens:8.2f} {times['numpy']:9.1f} {times['sparse']:9.1f}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
