"""One loop: the experiments that made the committed results train exactly what ``lottery.py``'s loop trains.

``paper/experiments.py`` cuts an experiment into units (one training each) so that a run can be split,
resumed and spread over machines. Here a small one-shot and a small iterative experiment with both
controls run unit by unit through ``run_unit`` and again through ``lottery.oneshot_pruning`` /
``iterative_pruning`` and the control functions, with the experiments' seeds (``theta0``, ``order_seed``,
``control_seed``): every mask, weight and number agrees bit for bit, on the readable path and on the
engine.
"""
import numpy as np
import pytest

from lottery_np.data import Dataset
from lottery_np.engine import train_fused
from lottery_np.lottery import iterative_pruning, oneshot_pruning, reinit_control, reset, shuffle_control
from lottery_np.paper.experiments import Unit, control_seed, inputs_for, order_seed, plan, run_unit, source, theta0
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.train import train


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(30, 5))

    def split(n):
        x = (rng.random((n, 30)) * (rng.random((n, 30)) < 0.4)).astype(np.float32)  # sparse, like MNIST
        return x, np.argmax(x @ w, axis=1)
    return Dataset(*split(600), *split(200), *split(200))


def tiny(experiment, backend):
    return ExperimentConfig(experiment=experiment, sizes=(30, 24, 12, 5), iterations=80, eval_every=20,
                            batch_size=20, trials=2, controls=2, rounds=3, fractions=(0.6, 0.3),
                            record_test_curve=False, keep_weights=True, backend=backend)


def run_units(config, data):
    """Every unit of the experiment through ``run_unit``, in plan order, each fed its source ticket's arrays."""
    out = {}
    for u in plan(config):
        inputs = inputs_for(config, u, lambda t: out[t][1]) if source(config, u) else {}
        out[u] = run_unit(config, u, inputs, data=data)
    return out


def same(record, arrays, net, history):
    """A unit's record and stored arrays are the network ``net`` trained with ``history``, bit for bit."""
    n = len(net.weights)
    assert all(np.array_equal(arrays[f"trained_w_{i}"], net.weights[i]) for i in range(n))
    assert all(np.array_equal(arrays[f"trained_b_{i}"], net.biases[i]) for i in range(n))
    assert record["convergence_iteration"] == history.convergence_iteration
    assert record["test_accuracy"] == float(history.test_accuracy)
    assert record["min_val_loss"] == float(history.min_val_loss)


@pytest.mark.parametrize("backend, trainer", [("numpy", train), ("fused", train_fused)])
@pytest.mark.parametrize("experiment", ["oneshot", "iterative"])
def test_the_experiments_train_the_loop_of_lottery_py(data, experiment, backend, trainer):
    config = tiny(experiment, backend)
    units = run_units(config, data)
    cfg = config.train_config()
    for trial in range(config.trials):
        net0, seed = theta0(config, trial), order_seed(config, trial)
        if experiment == "iterative":
            levels = iterative_pruning(net0, data, cfg, config.rounds, config.rate, config.output_rate, seed=seed,
                                       pruning=config.pruning, trainer=trainer)
        else:
            levels = oneshot_pruning(net0, data, cfg, config.fractions, seed=seed, pruning=config.pruning,
                                     trainer=trainer)
        assert len(levels) == config.n_levels
        for level, lv in enumerate(levels):
            same(*units[Unit(level, "ticket", trial)], lv.net, lv.history)
            if level == 0:
                continue
            for draw in range(config.controls):
                for kind, control in (("reinit", lambda m, s: reinit_control(net0, m, s, std=config.init_std)),
                                      ("shuffle", lambda m, s: shuffle_control(reset(net0, m), m, s))):
                    u = Unit(level, kind, trial, draw)
                    net = control(lv.masks, control_seed(config, u))
                    same(*units[u], net, trainer(net, data, cfg, seed=seed))
