"""How long a plan will take on this machine, measured before it starts.

The engine's cost per step follows the weights a network has left, so a training's time is
measured at its level's density: a few steps and one evaluation of each density (snapped to
a log grid, so that nearby levels share one measurement), in as many single-threaded worker
processes as the plan will use, so that the workers' cost to each other is included.
``training_estimates`` returns seconds per distinct training; ``describe_estimate`` is the
line ``lottery-np reproduce`` prints before it starts.

Without measuring, ``rough_seconds`` scales the committed paper-scale run's times (the line
``lottery-np mnist`` and ``sweep`` print before they start).
"""
import os
import time

import numpy as np

from .. import engine
from ..data import Dataset, load_mnist
from ..network import MLP
from ..train import TrainConfig, train
from .experiments import distinct, plan, records_curve, unit_key
from .levels import level_fractions
from .workers import local_executor

_MEASURE_DATA = {}


def _measure_data():
    """MNIST and the engine's view of it, once per worker process (not once per density)."""
    if "mnist" not in _MEASURE_DATA:
        d = load_mnist()
        tiny = Dataset(d.x_train, d.y_train, d.x_val[:60], d.y_val[:60], d.x_test[:60], d.y_test[:60])
        # The engine's view of the data is made once here and passed in, as a training makes it once.
        _MEASURE_DATA["mnist"] = d, tiny, engine.prepare(tiny), engine.sparse_rows(d.x_val[:1000])
    return _MEASURE_DATA["mnist"]


def warm_worker(_=None):
    """Load the data and the compiled kernels in a worker before anything is timed, so that no
    measurement shares the machine with another worker's start-up."""
    _measure_data()
    training_seconds((784, 30, 10), (1.0, 1.0), repeat=1, steps=10)
    return os.getpid()


def training_seconds(sizes, fractions, backend="fused", steps=100, repeat=5):
    """Measured (seconds per training step, seconds per evaluated example) on real MNIST for a
    network of ``sizes`` keeping ``fractions`` of each layer's weights (at random positions):
    medians of ``repeat`` timings of ``steps`` steps and of an evaluation of 1,000 images."""
    d, tiny, prepared, x_eval = _measure_data()
    rng = np.random.default_rng(0)
    net = MLP.initialize(sizes, seed=0, backend="auto" if backend == "fused" else backend)
    net.set_masks([(rng.random(w.shape) < f).astype(w.dtype) for w, f in zip(net.weights, fractions)])
    if backend == "fused":
        def trainer(n, data, cfg):
            return engine.train_fused(n, data, cfg, prepared=prepared)
    else:
        trainer = train
    x, y = d.x_val[:1000], d.y_val[:1000]
    if backend == "fused":
        evaluate = engine.Evaluator(engine.pack(net), net.sizes, net.dtype, x_eval, y.astype(np.int64))
    else:
        def evaluate():
            return net.evaluate(x, y)
    trainer(net, tiny, TrainConfig(iterations=10, eval_every=10, lr=0.01))  # warm-up (Numba cache load)
    evaluate()
    steps_s, eval_s = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        trainer(net, tiny, TrainConfig(iterations=steps, eval_every=steps, lr=0.01))
        steps_s.append((time.perf_counter() - t) / steps)
        t = time.perf_counter()
        evaluate()
        eval_s.append((time.perf_counter() - t) / len(x))
    return float(np.median(steps_s)), float(np.median(eval_s))


GRID = 1.2  # densities are measured on a log grid of this ratio: within ±10% of each level's


def _grid_key(sizes, fractions):
    snapped = [min(1.0, GRID ** round(np.log(f) / np.log(GRID))) if f > 0 else 0.0 for f in fractions]
    return tuple(sizes), tuple(round(f, 5) for f in snapped)


def estimate_seconds(folders, jobs, backend="fused", steps=100):
    """Wall-clock estimate of training every distinct unit of ``folders`` on this machine with ``jobs`` workers."""
    return sum(training_estimates(folders, jobs, backend, steps).values()) / max(1, jobs)


