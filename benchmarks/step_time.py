"""How long one training step and one evaluation take, per path and per fraction of weights left,
against PyTorch and against the arithmetic the step needs.

    python benchmarks/step_time.py                  # all paths, one thread each; last line is JSON
    python benchmarks/step_time.py --save           # ... and write docs/step_time.json
    python benchmarks/plot_step_time.py             # docs/step_time.json -> docs/step_time.png
    python benchmarks/step_time.py --threads 2      # PyTorch, BLAS and Numba with 2 threads each
    python benchmarks/step_time.py --full           # also time whole 50,000-iteration trainings (slow)

The workload is the paper's: LeNet-300-100, float32, SGD (lr 0.1), minibatches of 60 real MNIST
images, evaluation on the 5,000 validation images. Masks keep the fractions of weights that
iterative pruning leaves after k rounds (hidden layers 0.8^k, output 0.9^k) at random positions.

Paths, each timed in a fresh process of its own (a thread pool left spinning by one would slow
the next):

* ``numpy``, ``numba``, ``sparse``, ``auto`` — the readable path (``MLP.loss_and_grads`` then
  ``Optimizer.step``) with that backend, one step per call;
* ``fused`` — the engine (``engine.sgd_steps``) as ``engine.train_fused`` runs it: 100 steps per
  call over successive minibatches of an epoch; the step time is the call's time / 100;
* ``torch`` — PyTorch's masked dense step (W ⊙ M in the forward pass, as lottery-ticket code in
  PyTorch does), if PyTorch is installed (it is not a dependency of lottery_np).

All of them get the same number of threads (``--threads``, default 1: our workers train one
network per core, single-threaded). Times are medians.

What the step needs: the multiply-adds of the forward product, the weight gradient and the input
gradient (not of the first layer: its input is data), counting only the terms whose factors are
all nonzero — a surviving weight, a nonzero input (MNIST pixels: about 19%; ReLU outputs: counted
from a forward pass of the same minibatches through the initial masked network), and a nonzero
∂L/∂Z (zero where the layer's ReLU is off). "Dense" is what a dense product computes. The
floor is the needed FLOPs (2 per multiply-add) at the machine's measured peak: a large float32
``np.dot`` with BLAS limited to the same number of threads. The engine may not use FMA (its sums
must be the same on every CPU): the peak of its own loop shape without FMA is printed beside it.

A 50,000-iteration training is estimated as 50,000 steps + 501 validation passes (5,000 images)
+ about 50 test passes (10,000 images, when validation loss reaches a new minimum).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FRACTIONS = (1.0, 0.51, 0.21, 0.086, 0.036, 0.018)
HEADLINE = (1.0, 0.21, 0.036, 0.018)  # the columns of the summary table
SIZES = (784, 300, 100, 10)
BATCH, LR, CHUNK = 60, 0.1, 100  # CHUNK: steps per engine call (eval_every in train_fused)
PATHS = ("numpy", "numba", "sparse", "auto", "fused")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")
DOCS = Path(__file__).resolve().parents[1] / "docs"


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


def minibatches(n, count=64):
    """The minibatches the one-step-per-call paths and the arithmetic count cycle through."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, n, BATCH) for _ in range(count)]


