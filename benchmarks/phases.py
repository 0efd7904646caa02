"""Where an engine step goes: each phase's time beside its own arithmetic floor, per density.

    python benchmarks/phases.py                       # LeNet-300-100, the step_time.py densities
    python benchmarks/phases.py --fractions 1 0.018   # some densities only
    python benchmarks/phases.py --save                # ... and write docs/phases.json
    python benchmarks/phases.py --crossover           # whole steps with each layer forced to ROWS or COLS

A step of the engine is a sequence of phases: loading the minibatch for the first layer, the
forward pass of each layer, the loss, then the backward pass and SGD update of each layer from
the top (``engine.step``). Each phase is timed by difference: the time of 300 real MNIST
minibatches run up to and including that phase, minus the time up to the phase before, both
inside one Numba call (medians of several repeats). An evaluation of the 5,000 validation
images is timed the same way, layer by layer.

Each phase's floor is the multiply-adds it needs (terms whose factors are all nonzero: a
surviving weight, a nonzero input, a nonzero ∂L/∂Z, counted as in step_time.py) at the measured
single-thread peak (a large float32 ``np.dot``). Loading the input and the loss need no
multiply-adds in that sense; their floor is shown as 0 and their time is pure overhead.
BLAS, Numba and NumPy run with one thread (set here before anything is imported).
"""
import os

for _k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_k] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from step_time import FRACTIONS, SIZES, activations, masks_for, peak  # noqa: E402

from lottery_np import engine  # noqa: E402
from lottery_np.engine.evaluate import eval_layer, loss_and_correct  # noqa: E402
from lottery_np.engine.step import backward_layer, forward_layer, load_input, softmax_cross_entropy  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"


@njit(cache=True)
def run_upto(net, buf, x, y, order, lr, upto):
    """Run the first ``upto`` + 1 phases of a step on every minibatch of ``order``."""
    n_layers = len(net.weights)
    for t in range(order.shape[0]):
        idx = order[t]
        load_input(net, buf, x, idx)
        for i in range(n_layers):
            if upto < 1 + i:
                break
            forward_layer(net, buf, x, i)
        if upto >= n_layers + 1:
            softmax_cross_entropy(buf.rows[n_layers], y, idx, buf.drows[n_layers])
        for k in range(n_layers):
            if upto < n_layers + 2 + k:
                break
            backward_layer(net, buf, x, lr, n_layers - 1 - k)


@njit(cache=True)
def eval_upto(net, buf, x, blocks, y, upto):
    block = buf.rows[0].shape[0]
    n_layers = len(net.weights)
    n_examples = x.indptr.size - 1
    for k, start in enumerate(range(0, n_examples, block)):
        n = min(block, n_examples - start)
        for i in range(min(upto + 1, n_layers)):
            eval_layer(net, buf, x, blocks, k, start, n, i)
        if upto >= n_layers:
            loss_and_correct(buf.rows[n_layers][:n], y, start)


