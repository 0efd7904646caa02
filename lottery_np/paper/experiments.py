"""The MNIST experiments of sections 3–6, cut into units of work.

An experiment (one ``ExperimentConfig``) is many trainings. Each training is a
``Unit``: one network trained once, named by

* ``kind``  — ``ticket`` (the pruned network reset to θ0), ``reinit``
  (control 1: same mask, fresh weights) or ``shuffle`` (control 2: the
  survivors' initial values moved to random positions within each layer);
* ``trial`` — which independent ticket (its own θ0 and minibatch order);
* ``level`` — how far it is pruned: round ``level`` of iterative pruning, or
  the ``level``-th one-shot fraction (level 0 is always the unpruned network);
* ``draw``  — which of the control draws (always 0 for tickets).

A unit needs what some earlier ticket of its trial left behind (``sources``):
the masks it is pruned to — cut from the trained weights of the unpruned
ticket, or passed on by the ticket one round earlier — and, for the variants
that do not reset to θ0, its starting weights. ``run_unit`` is a pure function
of the config, the unit and those inputs — every random number comes from a
seed derived from ``(config.seed, trial, stream, level, draw)`` — so a unit
gives the same result whenever and wherever it runs. That is what lets the
runner (``runner.py``) run units in parallel, resume after an interruption, or
send them to a cluster, without changing a single number.

It also means a training is named by what determines it, not by the
experiment that asked for it: ``identity`` lists every setting that changes a
unit's numbers (and nothing else: not the number of trials, rounds or draws,
not the backend, not whether a test curve is recorded), and ``unit_key`` hashes
it. Two experiments that share a training — the unpruned network of one-shot
and iterative pruning, the σ = 0.1 variant of the init sweep and the main
experiment — find it under the same key, so it is trained once.

The settings themselves, and how the command line words them, are ``settings.py``.
"""
from dataclasses import dataclass
import hashlib
import json
import time

import numpy as np

from ..data import load_mnist
from ..engine import prepare, supports as engine_supports, train_fused
from ..errors import ResultsError
from ..lottery import prune, reinit_control, reset, shuffle_control
from ..network import MLP, init_weights
from ..pruning import full_masks, layer_rates, oneshot_rates, percent_remaining
from ..train import train
from .settings import DEFAULTS, SETTINGS

FORMAT = 2  # bump when the meaning of a stored unit changes (1: units stored per folder, by id)

# Streams of randomness, each with its own seed (see ``seed_for``).
INIT, ORDER, REINIT, SHUFFLE = 0, 1, 2, 3


@dataclass(frozen=True, order=True)
class Unit:
    """One training of an experiment (see the module docstring)."""

    level: int
    kind: str = "ticket"
    trial: int = 0
    draw: int = 0

    @property
    def id(self):
        tail = f"-d{self.draw}" if self.kind != "ticket" else ""
        return f"{self.kind}-t{self.trial}-l{self.level:02d}{tail}"


def plan(config):
    """Every unit of the experiment, tickets before the controls that need their masks."""
    units = []
    for trial in range(config.trials):
        for level in range(config.n_levels):
            units.append(Unit(level, "ticket", trial))
            if level == 0 or not config.has_controls(level):
                continue  # no controls for the unpruned network: it has no mask to copy
            units += [Unit(level, kind, trial, draw) for kind in config.control_kinds for draw in range(config.controls)]
    return units


def source(config, unit):
    """The ticket whose pruning produced this unit's mask (None for the unpruned network)."""
    if unit.level == 0:
        return None
    previous = unit.level - 1 if config.experiment == "iterative" else 0
    return Unit(previous, "ticket", unit.trial)


def sources(config, unit):
    """Every ticket whose stored arrays ``unit`` needs: its mask's source and, with late
    resetting, the unpruned ticket that kept the weights of iteration k."""
    s = source(config, unit)
    if s is None:
        return []
    return [s] if (not config.reset_iteration or s.level == 0) else [s, Unit(0, "ticket", unit.trial)]


