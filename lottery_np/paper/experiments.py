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
"""
from dataclasses import asdict, dataclass, fields
import hashlib
import json
import time

import numpy as np

from ..data import load_mnist
from ..engine import supports as engine_supports, train_fused
from ..errors import ConfigError, ResultsError
from ..kernels import BACKENDS
from ..lottery import reinit_control, shuffle_control
from ..network import MLP, init_weights
from ..pruning import check_rate, full_masks, layer_rates, oneshot_rates, percent_remaining, prune_by_magnitude
from ..train import TrainConfig, train

TRAIN_BACKENDS = ("fused",) + BACKENDS  # "fused": lottery_np/engine/; the others: train.py with those kernels
KINDS = ("ticket", "reinit", "shuffle")
CONTROL_KINDS = ("reinit", "shuffle")
ONESHOT_FRACTIONS = (0.9, 0.75, 0.55, 0.35, 0.25, 0.15, 0.10, 0.05, 0.025)  # the paper's one-shot levels below 100% (section 3)
FORMAT = 2  # bump when the meaning of a stored unit changes (1: units stored per folder, by id)

# Streams of randomness, each with its own seed (see ``seed_for``).
INIT, ORDER, REINIT, SHUFFLE = 0, 1, 2, 3


@dataclass
class ExperimentConfig:
    """Everything that determines an experiment's numbers. Defaults: the paper's settings (README, "Settings").

    experiment : ``"oneshot"`` (section 3) or ``"iterative"`` (section 4).
    sizes : layer widths, input first (LeNet-300-100: 784-300-100-10).
    init, init_std : ``"normal"`` N(0, init_std²) (paper: std 0.1) or ``"glorot_normal"``.
    iterations, batch_size, lr, optimizer, eval_every : training (paper: 50,000 · 60 · 0.1 · SGD · 100).
    trials : independent tickets (paper: 5).
    controls : draws of each control per ticket and level (paper: 3); 0 for none.
    control_kinds : which controls: ``reinit`` (control 1), ``shuffle`` (control 2).
    control_levels : the pruned levels that get controls (``None``: every one, as in the paper), e.g.
        ``(7, 9, 11)`` to spend a short budget where the controls converge.
    fractions : one-shot only — fractions of hidden weights kept, one level each.
    rounds : iterative only — pruning rounds (18 → ≈1.8% of weights remain).
    rate, output_rate : iterative only — fraction of survivors pruned per round,
        hidden layers / output layer (paper: 0.2 / 0.1; ``None`` means rate / 2).
    reset : ``"init"`` resets survivors before retraining (the lottery ticket);
        ``"none"`` keeps training the trained, pruned weights (section 6, "Han et al.").
    reset_iteration : late resetting — reset to the weights the unpruned network had
        after this many iterations instead of θ0 (0 = the paper). A multiple of eval_every.
    record_test_curve : evaluate test accuracy at every evaluation, for the training-curve figures.
    keep_weights : keep every training's trained weights (off: only the unpruned network's, which every
        pruned level is cut from, and what the next round needs), e.g. to export them with a ticket.
    n_validation, split_seed, normalize : how MNIST is split and scaled (see ``data.load_mnist``).
    backend : what trains the networks (results agree to float rounding). ``"fused"`` (default):
        the training engine of ``lottery_np/engine/`` where it applies (plain SGD, softmax cross-entropy),
        the readable path with ``"auto"`` kernels otherwise; ``"numpy"``, ``"numba"``, ``"sparse"``,
        ``"auto"``: the readable path (``train.train``) with those kernels. Each unit's record
        says which path trained it (``engine``).
    seed : the root of every random number in the experiment.
    """

    experiment: str = "oneshot"
    sizes: tuple = (784, 300, 100, 10)
    init: str = "normal"
    init_std: float = 0.1
    iterations: int = 50000
    batch_size: int = 60
    lr: float = 0.1
    optimizer: str = "sgd"
    eval_every: int = 100
    trials: int = 5
    controls: int = 3
    control_kinds: tuple = CONTROL_KINDS
    control_levels: tuple = None
    fractions: tuple = ONESHOT_FRACTIONS
    rounds: int = 18
    rate: float = 0.2
    output_rate: float = None
    reset: str = "init"
    reset_iteration: int = 0
    record_test_curve: bool = True
    keep_weights: bool = False
    n_validation: int = 5000
    split_seed: int = 0
    normalize: str = "unit"
    backend: str = "fused"
    seed: int = 0

    def __post_init__(self):
        self.sizes = tuple(int(s) for s in self.sizes)
        self.fractions = tuple(float(f) for f in self.fractions)
        self.control_kinds = tuple(self.control_kinds)
        if self.experiment not in ("oneshot", "iterative"):
            raise ConfigError(f"experiment must be 'oneshot' or 'iterative'; got {self.experiment!r}")
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ConfigError(f"sizes must be at least two positive layer widths; got {self.sizes}")
        if not (np.isfinite(self.init_std) and self.init_std > 0):
            raise ConfigError(f"init_std must be a positive number; got {self.init_std!r}")
        for name in ("trials", "rounds"):
            if not (isinstance(getattr(self, name), (int, np.integer)) and getattr(self, name) >= 1):
                raise ConfigError(f"{name} must be a whole number ≥ 1; got {getattr(self, name)!r}")
        if not (isinstance(self.controls, (int, np.integer)) and self.controls >= 0):
            raise ConfigError(f"controls must be a whole number ≥ 0; got {self.controls!r}")
        bad = [k for k in self.control_kinds if k not in CONTROL_KINDS]
        if bad:
            raise ConfigError(f"unknown control kind(s) {bad}; choose from {', '.join(CONTROL_KINDS)}")
        if not self.fractions:
            raise ConfigError("fractions must list at least one fraction of weights to keep")
        for f in self.fractions:
            if not 0 < f <= 1:
                raise ConfigError(f"each one-shot fraction kept must be in (0, 1], e.g. 0.55 for 55%; got {f!r}")
        if self.control_levels is not None:
            self.control_levels = tuple(self.control_levels)
            bad = [v for v in self.control_levels if not (isinstance(v, (int, np.integer)) and 1 <= v < self.n_levels)]
            if bad or len(set(self.control_levels)) < len(self.control_levels):
                raise ConfigError(f"control_levels must be distinct pruned levels from 1 to {self.n_levels - 1}; "
                                  f"got {list(self.control_levels)}")
            self.control_levels = tuple(sorted(int(v) for v in self.control_levels))
        self.train_config()  # validates the training settings (iterations, eval_every, ...) first
        check_rate(self.rate)
        if self.output_rate is not None:
            check_rate(self.output_rate, "output pruning rate")
        if self.reset not in ("init", "none"):
            raise ConfigError(f"reset must be 'init' (reset to θ0) or 'none' (keep training); got {self.reset!r}")
        k = self.reset_iteration
        if not (isinstance(k, (int, np.integer)) and 0 <= k < self.iterations and k % self.eval_every == 0):
            raise ConfigError(f"reset_iteration must be a multiple of eval_every ({self.eval_every}) "
                              f"in [0, iterations); got {k!r}")
        if k and self.reset == "none":
            raise ConfigError("reset_iteration only applies with reset='init'")
        if self.backend not in TRAIN_BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of {', '.join(TRAIN_BACKENDS)}")

    def train_config(self):
        return TrainConfig(iterations=self.iterations, batch_size=self.batch_size, lr=self.lr,
                           optimizer=self.optimizer, eval_every=self.eval_every,
                           record_test_curve=self.record_test_curve)

    @property
    def net_backend(self):
        """The kernels of the readable path (``"auto"`` when the engine is asked for)."""
        return "auto" if self.backend == "fused" else self.backend

    def curve_levels(self):
        """The levels whose training curves the figures draw: only their units of the first trial
        evaluate the test set at every evaluation (with ``record_test_curve``); the others only at
        new validation minima (a 10,000-image test pass costs two validation passes)."""
        from .plots import pick_levels
        return pick_levels(range(self.n_levels))

    def has_controls(self, level):
        """Whether the pruned ``level`` gets controls (``control_levels``)."""
        return self.control_levels is None or level in self.control_levels

    @property
    def n_levels(self):
        return self.rounds + 1 if self.experiment == "iterative" else len(self.fractions) + 1

    def to_dict(self):
        d = asdict(self)
        d["sizes"], d["fractions"], d["control_kinds"] = list(self.sizes), list(self.fractions), list(self.control_kinds)
        if self.control_levels is not None:
            d["control_levels"] = list(self.control_levels)
        return d

    @classmethod
    def from_dict(cls, d):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown experiment setting(s): {', '.join(unknown)}")
        return cls(**d)

    def replace(self, **changes):
        return ExperimentConfig.from_dict({**self.to_dict(), **changes})


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


def seed_for(config, trial, stream, level=0, draw=0):
    """An independent seed for each stream of randomness of each unit."""
    return np.random.SeedSequence([config.seed, trial, stream, level, draw])


def theta0(config, trial):
    """The trial's initial network θ0 (weights from the init distribution, zero biases)."""
    weights, biases = init_weights(config.sizes, seed_for(config, trial, INIT), std=config.init_std, init=config.init)
    return MLP(weights, biases, backend=config.net_backend)


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
    rates of iterative pruning — and what they start from (θ0, θk, or the trained weights). The
    number of trials, rounds, draws or levels of the experiment, the backend, whether a test curve is
    recorded and whether weights are kept change no number, and are not here.
    """
    d = {"format": FORMAT, "data": {"n_validation": config.n_validation, "split_seed": config.split_seed,
                                    "normalize": config.normalize},
         "sizes": list(config.sizes), "init": config.init, "init_std": config.init_std,
         "training": {"iterations": config.iterations, "batch_size": config.batch_size, "lr": config.lr,
                      "optimizer": config.optimizer, "eval_every": config.eval_every},
         "seed": config.seed, "trial": unit.trial, "kind": unit.kind}
    if unit.kind != "ticket":
        d.update(level=unit.level, draw=unit.draw)  # a control's weights are drawn from (trial, level, draw)
    if unit.level == 0:
        if config.reset_iteration:
            d["keeps_weights_of_iteration"] = config.reset_iteration  # late resetting: θk is stored with it
        return d
    if config.experiment == "oneshot":
        d["pruned"] = {"oneshot": config.fractions[unit.level - 1]}
    else:
        d["pruned"] = {"rounds": unit.level, "rates": list(pruning_rates(config, unit))}
    d["start"] = ("trained" if config.reset == "none" else
                  f"iteration {config.reset_iteration}" if config.reset_iteration else "init")
    return d


def unit_key(config, unit):
    """A stable name for the training ``unit`` is: a hash of its ``identity``."""
    text = json.dumps(identity(config, unit), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_DATA = {}


def mnist_for(config, data_dir=None):
    """MNIST as this config splits and scales it, loaded once per process."""
    key = (str(data_dir), config.n_validation, config.split_seed, config.normalize)
    if key not in _DATA:
        _DATA.clear()
        _DATA[key] = load_mnist(data_dir, n_validation=config.n_validation, split_seed=config.split_seed,
                                normalize=config.normalize)
    return _DATA[key]


# ----------------------------------------------------------------------------
# What a ticket passes on: masks (and, for some variants, weights)
# ----------------------------------------------------------------------------


def _pack(prefix, arrays):
    return {f"{prefix}{i}": a for i, a in enumerate(arrays)}


def _unpack(prefix, arrays):
    n = sum(1 for k in arrays if k.startswith(prefix) and k[len(prefix):].isdigit())
    return [arrays[f"{prefix}{i}"] for i in range(n)]


def _needed(arrays, prefix, what, ticket):
    found = _unpack(prefix, arrays)
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
        masks = prune_by_magnitude(trained, full_masks(trained), pruning_rates(config, unit))
    out = _pack("mask_", [m.astype(bool) for m in masks])
    if config.reset == "none":
        out.update(_pack("start_w_", _needed(src, "trained_w_", "trained weights", s)))
        out.update(_pack("start_b_", _needed(src, "trained_b_", "trained biases", s)))
    elif config.reset_iteration:
        zero = Unit(0, "ticket", unit.trial)
        arrays = src if (s == zero and src) else arrays_of(zero)
        out.update(_pack("start_w_", _needed(arrays, "rewind_w_", f"weights of iteration {config.reset_iteration}", zero)))
        out.update(_pack("start_b_", _needed(arrays, "rewind_b_", f"biases of iteration {config.reset_iteration}", zero)))
    return out


def _nan_to_none(values):
    return [None if (isinstance(v, float) and not np.isfinite(v)) else v for v in values]


# ----------------------------------------------------------------------------
# One unit of work
# ----------------------------------------------------------------------------


def starting_network(config, unit, inputs):
    """The network ``unit`` trains, as it is before training: its mask, and its weights reset to θ0
    (a ticket), to θk or to trained weights (the variants), drawn afresh (control 1) or moved (control 2)."""
    t = unit.trial
    net0 = theta0(config, t)
    masks = [m.astype(net0.dtype) for m in _unpack("mask_", inputs)] or full_masks(net0.weights)
    if "start_w_0" in inputs:  # late resetting or no reset: start from stored weights, not θ0
        start = MLP(_unpack("start_w_", inputs), _unpack("start_b_", inputs), masks, backend=config.net_backend)
    else:
        start = MLP(net0.weights, net0.biases, masks, backend=config.net_backend)  # reset to θ0 (step 4)
    if unit.kind == "ticket":
        return start
    if unit.kind == "reinit":
        return reinit_control(start, masks, seed_for(config, t, REINIT, unit.level, unit.draw),
                              std=config.init_std, init=config.init)
    return shuffle_control(start, masks, seed_for(config, t, SHUFFLE, unit.level, unit.draw))


def order_seed(config, trial):
    """The seed of the trial's minibatch order (the same for every level and kind)."""
    return seed_for(config, trial, ORDER)


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
    data = data if data is not None else mnist_for(config, data_dir)
    net = starting_network(config, unit, inputs)

    rewind = {}

    def snapshot(iteration, history):  # late resetting: remember the unpruned net at iteration k
        if iteration == config.reset_iteration:
            rewind.update(_pack("rewind_w_", [w.copy() for w in net.weights]))
            rewind.update(_pack("rewind_b_", [b.copy() for b in net.biases]))

    wants_rewind = unit.kind == "ticket" and unit.level == 0 and config.reset_iteration > 0
    train_config = config.train_config()
    train_config.record_test_curve = records_curve(config, unit) if curve is None else bool(curve)
    use_engine = config.backend == "fused" and engine_supports(net, train_config)[0]
    trainer = train_fused if use_engine else train
    history = trainer(net, data, train_config, seed=order_seed(config, unit.trial),
                      callback=snapshot if wants_rewind else None)

    arrays = {}
    keep = config.keep_weights if keep_weights is None else keep_weights
    if unit.kind == "ticket":
        arrays.update(_pack("mask_", [m.astype(bool) for m in net.masks]))
        if config.experiment == "iterative" and unit.level > 0:
            rates = layer_rates(config.rate, len(net.weights), config.output_rate)
            arrays.update(_pack("next_mask_", [m.astype(bool) for m in prune_by_magnitude(net.weights, net.masks, rates)]))
        keep = keep or unit.level == 0 or (config.reset == "none" and config.experiment == "iterative")
        arrays.update(rewind)
    if keep:
        arrays.update(_pack("trained_w_", net.weights))
        arrays.update(_pack("trained_b_", net.biases))
    h = history.to_dict()
    for k in ("train_loss", "val_loss", "val_acc", "test_acc"):
        h[k] = _nan_to_none([float(v) for v in h[k]])
    record = {
        "key": unit_key(config, unit), "kind": unit.kind, "trial": unit.trial, "draw": unit.draw,
        "percent_remaining": percent_remaining(net.masks),
        "convergence_iteration": int(history.convergence_iteration),
        "test_accuracy": _nan_to_none([float(history.test_accuracy)])[0],
        "min_val_loss": _nan_to_none([float(history.min_val_loss)])[0],
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