def timed(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def needed_macs(net, data, order):
    """Per phase multiply-adds a step needs (mean over the minibatches), as step_time.arithmetic counts."""
    n_layers = len(net.weights)
    fwd, bwd = np.zeros(n_layers), np.zeros(n_layers)
    for idx in order:
        acts = activations(net, data.x_train[idx])
        for l, m in enumerate(net.masks):
            a = (acts[l] != 0).astype(np.float64)
            dz = (acts[l + 1] > 0).astype(np.float64) if l < n_layers - 1 else np.ones((len(idx), m.shape[1]))
            m = m.astype(np.float64)
            fwd[l] += a.sum(axis=0) @ m.sum(axis=1)
            both = float(((a.T @ dz) * m).sum())
            bwd[l] += both * (2 if l > 0 else 1)  # weight gradient, and the input gradient above the first layer
    return fwd / len(order), bwd / len(order)


def measure(fraction, data, prepared, order, repeat, peak_gflops):
    import lottery_np as lt
    net = lt.MLP.initialize(SIZES, seed=0)
    net.set_masks(masks_for(fraction))
    fwd_macs, bwd_macs = needed_macs(net.copy(), data, order[:64])
    layers = engine.pack(net)
    buf = engine.buffers(net.sizes, order.shape[1], net.dtype, layers.modes)
    lr = net.dtype.type(0.1)
    n_layers = len(SIZES) - 1
    names = ["input"] + [f"forward {l}" for l in range(n_layers)] + ["loss"] + \
        [f"backward {l}" for l in reversed(range(n_layers))]
    macs = [0.0] + list(fwd_macs) + [0.0] + list(reversed(bwd_macs))
    totals = [timed(lambda k=k: run_upto(layers, buf, prepared.train, prepared.y_train, order, lr, k), repeat)
              for k in range(len(names))]
    per_step = np.diff([0.0] + totals) / len(order) * 1e6  # µs
    ev = engine.Evaluator(layers, net.sizes, net.dtype, prepared.val, prepared.y_val)
    e_tot = [timed(lambda k=k: eval_upto(layers, ev.buf, ev.x, ev.blocks, ev.y, k), repeat) for k in range(n_layers + 1)]
    e_us = np.diff([0.0] + e_tot) * 1e6
    acts = activations(net, data.x_val)
    e_macs = [float((acts[l] != 0).sum(axis=0) @ m.sum(axis=1)) for l, m in enumerate(net.masks)] + [0.0]
    floor = [2 * m / (peak_gflops * 1e3) for m in macs]  # µs
    e_floor = [2 * m / (peak_gflops * 1e3) for m in e_macs]
    return {"modes": "".join("RC"[m] for m in layers.modes),
            "step": [{"phase": n, "us": round(float(t), 2), "floor_us": round(f, 3)} for n, t, f in zip(names, per_step, floor)],
            "step_us": round(float(totals[-1] / len(order) * 1e6), 2), "step_floor_us": round(sum(floor), 3),
            "eval": [{"phase": n, "us": round(float(t), 1), "floor_us": round(f, 2)}
                     for n, t, f in zip([f"layer {l}" for l in range(n_layers)] + ["loss"], e_us, e_floor)],
            "eval_ms": round(float(e_tot[-1] * 1e3), 3), "eval_floor_ms": round(sum(e_floor) / 1e3, 4)}


def crossover(data, prepared, order, repeat):
    """Whole-step µs with the layers forced to ROWS or COLS, every layer keeping the same fraction of
    its weights: RRR against RRC gives the output layer's crossover, RRC against RCC the hidden
    layer's, RCC against CCC the first layer's (``engine.paths.ROWS_ABOVE``)."""
    import lottery_np as lt
    R, C = engine.ROWS, engine.COLS
    cases = {"RRR": (R, R, R), "RRC": (R, R, C), "RCC": (R, C, C), "CCC": (C, C, C)}
    print("| % of each layer left | " + " | ".join(cases) + " |")
    print("|---|" + "---|" * len(cases))
    out = {}
    for f in (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.16, 0.12, 0.08, 0.05):
        rng = np.random.default_rng(0)
        row = {}
        for name, modes in cases.items():
            net = lt.MLP.initialize(SIZES, seed=0)
            net.set_masks([(rng.random(w.shape) < f).astype(np.float32) for w in net.weights])
            layers = engine.pack(net, modes)
            buf = engine.buffers(net.sizes, order.shape[1], net.dtype, layers.modes)
            full = len(SIZES) * 2
            row[name] = timed(lambda: run_upto(layers, buf, prepared.train, prepared.y_train, order, np.float32(0.1), full),
                              repeat) / len(order) * 1e6
        out[str(f)] = row
        print(f"| {100 * f:g} | " + " | ".join(f"{v:.1f}" for v in row.values()) + " |", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--fractions", nargs="+", type=float, default=list(FRACTIONS),
                    help="fractions of weights left (default: " + " ".join(map(str, FRACTIONS)) + ")")
    ap.add_argument("--steps", type=int, default=300, help="minibatches per timing (default 300)")
    ap.add_argument("--repeat", type=int, default=7, help="timings per phase; the median is kept (default 7)")
    ap.add_argument("--crossover", action="store_true", help="time whole steps with layers forced to each path")
    ap.add_argument("--save", nargs="?", const=str(DOCS / "phases.json"), default=None, metavar="PATH",
                    help="also write the JSON to PATH (default docs/phases.json)")
    args = ap.parse_args()
    if args.steps < 1 or args.repeat < 1 or not all(0 < f <= 1 for f in args.fractions):
        ap.error("--steps and --repeat must be at least 1 and --fractions in (0, 1], e.g. 0.036 for 3.6%")
    import lottery_np as lt
    data = lt.load_mnist()
    prepared = engine.prepare(data)
    rng = np.random.default_rng(0)
    order = np.stack([rng.permutation(len(data.x_train))[:60] for _ in range(args.steps)])
    pk = peak(2048, 5)["gflops"]
    print(f"load average {[round(v, 2) for v in os.getloadavg()]}; peak {pk:.1f} GFLOP/s (float32 np.dot, 1 thread); "
          f"{args.steps} minibatches of 60, medians of {args.repeat}")
    if args.crossover:
        print(json.dumps(crossover(data, prepared, order, args.repeat)))
        return
    out = {"peak_gflops": round(pk, 1), "fractions": {}}
    for f in args.fractions:
        r = measure(f, data, prepared, order, args.repeat, pk)
        out["fractions"][str(f)] = r
        print(f"\n{100 * f:g}% left (layers {r['modes']}): step {r['step_us']:.1f} µs (floor {r['step_floor_us']:.2f}), "
              f"eval 5k {r['eval_ms']:.2f} ms (floor {r['eval_floor_ms']:.3f})")
        print("| phase | µs | floor µs | × floor |")
        print("|---|---|---|---|")
        for p in r["step"] + [dict(e, phase="eval " + e["phase"]) for e in r["eval"]]:
            x = p["us"] / p["floor_us"] if p["floor_us"] else float("nan")
            print(f"| {p['phase']} | {p['us']:.1f} | {p['floor_us']:.2f} | {x:.1f} |")
    print(f"\nload average at end {[round(v, 2) for v in os.getloadavg()]}")
    line = json.dumps(out)
    if args.save:
        Path(args.save).write_text(line + "\n")
        print(f"(saved to {args.save})")
    print(line)


if __name__ == "__main__":
    main()