def weights_from(config, unit):
    """The tickets whose weights ``inputs_for(unit)`` reads, not only the masks they pass on — arrays a
    compact folder does not keep: the source whose trained weights give the masks (the first pruned
    level, one-shot levels) or the starting weights (no reset), and with late resetting the unpruned
    ticket that kept the weights of iteration k."""
    s = source(config, unit)
    if s is None:
        return []
    out = [s] if (config.reset == "none" or not (config.experiment == "iterative" and s.level > 0)) else []
    zero = Unit(0, "ticket", unit.trial)
    if config.reset != "none" and config.reset_iteration and zero not in out:
        out.append(zero)
    return out


def seed_for(config, trial, stream, level=0, draw=0):
    """An independent seed for each stream of randomness of each unit."""
    return np.random.SeedSequence([config.seed, trial, stream, level, draw])


def theta0(config, trial):
    """The trial's initial network θ0 (weights from the init distribution, zero biases): step 1 of the paper."""
    weights, biases = init_weights(config.sizes, seed_for(config, trial, INIT), std=config.init_std, init=config.init)
    return MLP(weights, biases, backend=config.net_backend)


def order_seed(config, trial):
    """The seed of the trial's minibatch order (the same for every level and kind): the ``seed`` that
    ``lottery.iterative_pruning`` and ``oneshot_pruning`` take."""
    return seed_for(config, trial, ORDER)


def control_seed(config, unit):
    """The seed of a control's fresh weights (control 1) or new positions (control 2): one per trial,
    level and draw, the ``seed`` that ``lottery.reinit_control`` and ``shuffle_control`` take."""
    return seed_for(config, unit.trial, REINIT if unit.kind == "reinit" else SHUFFLE, unit.level, unit.draw)


# ----------------------------------------------------------------------------
# What a training is: every setting that changes its numbers, and its key
# ----------------------------------------------------------------------------


def pruning_rates(config, unit):
    """The per-layer rates that cut ``unit``'s masks from its source ticket's trained weights."""
    n_layers = len(config.sizes) - 1
    if config.experiment == "oneshot":
        return oneshot_rates(config.fractions[unit.level - 1], n_layers)
    return layer_rates(config.rate, n_layers, config.output_rate)


def identity(config, unit):
    """Every setting that determines ``unit``'s numbers, as a JSON-ready dict — and nothing else.

    The data split, the network and its initialization, the training settings, the root seed and the
    trial (θ0 and the minibatch order), the kind, and for a control its draw and level (its seed).
    Pruned units add how they were pruned — the one-shot fraction, or the round and the per-layer
    rates of iterative pruning, and ``pruning: global`` when the hidden layers were ranked together —
    and what they start from (θ0, θk, or the trained weights). The
    number of trials, rounds, draws or levels of the experiment, the backend, whether a test curve is
    recorded and whether weights are kept change no number, and are not here.
    """
    d = {"format": FORMAT, "data": config.data(),
         "sizes": list(config.sizes), "init": config.init, "init_std": config.init_std, "training": config.training(),
         "seed": config.seed, "trial": unit.trial, "kind": unit.kind}
    if unit.kind != "ticket":
        d.update(level=unit.level, draw=unit.draw)  # a control's weights are drawn from (trial, level, draw)
    if unit.level == 0:
        if config.reset_iteration:
            d["keeps_weights_of_iteration"] = config.reset_iteration  # late resetting: θk is stored with it
        return _with_new_settings(d, config, unit)
    if config.experiment == "oneshot":
        d["pruned"] = {"oneshot": config.fractions[unit.level - 1]}
    else:
        d["pruned"] = {"rounds": unit.level, "rates": list(pruning_rates(config, unit))}
    d["start"] = ("trained" if config.reset == "none" else
                  f"iteration {config.reset_iteration}" if config.reset_iteration else "init")
    return _with_new_settings(d, config, unit)


def _with_new_settings(d, config, unit):
    """The settings added after the keys above were fixed (``Setting.identity``), each only when it is
    not at its default, so that the trainings made before it keep their keys (``pruning`` among them)."""
    for name, s in SETTINGS.items():
        value = getattr(config, name)
        if s.identity == "every" or (s.identity == "pruned" and unit.level > 0):
            if value != DEFAULTS[name]:
                d[name] = list(value) if isinstance(value, tuple) else value
    return d