def median_ms(fn, repeat):
    fn()  # warm-up (and Numba compilation or cache load)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def eval_repeat(repeat):
    return max(5, repeat // 20)


# ----------------------------------------------------------------------------
# The paths (each called in its own process)
# ----------------------------------------------------------------------------


def readable(backend, masks, data, repeat):
    import lottery_np as lt
    net = lt.MLP.initialize(SIZES, seed=0, backend=backend)
    net.set_masks(masks)
    opt = lt.Optimizer("sgd", lr=LR)
    batches = minibatches(len(data.x_train))
    i = [0]

    def step():
        idx = batches[i[0] % len(batches)]
        i[0] += 1
        opt.step(net, net.loss_and_grads(data.x_train[idx], data.y_train[idx])[1])

    return median_ms(step, repeat), median_ms(lambda: net.evaluate(data.x_val, data.y_val), eval_repeat(repeat)), {}


def fused(masks, data, repeat):
    """``engine.sgd_steps`` over 100-step chunks of an epoch's minibatches, as ``train_fused`` calls it."""
    import lottery_np as lt
    from lottery_np import engine
    from lottery_np.train import batches
    net = lt.MLP.initialize(SIZES, seed=0)
    net.set_masks(masks)
    layers = engine.pack(net)
    d = engine.prepare(data, net.dtype)  # once per data set, as in training
    step_buf = engine.buffers(net.sizes, BATCH, net.dtype, layers.modes)
    evaluate = engine.Evaluator(layers, net.sizes, net.dtype, d.val, d.y_val)
    lr, losses = net.dtype.type(LR), np.zeros(CHUNK, dtype=np.float64)
    n_chunks = max(5, repeat // 10)
    order = batches(len(data.x_train), BATCH, np.random.default_rng(0))
    chunks = [np.stack([next(order) for _ in range(CHUNK)]) for _ in range(n_chunks + 1)]
    i = [0]

    def chunk():
        done = engine.sgd_steps(layers, step_buf, d.train, d.y_train, chunks[i[0] % len(chunks)], lr, losses)
        i[0] += 1
        if done != CHUNK:
            raise RuntimeError(f"the engine stopped after {done} of {CHUNK} steps (loss not finite)")

    step_ms = median_ms(chunk, n_chunks) / CHUNK
    eval_ms = median_ms(evaluate, eval_repeat(repeat))
    return step_ms, eval_ms, {"modes": "".join("RC"[m] for m in layers.modes)}


def torch_path(masks, data, repeat, threads):
    import torch
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    ws = [(torch.randn(a, b, generator=g) * 0.1).requires_grad_() for a, b in zip(SIZES, SIZES[1:])]
    bs = [torch.zeros(b, requires_grad=True) for b in SIZES[1:]]
    ms = [torch.from_numpy(m) for m in masks]
    xs, ys = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
    xv, yv = torch.from_numpy(data.x_val), torch.from_numpy(data.y_val.astype(np.int64))
    opt = torch.optim.SGD(ws + bs, lr=LR)
    batches = [torch.from_numpy(b) for b in minibatches(len(xs))]
    i = [0]

    def forward(x):
        h = x
        for k, (w, b, m) in enumerate(zip(ws, bs, ms)):
            h = h @ (w * m) + b
            if k < len(ws) - 1:
                h = torch.relu(h)
        return h

    def step():
        idx = batches[i[0] % len(batches)]
        i[0] += 1
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(xs[idx]), ys[idx])
        loss.backward()
        opt.step()

    def evaluate():
        with torch.no_grad():
            logits = forward(xv)
            return torch.nn.functional.cross_entropy(logits, yv).item(), (logits.argmax(1) == yv).float().mean().item()

    return median_ms(step, repeat), median_ms(evaluate, eval_repeat(repeat)), {"torch_threads": torch.get_num_threads()}


def measure(name, fractions, repeat, threads):
    """Step and evaluation times of one path at every fraction; prints a line per fraction."""
    import lottery_np as lt
    data = lt.load_mnist()
    out = {}
    for f in fractions:
        masks = masks_for(f)
        if name == "torch":
            s, e, extra = torch_path(masks, data, repeat, threads)
        elif name == "fused":
            s, e, extra = fused(masks, data, repeat)
        else:
            s, e, extra = readable(name, masks, data, repeat)
        out[str(f)] = {"step_ms": s, "eval5k_ms": e, **extra}
        note = f"   layers {extra['modes']} (R = dense rows, C = survivors only)" if "modes" in extra else ""
        print(f"  {name:7s} {100 * f:5.1f}% left: step {s:7.3f} ms   eval 5k {e:7.2f} ms{note}", flush=True)
    return out


def arithmetic(fractions):
    """Multiply-adds each step needs at each fraction, counted on the benchmark's minibatches
    (and the forward pass over the 5,000 validation images), with the initial masked network."""
    import lottery_np as lt
    data = lt.load_mnist()
    out = {}
    for f in fractions:
        net = lt.MLP.initialize(SIZES, seed=0, backend="numpy")
        net.set_masks(masks_for(f))
        sums = np.zeros((4, len(SIZES) - 1))  # forward, weight grad, input grad, dense; per layer
        nonzero = np.zeros(len(SIZES) - 1)  # fraction of nonzero inputs of each layer
        batches = minibatches(len(data.x_train))
        for idx in batches:
            acts = activations(net, data.x_train[idx])
            for l, (w, m) in enumerate(zip(net.weights, net.masks)):
                a = (acts[l] != 0).astype(np.float64)
                # ∂L/∂Z is zero where this layer's ReLU is off; the logits' gradient is dense
                dz = (acts[l + 1] > 0).astype(np.float64) if l < len(net.weights) - 1 else np.ones((len(idx), w.shape[1]))
                m = m.astype(np.float64)
                nonzero[l] += a.mean() / len(batches)
                sums[0, l] += a.sum(axis=0) @ m.sum(axis=1)       # a[n,d] ≠ 0 and M[d,j]
                both = float(((a.T @ dz) * m).sum())              # a[n,d] ≠ 0, dZ[n,j] ≠ 0 and M[d,j]
                sums[1, l] += both                                # dW[d,j] = Σ_n a[n,d] dZ[n,j]
                sums[2, l] += both if l > 0 else 0                # dA[n,d] = Σ_j dZ[n,j] W[d,j] where a > 0
                sums[3, l] += len(idx) * w.size * (3 if l > 0 else 2)
        sums /= len(batches)
        acts = activations(net, data.x_val)
        eval_fwd = sum(float((acts[l] != 0).sum(axis=0) @ m.sum(axis=1)) for l, m in enumerate(net.masks))
        forward_, wgrad, igrad, dense = (float(s.sum()) for s in sums)
        out[str(f)] = {"layer_fractions": [round(float(m.mean()), 5) for m in net.masks],
                       "nonzero_inputs": [round(float(v), 4) for v in nonzero],
                       "forward_macs": round(forward_), "weight_grad_macs": round(wgrad), "input_grad_macs": round(igrad),
                       "needed_macs": round(forward_ + wgrad + igrad), "dense_macs": round(dense),
                       "eval5k_needed_macs": round(eval_fwd),
                       "eval5k_dense_macs": len(data.x_val) * sum(m.size for m in net.masks)}
    return out


def activations(net, x):
    """Inputs of every layer and the logits, float64 (for counting only)."""
    acts = [x.astype(np.float64)]
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = acts[-1] @ w.astype(np.float64) + b
        acts.append(np.maximum(z, 0) if l < len(net.weights) - 1 else z)
    return acts


def peak(n, repeat):
    """Float32 multiply-add throughput of a large ``np.dot`` (BLAS threads set by the environment)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    np.dot(a, b, out=c)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        np.dot(a, b, out=c)
        times.append(time.perf_counter() - t)
    flops = 2.0 * n ** 3
    return {"gflops": flops / float(np.median(times)) / 1e9, "gflops_max": flops / min(times) / 1e9,
            "n": n, "repeat": repeat, "kernel_gflops": kernel_peak(repeat)}


def kernel_peak(repeat):
    """Float32 multiply-adds per second of the engine's own loop shape on data in L1: eight rows of W
    times a scalar each, added as a fixed tree into an output row (``rows.csr_forward``), no FMA, no
    fastmath — the most a deterministic kernel of this shape can do on this CPU."""
    from numba import njit

    @njit(cache=True)
    def rows8(w, z, reps):
        for _ in range(reps):
            for p in range(0, w.shape[0], 8):
                v = w.dtype.type(1.0001)
                for j in range(z.shape[0]):
                    z[j] += ((v * w[p, j] + v * w[p + 1, j]) + (v * w[p + 2, j] + v * w[p + 3, j])) + \
                            ((v * w[p + 4, j] + v * w[p + 5, j]) + (v * w[p + 6, j] + v * w[p + 7, j]))

    w, z, reps = np.full((16, 256), 1e-6, np.float32), np.zeros(256, np.float32), 20000
    rows8(w, z, 1)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        rows8(w, z, reps)
        times.append(time.perf_counter() - t)
    return 2.0 * w.size * reps / float(np.median(times)) / 1e9


def child(args):
    if args.only == "peak":
        return peak(args.peak_n, max(3, args.repeat // 40))
    if args.only == "arithmetic":
        return arithmetic(args.fractions)
    if args.only == "full":
        return full_trainings(args.fractions)
    return measure(args.only, args.fractions, args.repeat, args.threads)


def full_trainings(fractions):
    """Whole 50,000-iteration trainings of the auto backend and of the engine, in seconds."""
    import lottery_np as lt
    from lottery_np.engine import train_fused
    from lottery_np.train import TrainConfig, train
    data = lt.load_mnist()
    out = {}
    for name, fn in (("auto", train), ("fused", train_fused)):
        out[name] = {}
        for f in fractions:
            net = lt.MLP.initialize(SIZES, seed=0, backend="auto")
            net.set_masks(masks_for(f))
            fn(net.copy(), data, TrainConfig(iterations=100, eval_every=100), seed=0)  # compile or load the kernels first
            t = time.perf_counter()
            fn(net, data, TrainConfig(iterations=50000, eval_every=100), seed=0)
            out[name][str(f)] = round(time.perf_counter() - t, 1)
            print(f"  {name:7s} {100 * f:5.1f}% left: whole 50k training {out[name][str(f)]} s", flush=True)
    return out


# ----------------------------------------------------------------------------
# The parent: runs the children, prints the tables and the JSON
# ----------------------------------------------------------------------------


def run_child(what, args, env):
    cmd = [sys.executable, __file__, "--only", what, "--repeat", str(args.repeat), "--threads", str(args.threads),
           "--peak-n", str(args.peak_n), "--fractions", *map(str, args.fractions)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"step_time.py: measuring {what} failed:\n{done.stderr.strip()[-2000:]}")
    lines = done.stdout.rstrip().splitlines()
    if lines[:-1]:
        print("\n".join(lines[:-1]), flush=True)
    return json.loads(lines[-1])


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=300,
                    help="timed steps per case for one-step paths (the engine: repeat/10 calls of 100 steps, at least 5); "
                         "evaluations: repeat/20, at least 5 (default 300)")
    ap.add_argument("--paths", "--backends", nargs="+", default=list(PATHS), choices=PATHS, metavar="PATH",
                    help=f"paths of ours to time: {', '.join(PATHS)} (default: all)")
    ap.add_argument("--fractions", nargs="+", type=float, default=list(FRACTIONS),
                    help="fractions of weights left (default: " + " ".join(map(str, FRACTIONS)) + ")")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for PyTorch, BLAS and Numba alike, and for the peak measurement (default 1)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    ap.add_argument("--peak-n", type=int, default=2048, help="size of the square np.dot that measures the peak (default 2048)")
    ap.add_argument("--full", action="store_true", help="also time whole 50k-iteration trainings (auto and fused; slow)")
    ap.add_argument("--save", nargs="?", const=str(DOCS / "step_time.json"), default=None, metavar="PATH",
                    help="also write the JSON to PATH (default docs/step_time.json) for plot_step_time.py")
    ap.add_argument("--only", default=None, help=argparse.SUPPRESS)  # a child: measure one thing, print JSON
    args = ap.parse_args()
    if args.threads < 1 or args.repeat < 1:
        ap.error("--threads and --repeat must be at least 1")
    if not all(0 < f <= 1 for f in args.fractions):
        ap.error("--fractions must be in (0, 1], e.g. 0.036 for 3.6%")
    if args.only:
        print(json.dumps(child(args)))
        return

    load_start = loadavg()
    print(f"load average at start (1, 5, 15 min): {load_start}; {os.cpu_count()} CPUs: {cpu_name()}")
    print(f"every path with {args.threads} thread(s); medians of {args.repeat} steps "
          f"(engine: {max(5, args.repeat // 10)} calls of {CHUNK}), evaluations of {eval_repeat(args.repeat)}", flush=True)
    import lottery_np as lt
    lt.load_mnist()  # fetch once before the children start
    torch_version = None
    if not args.no_torch:
        try:
            import torch
            torch_version = torch.__version__
        except Exception as e:  # not installed, or installed without its libraries
            print(f"(PyTorch not available: {type(e).__name__}: {str(e)[:80]}; `pip install torch` to compare)")
    env = {**os.environ, **{k: str(args.threads) for k in THREAD_VARS}}

    pk = run_child("peak", args, env)
    peak_gflops = pk["gflops"]
    print(f"peak: float32 np.dot {pk['n']}x{pk['n']}, {args.threads} thread(s): {peak_gflops:.1f} GFLOP/s "
          f"(median of {pk['repeat']}; best {pk['gflops_max']:.1f}); the engine's loop shape without FMA, "
          f"data in L1: {pk['kernel_gflops']:.1f} GFLOP/s", flush=True)
    arith = run_child("arithmetic", args, env)
    names = list(args.paths) + (["torch"] if torch_version else [])
    res = {}
    for name in names:
        res[name] = run_child(name, args, env)
    full = run_child("full", args, env) if args.full else None
    load_end = loadavg()

    fr = [str(f) for f in args.fractions]
    floor_ms = {k: 2 * arith[k]["needed_macs"] / (peak_gflops * 1e9) * 1e3 for k in fr}
    step = {n: {k: res[n][k]["step_ms"] for k in fr} for n in names}
    ev = {n: {k: res[n][k]["eval5k_ms"] for k in fr} for n in names}
    est = {n: {k: (50000 * step[n][k] + 501 * ev[n][k] + 50 * 2 * ev[n][k]) / 1000 for k in fr} for n in names}
    gflops = {n: {k: 2 * arith[k]["needed_macs"] / (step[n][k] * 1e-3) / 1e9 for k in fr} for n in names}

    print("\nArithmetic each step needs (multiply-adds; batch of 60; only terms whose factors are all nonzero):")
    print("| % left | per layer | nonzero inputs x, h1, h2 | forward | weight grad | input grad | needed | dense "
          "| needed / dense | floor ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k in fr:
        a = arith[k]
        print(f"| {100 * float(k):g} | " + ", ".join(f"{100 * v:.3g}%" for v in a["layer_fractions"]) + " | " +
              ", ".join(f"{100 * v:.1f}%" for v in a["nonzero_inputs"]) +
              f" | {a['forward_macs'] / 1e6:.3f} M | {a['weight_grad_macs'] / 1e6:.3f} M | {a['input_grad_macs'] / 1e6:.3f} M"
              f" | {a['needed_macs'] / 1e6:.3f} M | {a['dense_macs'] / 1e6:.2f} M | {a['needed_macs'] / a['dense_macs']:.4f}"
              f" | {floor_ms[k]:.4f} |")

    print(f"\nEach path (% of peak: needed FLOPs / step time, against {peak_gflops:.1f} GFLOP/s):")
    print("| path | % left | step ms | eval 5k ms | 50k training s (est.) | step / PyTorch | 50k / PyTorch "
          "| GFLOP/s | % of peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in names:
        for k in fr:
            t = "torch" in step
            print(f"| {n} | {100 * float(k):g} | {step[n][k]:.4f} | {ev[n][k]:.2f} | {est[n][k]:.1f} | "
                  f"{ratio(step[n][k], step['torch'][k]) if t else float('nan'):.3f} | "
                  f"{ratio(est[n][k], est['torch'][k]) if t else float('nan'):.3f} | "
                  f"{gflops[n][k]:.2f} | {100 * gflops[n][k] / peak_gflops:.1f} |")

    head = [str(f) for f in HEADLINE if str(f) in fr]
    if head:
        print("\nSummary (step ms; in brackets ÷ PyTorch's):")
        print("| path | " + " | ".join(f"{100 * float(k):g}% left" for k in head) + " |")
        print("|---|" + "---|" * len(head))
        for n in names + ["floor"]:
            row = floor_ms if n == "floor" else step[n]
            vs_torch = "torch" in step and n not in ("torch", "floor")
            cells = [f"{row[k]:.3f}" + (f" ({row[k] / step['torch'][k]:.2f}×)" if vs_torch else "")
                     for k in head]
            label = {"torch": "PyTorch (masked, dense)", "floor": "arithmetic floor (needed FLOPs ÷ peak)"}.get(n, n)
            print(f"| {label} | " + " | ".join(cells) + " |")
    if full:
        print("\nWhole 50k trainings (s): " + "; ".join(f"{n}: " + ", ".join(f"{100 * float(k):g}% {v}" for k, v in d.items())
                                                      for n, d in full.items()))
    print(f"\nload average at end (1, 5, 15 min): {load_end}")

    import numba
    versions = {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
                "lottery_np": lt.__version__}
    if torch_version:
        versions["torch"] = torch_version

    def r(d, digits):
        return {n: {k: round(v, digits) for k, v in row.items()} for n, row in d.items()}

    out = {"fractions": args.fractions, "threads": args.threads, "repeat": args.repeat, "batch": BATCH,
           "step_ms": r(step, 4), "eval5k_ms": r(ev, 3), "train50k_s": r(est, 1), "train50k_estimated": True,
           "step_vs_torch": (r({n: {k: ratio(step[n][k], step["torch"][k]) for k in fr} for n in names}, 3)
                             if "torch" in step else None),
           "gflops": r(gflops, 3),
           "peak_fraction": r({n: {k: v / peak_gflops for k, v in g.items()} for n, g in gflops.items()}, 4),
           "floor_ms": {k: round(v, 5) for k, v in floor_ms.items()}, "arithmetic": arith,
           "engine_layers": {k: res["fused"][k]["modes"] for k in fr} if "fused" in res else None,
           "peak": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in pk.items()},
           "torch_threads": res["torch"][fr[0]]["torch_threads"] if "torch" in res else None,
           "train50k_measured_s": full, "loadavg": {"start": load_start, "end": load_end},
           "cpu": cpu_name(), "cpus": os.cpu_count(), "machine": platform.machine(), "versions": versions}
    line = json.dumps(out)
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(line + "\n")
        print(f"(saved to {args.save})")
    print(line)


if __name__ == "__main__":
    main()
