"""How long one training step and one evaluation take, per backend and per fraction of weights left.

    python benchmarks/step_time.py            # step and evaluation times; 50k-iteration trainings estimated
    python benchmarks/step_time.py --full     # also time whole 50,000-iteration trainings (slow)

The workload is the paper's: LeNet-300-100, float32, SGD, minibatches of 60 real MNIST images,
evaluation on the 5,000 validation images. Masks keep the fractions of weights that iterative
pruning leaves after k rounds (hidden layers 0.8^k, output 0.9^k) — 100%, 21%, 3.6% and 1.8% of
all weights — at random positions. If PyTorch is installed it runs the same masked workload
(multiplying by a dense mask, as lottery-ticket code in PyTorch does) for comparison; it is not a
dependency of lottery_np (pip install torch). The last line printed is one JSON object.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

import lottery_np as lt
from lottery_np.train import TrainConfig, train

FRACTIONS = (1.0, 0.21, 0.036, 0.018)
SIZES = (784, 300, 100, 10)


def layer_fractions(overall):
    """Per-layer fractions after k (real-valued) rounds of 20% / 10% pruning that leave ``overall``."""
    n = [a * b for a, b in zip(SIZES, SIZES[1:])]
    lo, hi = 0.0, 60.0
    for _ in range(100):
        k = (lo + hi) / 2
        f = [0.8 ** k, 0.8 ** k, 0.9 ** k]
        lo, hi = (k, hi) if sum(a * b for a, b in zip(f, n)) / sum(n) > overall else (lo, k)
    return f


def masks_for(overall, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.random((a, b)) < f).astype(np.float32) for (a, b), f in zip(zip(SIZES, SIZES[1:]), layer_fractions(overall))]


def median_ms(fn, repeat):
    fn()  # warm-up (and Numba compilation or cache load)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def ours(backend, masks, data, repeat):
    net = lt.MLP.initialize(SIZES, seed=0, backend=backend)
    net.set_masks(masks)
    opt = lt.Optimizer("sgd", lr=0.1)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(data.x_train), 60) for _ in range(64)]
    i = [0]

    def step():
        idx = batches[i[0] % 64]
        i[0] += 1
        opt.step(net, net.loss_and_grads(data.x_train[idx], data.y_train[idx])[1])

    step_ms = median_ms(step, repeat)
    eval_ms = median_ms(lambda: net.evaluate(data.x_val, data.y_val), max(5, repeat // 20))
    return step_ms, eval_ms


def torch_workload(masks, data, repeat, threads):
    import torch
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    ws = [(torch.randn(a, b, generator=g) * 0.1).requires_grad_() for a, b in zip(SIZES, SIZES[1:])]
    bs = [torch.zeros(b, requires_grad=True) for b in SIZES[1:]]
    ms = [torch.from_numpy(m) for m in masks]
    xs, ys = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
    xv, yv = torch.from_numpy(data.x_val), torch.from_numpy(data.y_val.astype(np.int64))
    opt = torch.optim.SGD(ws + bs, lr=0.1)
    rng = np.random.default_rng(0)
    batches = [torch.from_numpy(rng.integers(0, len(xs), 60)) for _ in range(64)]
    i = [0]

    def forward(x):
        h = x
        for k, (w, b, m) in enumerate(zip(ws, bs, ms)):
            h = h @ (w * m) + b
            if k < len(ws) - 1:
                h = torch.relu(h)
        return h

    def step():
        idx = batches[i[0] % 64]
        i[0] += 1
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(xs[idx]), ys[idx])
        loss.backward()
        opt.step()

    def evaluate():
        with torch.no_grad():
            logits = forward(xv)
            return torch.nn.functional.cross_entropy(logits, yv).item(), (logits.argmax(1) == yv).float().mean().item()

    return median_ms(step, repeat), median_ms(evaluate, max(5, repeat // 20))


def full_training_s(backend, masks, data):
    net = lt.MLP.initialize(SIZES, seed=0, backend=backend)
    net.set_masks(masks)
    t = time.perf_counter()
    train(net, data, TrainConfig(iterations=50000, eval_every=100), seed=0)
    return time.perf_counter() - t


def measure(name, repeat, data, threads):
    """Step and evaluation times of one backend (or "torch") at every fraction."""
    step, ev, est = {}, {}, {}
    for f in FRACTIONS:
        masks = masks_for(f)
        s, e = torch_workload(masks, data, repeat, threads) if name == "torch" else ours(name, masks, data, repeat)
        step[str(f)], ev[str(f)] = round(s, 4), round(e, 3)
        # 50k steps, 501 validation passes (5k), and ~50 test passes (10k) at new validation minima
        est[str(f)] = round((50000 * s + 501 * e + 50 * 2 * e) / 1000, 1)
        print(f"{name:7s} {100 * f:6.1f}% left: step {s:7.3f} ms   eval 5k {e:7.2f} ms   50k training ≈ {est[str(f)]:6.1f} s",
              flush=True)
    return step, ev, est


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=300, help="timed steps per case (median reported)")
    ap.add_argument("--backends", nargs="+", default=["numpy", "numba", "sparse", "auto"])
    ap.add_argument("--full", action="store_true", help="also time whole 50k-iteration trainings of the auto backend")
    ap.add_argument("--only", default=None, help=argparse.SUPPRESS)  # one backend, in this process
    args = ap.parse_args()
    threads = os.cpu_count() or 1
    if args.only:  # a child process: measure one backend and print its numbers as JSON
        print(json.dumps(measure(args.only, args.repeat, lt.load_mnist(), threads)))
        return
    lt.load_mnist()  # fetch once before the children start
    try:
        import torch
        torch_version = torch.__version__
    except Exception as e:  # not installed, or installed without its libraries
        torch, torch_version = None, None
        print(f"(PyTorch not available: {type(e).__name__}: {str(e)[:80]}; `pip install torch` to compare)")
    # Each backend runs in a fresh process: thread pools left spinning by one (Numba's OpenMP,
    # OpenBLAS, PyTorch's) would otherwise slow the next one down.
    step, ev, est, full = {}, {}, {}, {}
    names = list(args.backends) + (["torch"] if torch is not None else [])
    for name in names:
        done = subprocess.run([sys.executable, __file__, "--only", name, "--repeat", str(args.repeat)],
                              capture_output=True, text=True, check=True)
        lines = done.stdout.strip().splitlines()
        print("\n".join(lines[:-1]), flush=True)
        step[name], ev[name], est[name] = json.loads(lines[-1])
    if args.full:
        data = lt.load_mnist()
        for f in FRACTIONS:
            full[str(f)] = round(full_training_s("auto", masks_for(f), data), 1)
            print(f"auto    {100 * f:6.1f}% left: whole 50k training {full[str(f)]} s", flush=True)
    print()
    print("| backend | " + " | ".join(f"step ms @ {100 * f:g}%" for f in FRACTIONS) + " | " +
          " | ".join(f"eval 5k ms @ {100 * f:g}%" for f in FRACTIONS) + " |")
    print("|---|" + "---|" * (2 * len(FRACTIONS)))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{step[name][str(f)]:.3f}" for f in FRACTIONS) + " | " +
              " | ".join(f"{ev[name][str(f)]:.2f}" for f in FRACTIONS) + " |")
    if torch is not None:
        best = {str(f): min(step[n][str(f)] for n in args.backends) for f in FRACTIONS}
        print("\nours (best backend) / PyTorch, step time: " +
              ", ".join(f"{100 * f:g}%: {best[str(f)] / step['torch'][str(f)]:.3f}" for f in FRACTIONS))
    import numba
    versions = {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
                "lottery_np": lt.__version__}
    if torch_version:
        versions["torch"] = torch_version
    train50k = {n: dict(est[n]) for n in names}
    if full:
        train50k["auto_measured"] = full
    print(json.dumps({"step_ms": step, "eval5k_ms": ev, "train50k_s": train50k, "train50k_estimated": not full,
                      "threads": threads, "machine": platform.machine(), "versions": versions}))


if __name__ == "__main__":
    main()