def unit_key(config, unit):
    """A stable name for the training ``unit`` is: a hash of its ``identity``."""
    text = json.dumps(identity(config, unit), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_DATA = {}
_PREPARED = {}  # dtype name -> the data set _DATA holds, as the engine reads it


def mnist_for(config, data_dir=None):
    """MNIST as this config splits and scales it, loaded once per process."""
    key = (str(data_dir), *config.data().values())
    if key not in _DATA:
        _DATA.clear()
        _PREPARED.clear()
        _DATA[key] = load_mnist(data_dir, **config.data())
    return _DATA[key]


def prepared_mnist_for(config, data_dir, dtype):
    """``mnist_for``'s data as the engine reads it (``engine.prepare``: about 0.3 s, longer than a
    test's whole training), made once per process and dtype."""
    data = mnist_for(config, data_dir)  # another data set clears what was prepared from the last one
    name = np.dtype(dtype).name
    if name not in _PREPARED:
        _PREPARED[name] = prepare(data, dtype)
    return _PREPARED[name]


# ----------------------------------------------------------------------------
# What a ticket passes on: masks (and, for some variants, weights)
# ----------------------------------------------------------------------------


def pack(prefix, arrays):
    return {f"{prefix}{i}": a for i, a in enumerate(arrays)}


def unpack(prefix, arrays):
    n = sum(1 for k in arrays if k.startswith(prefix) and k[len(prefix):].isdigit())
    return [arrays[f"{prefix}{i}"] for i in range(n)]


def _needed(arrays, prefix, what, ticket):
    found = unpack(prefix, arrays)
    if not found:
        raise ResultsError(f"the {what} of ticket {ticket.id} are not kept where this run looks for them (a compact "
                           f"folder keeps masks only); train into a folder whose trainings are at hand")
    return found


def inputs_for(config, unit, arrays_of, masks=None):
    """What ``unit`` needs from the stored arrays of its ``sources``: its masks, and its starting
    weights when they are not θ0 (late resetting, or no reset at all).

    arrays_of : ``f(ticket unit) -> dict`` of that finished ticket's stored arrays.
    masks : the unit's masks if already known (e.g. its level's ticket's), else they are made here:
    the masks of the first pruned level are cut from the unpruned ticket's trained weights (step 3
    of the paper), those of later rounds are the ones the previous round passed on."""
    if unit.level == 0:
        return {}
    s = source(config, unit)
    src = arrays_of(s) if (masks is None or config.reset == "none") else {}
    if masks is not None:
        pass
    elif config.experiment == "iterative" and s.level > 0:
        masks = _needed(src, "next_mask_", "masks for the next round", s)
    else:
        trained = _needed(src, "trained_w_", "trained weights", s)
        masks = prune(trained, full_masks(trained), pruning_rates(config, unit), config.pruning)  # step 3
    out = pack("mask_", [m.astype(bool) for m in masks])
    if config.reset == "none":
        out.update(pack("start_w_", _needed(src, "trained_w_", "trained weights", s)))
        out.update(pack("start_b_", _needed(src, "trained_b_", "trained biases", s)))
    elif config.reset_iteration:
        zero = Unit(0, "ticket", unit.trial)
        arrays = src if (s == zero and src) else arrays_of(zero)
        out.update(pack("start_w_", _needed(arrays, "rewind_w_", f"weights of iteration {config.reset_iteration}", zero)))
        out.update(pack("start_b_", _needed(arrays, "rewind_b_", f"biases of iteration {config.reset_iteration}", zero)))
    return out


def nan_to_none(values):
    return [None if (isinstance(v, float) and not np.isfinite(v)) else v for v in values]


# ----------------------------------------------------------------------------
# One unit of work
# ----------------------------------------------------------------------------


def starting_network(config, unit, inputs):
    """The network ``unit`` trains, as it is before training: its mask, and its weights reset to θ0
    (a ticket), to θk or to trained weights (the variants), drawn afresh (control 1) or moved (control 2),
    each by ``lottery.py``'s own step."""
    net0 = theta0(config, unit.trial)
    masks = [m.astype(net0.dtype) for m in unpack("mask_", inputs)] or full_masks(net0.weights)
    if "start_w_0" in inputs:  # late resetting or no reset: start from stored weights, not θ0
        net0 = MLP(unpack("start_w_", inputs), unpack("start_b_", inputs), backend=config.net_backend)
    start = reset(net0, masks)  # step 4
    if unit.kind == "ticket":
        return start
    if unit.kind == "reinit":
        return reinit_control(start, masks, control_seed(config, unit), std=config.init_std, init=config.init)
    return shuffle_control(start, masks, control_seed(config, unit))


def records_curve(config, unit):
    """Whether ``unit`` evaluates the test set at every evaluation for the curve figures (see ``curve_levels``)."""
    return config.record_test_curve and unit.trial == 0 and unit.level in config.curve_levels()


def run_unit(config, unit, inputs, data=None, data_dir=None, curve=None, keep_weights=None):
    """Train one unit. Returns ``(record, arrays)``.

    curve, keep_weights : record the whole test curve, keep the trained weights (default: as
        ``config`` asks for ``unit``). Neither changes a number; the runner asks for them when any
        experiment sharing the training wants them.
    record : a JSON-ready dict — what the training is (``key``, ``settings``: its ``identity``), the
        paper's measurements (convergence iteration, test accuracy there, minimum validation loss,
        diverged) and the training curves.
    arrays : what the runner stores beside it. Tickets keep their masks (``mask_i``, bool); the
        unpruned ticket keeps its trained weights (``trained_w_i``, ``trained_b_i``), which every
        pruned level is cut from; an iterative ticket keeps the masks of the next round
        (``next_mask_i``), even after the last, so that the experiment can grow.
    """
    start_time = time.time()
    given_data = data is not None
    data = data if given_data else mnist_for(config, data_dir)
    net = starting_network(config, unit, inputs)

    rewind = {}

    def snapshot(iteration, history):  # late resetting: remember the unpruned net at iteration k
        if iteration == config.reset_iteration:
            rewind.update(pack("rewind_w_", [w.copy() for w in net.weights]))
            rewind.update(pack("rewind_b_", [b.copy() for b in net.biases]))

    wants_rewind = unit.kind == "ticket" and unit.level == 0 and config.reset_iteration > 0
    train_config = config.train_config(records_curve(config, unit) if curve is None else bool(curve))
    callback = snapshot if wants_rewind else None
    use_engine = config.backend == "fused" and engine_supports(net, train_config)[0]
    if use_engine:
        prepared = None if given_data else prepared_mnist_for(config, data_dir, net.dtype)
        history = train_fused(net, data, train_config, seed=order_seed(config, unit.trial), callback=callback,
                              prepared=prepared)
    else:
        history = train(net, data, train_config, seed=order_seed(config, unit.trial), callback=callback)

    arrays = {}
    keep = config.keep_weights if keep_weights is None else keep_weights
    if unit.kind == "ticket":
        arrays.update(pack("mask_", [m.astype(bool) for m in net.masks]))
        if config.experiment == "iterative" and unit.level > 0:
            next_masks = prune(net.weights, net.masks, pruning_rates(config, unit), config.pruning)  # step 3, next round
            arrays.update(pack("next_mask_", [m.astype(bool) for m in next_masks]))
        keep = keep or unit.level == 0 or (config.reset == "none" and config.experiment == "iterative")
        arrays.update(rewind)
    if keep:
        arrays.update(pack("trained_w_", net.weights))
        arrays.update(pack("trained_b_", net.biases))
    h = history.to_dict()
    for k in ("train_loss", "val_loss", "val_acc", "test_acc"):
        h[k] = nan_to_none([float(v) for v in h[k]])
    record = {
        "key": unit_key(config, unit), "kind": unit.kind, "trial": unit.trial, "draw": unit.draw,
        "percent_remaining": percent_remaining(net.masks),
        "convergence_iteration": int(history.convergence_iteration),
        "test_accuracy": nan_to_none([float(history.test_accuracy)])[0],
        "min_val_loss": nan_to_none([float(history.min_val_loss)])[0],
        "diverged": bool(history.diverged), "history": h, "seconds": round(time.time() - start_time, 2),
        "engine": "fused" if use_engine else f"readable ({net.backend})", "settings": identity(config, unit),
    }
    return record, arrays


def distinct(configs):
    """The distinct trainings of several experiments, each once: ``{key: (config, unit)}`` with the
    first experiment that asks for it, in plan order."""
    out = {}
    for config in configs:
        for unit in plan(config):
            out.setdefault(unit_key(config, unit), (config, unit))
    return out