def training_estimates(folders, jobs, backend="fused", steps=100):
    """Estimated seconds of each distinct training of ``folders`` (``{key: seconds}``) on this machine,
    when ``jobs`` of them run at once.

    Step and evaluation times are measured at each level's density (the engine's cost follows the
    weights that are left), in ``jobs`` single-threaded worker processes at once, like the real
    ones, so that the estimate includes what the workers cost each other. ``steps`` per measurement:
    fewer is quicker and noisier."""
    units = distinct(cfg for _, cfg in folders)
    curve = {}
    for _, cfg in folders:  # a training records its test curve if any experiment sharing it draws it
        for unit in plan(cfg):
            k = unit_key(cfg, unit)
            curve[k] = curve.get(k, False) or records_curve(cfg, unit)
    needed = {}
    for cfg, unit in units.values():
        key = _grid_key(cfg.sizes, level_fractions(cfg, unit.level))
        needed[key] = (cfg.sizes, list(key[1]))  # measured at the grid density
    keys = sorted(needed)
    with local_executor(jobs) as pool:
        list(pool.map(warm_worker, range(jobs)))
        results = list(pool.map(training_seconds, [needed[k][0] for k in keys], [needed[k][1] for k in keys],
                                [backend] * len(keys), [steps] * len(keys)))
    measured = dict(zip(keys, results))
    out = {}
    for k, (cfg, unit) in units.items():
        step, per_example = measured[_grid_key(cfg.sizes, level_fractions(cfg, unit.level))]
        evals = cfg.iterations // cfg.eval_every + 1
        test = 10000 if curve[k] else 1000  # else only at new minima
        out[k] = cfg.iterations * step + evals * (cfg.n_validation + test) * per_example
    return out


def describe_estimate(mode, folders, jobs, seconds, done=0):
    """The plan's line: its distinct trainings (and how many are done), its experiments, its estimated time."""
    n_units = sum(len(plan(cfg)) for _, cfg in folders)
    n_distinct = len(distinct(cfg for _, cfg in folders))
    left = f"{n_distinct - done} to run, {done} already done; " if done else ""
    return (f"plan ({mode}): XOR tables, then {n_distinct} distinct MNIST trainings ({left}{n_units} counted per "
            f"experiment, some shared) in {len(folders)} experiments; estimated {duration(seconds)} of training with "
            f"{jobs} job(s) on this machine (step and evaluation times measured at each level's density; figures, "
            f"saving and XOR come on top)")



def duration(seconds):
    """A wall time in words for the report and the plan's line, e.g. "7.8 min" or "2.0 h"."""
    if seconds is None:
        return "not recorded"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


# Seconds per training of LeNet-300-100 at 50,000 iterations in the committed paper-scale run (code 7de5d0a, two
# jobs on a 2-core AMD EPYC Zen 4), by the fraction of weights left: the median of the 730 such trainings its last
# machine's store held (290 at 17% and above, 120 at 10-17%, 320 below). What `rough_seconds` scales;
# `lottery-np reproduce --estimate` measures this machine instead.
REFERENCE_SECONDS = ((0.17, 49.0), (0.10, 35.0), (0.0, 19.0))
REFERENCE_WEIGHTS, REFERENCE_ITERATIONS = 784 * 300 + 300 * 100 + 100 * 10, 50000


def rough_seconds(config, unit):
    """About how long one training takes, from the reference run's times: scaled by iterations and by
    the number of weights (never below a twentieth: evaluation and bookkeeping remain)."""
    n = [a * b for a, b in zip(config.sizes, config.sizes[1:])]
    left = sum(f * w for f, w in zip(level_fractions(config, unit.level), n)) / sum(n)
    per = next(s for lo, s in REFERENCE_SECONDS if left >= lo)
    return per * config.iterations / REFERENCE_ITERATIONS * max(sum(n) / REFERENCE_WEIGHTS, 0.05)


def rough_duration(seconds):
    """A rough wall time in words for the line printed before a run, e.g. "a few seconds" or "12 min"."""
    if seconds < 60:
        return "under a minute" if seconds >= 1 else "a few seconds"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
