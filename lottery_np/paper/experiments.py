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

A unit needs the masks that some ticket produced when it pruned its trained
weights (``source``): in iterative pruning, the ticket one round earlier; in
one-shot pruning, the unpruned ticket of the same trial. ``run_unit`` is a pure
function of the config, the unit and those inputs — every random number comes
from a seed derived from ``(config.seed, trial, stream, level, draw)`` — so a
unit gives the same result whenever and wherever it runs. That is what lets the
runner (``runner.py``) run units in parallel, resume after an interruption, or
send them to a cluster, without changing a single number.
"""
from dataclasses import asdict, dataclass, fields
import time

import numpy as np

from ..data import load_mnist
from ..engine import supports as engine_supports, train_fused
from ..errors import ConfigError
from ..kernels import BACKENDS
from ..lottery import reinit_control, shuffle_control
from ..network import MLP, init_weights
from ..pruning import check_rate, full_masks, layer_rates, oneshot_rates, percent_remaining, prune_by_magnitude
from ..train import TrainConfig, train

TRAIN_BACKENDS = ("fused",) + BACKENDS  # "fused": engine.py; the others: train.py with those kernels
KINDS = ("ticket", "reinit", "shuffle")
CONTROL_KINDS = ("reinit", "shuffle")
ONESHOT_FRACTIONS = (0.9, 0.75, 0.55, 0.35, 0.25, 0.15, 0.10, 0.05, 0.025)  # SPEC levels below 100%
FORMAT = 1  # bump when the meaning of a stored unit changes

# Streams of randomness, each with its own seed (see ``seed_for``).
INIT, ORDER, REINIT, SHUFFLE = 0, 1, 2, 3


@dataclass
class ExperimentConfig:
    """Everything that determines an experiment's numbers. Defaults: SPEC.md.

    experiment : ``"oneshot"`` (section 3) or ``"iterative"`` (section 4).
    sizes : layer widths, input first (LeNet-300-100: 784-300-100-10).
    init, init_std : ``"normal"`` N(0, init_std²) (paper: std 0.1) or ``"glorot_normal"``.
    iterations, batch_size, lr, optimizer, eval_every : training (paper: 50,000 · 60 · 0.1 · SGD · 100).
    trials : independent tickets (paper: 5).
    controls : draws of each control per ticket and level (paper: 3); 0 for none.
    control_kinds : which controls: ``reinit`` (control 1), ``shuffle`` (control 2).
    fractions : one-shot only — fractions of hidden weights kept, one level each.
    rounds : iterative only — pruning rounds (18 → ≈1.8% of weights remain).
    rate, output_rate : iterative only — fraction of survivors pruned per round,
        hidden layers / output layer (paper: 0.2 / 0.1; ``None`` means rate / 2).
    reset : ``"init"`` resets survivors before retraining (the lottery ticket);
        ``"none"`` keeps training the trained, pruned weights (section 6, "Han et al.").
    reset_iteration : late resetting — reset to the weights the unpruned network had
        after this many iterations instead of θ0 (0 = the paper). A multiple of eval_every.
    record_test_curve : evaluate test accuracy at every evaluation, for the training-curve figures.
    n_validation, split_seed, normalize : how MNIST is split and scaled (see ``data.load_mnist``).
    backend : what trains the networks (results agree to float rounding). ``"fused"`` (default):
        the training engine of ``engine.py`` where it applies (plain SGD, softmax cross-entropy),
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
    fractions: tuple = ONESHOT_FRACTIONS
    rounds: int = 18
    rate: float = 0.2
    output_rate: float = None
    reset: str = "init"
    reset_iteration: int = 0
    record_test_curve: bool = True
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

    @property
    def n_levels(self):
        return self.rounds + 1 if self.experiment == "iterative" else len(self.fractions) + 1

    def to_dict(self):
        d = asdict(self)
        d["sizes"], d["fractions"], d["control_kinds"] = list(self.sizes), list(self.fractions), list(self.control_kinds)
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
            if level == 0:
                continue  # no controls for the unpruned network: it has no mask to copy
            units += [Unit(level, kind, trial, draw) for kind in config.control_kinds for draw in range(config.controls)]
    return units


def source(config, unit):
    """The ticket whose pruning produced this unit's mask (None for the unpruned network)."""
    if unit.level == 0:
        return None
    previous = unit.level - 1 if config.experiment == "iterative" else 0
    return Unit(previous, "ticket", unit.trial)


def seed_for(config, trial, stream, level=0, draw=0):
    """An independent seed for each stream of randomness of each unit."""
    return np.random.SeedSequence([config.seed, trial, stream, level, draw])


def theta0(config, trial):
    """The trial's initial network θ0 (weights from the init distribution, zero biases)."""
    weights, biases = init_weights(config.sizes, seed_for(config, trial, INIT), std=config.init_std, init=config.init)
    return MLP(weights, biases, backend=config.net_backend)


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


def inputs_for(config, unit, source_arrays):
    """What ``unit`` needs from its source ticket's stored arrays: its masks, and its
    starting weights when they are not θ0 (late resetting, or no reset at all)."""
    if unit.level == 0:
        return {}
    key = "next_mask_" if config.experiment == "iterative" else f"next_mask_{unit.level - 1}_"
    out = _pack("mask_", _unpack(key, source_arrays))
    if config.reset == "none":
        out.update(_pack("start_w_", _unpack("trained_w_", source_arrays)))
        out.update(_pack("start_b_", _unpack("trained_b_", source_arrays)))
    elif config.reset_iteration:
        out.update(_pack("start_w_", _unpack("rewind_w_", source_arrays)))
        out.update(_pack("start_b_", _unpack("rewind_b_", source_arrays)))
    return out


def _nan_to_none(values):
    return [None if (isinstance(v, float) and not np.isfinite(v)) else v for v in values]


# ----------------------------------------------------------------------------
# One unit of work
# ----------------------------------------------------------------------------


def run_unit(config, unit, inputs, data=None, data_dir=None):
    """Train one unit. Returns ``(record, arrays)``.

    record : a JSON-ready dict — what the unit is, the paper's measurements
        (convergence iteration, test accuracy there, minimum validation loss,
        diverged) and the training curves.
    arrays : what the runner stores beside it. Tickets keep their masks
        (``mask_i``, bool) and the masks they pass on (``next_mask_i`` for the
        next round, or ``next_mask_j_i`` for the j-th one-shot fraction).
    """
    start_time = time.time()
    data = data if data is not None else mnist_for(config, data_dir)
    t = unit.trial
    net0 = theta0(config, t)
    masks = [m.astype(net0.dtype) for m in _unpack("mask_", inputs)] or full_masks(net0.weights)
    if "start_w_0" in inputs:  # late resetting or no reset: start from stored weights, not θ0
        start = MLP(_unpack("start_w_", inputs), _unpack("start_b_", inputs), masks, backend=config.net_backend)
    else:
        start = MLP(net0.weights, net0.biases, masks, backend=config.net_backend)  # reset to θ0 (step 4)

    if unit.kind == "ticket":
        net = start
    elif unit.kind == "reinit":
        net = reinit_control(start, masks, seed_for(config, t, REINIT, unit.level, unit.draw),
                             std=config.init_std, init=config.init)
    else:
        net = shuffle_control(start, masks, seed_for(config, t, SHUFFLE, unit.level, unit.draw))

    rewind = {}

    def snapshot(iteration, history):  # late resetting: remember the unpruned net at iteration k
        if iteration == config.reset_iteration:
            rewind.update(_pack("rewind_w_", [w.copy() for w in net.weights]))
            rewind.update(_pack("rewind_b_", [b.copy() for b in net.biases]))

    wants_rewind = unit.kind == "ticket" and unit.level == 0 and config.reset_iteration > 0
    train_config = config.train_config()
    train_config.record_test_curve = (config.record_test_curve and unit.trial == 0
                                      and unit.level in config.curve_levels())
    use_engine = config.backend == "fused" and engine_supports(net, train_config)[0]
    trainer = train_fused if use_engine else train
    history = trainer(net, data, train_config, seed=seed_for(config, t, ORDER),
                      callback=snapshot if wants_rewind else None)

    arrays = {}
    if unit.kind == "ticket":
        arrays.update(_pack("mask_", [m.astype(bool) for m in net.masks]))
        arrays.update(_next_masks(config, unit, net))
        if config.reset == "none":
            arrays.update(_pack("trained_w_", net.weights))
            arrays.update(_pack("trained_b_", net.biases))
        elif config.reset_iteration:
            arrays.update(rewind if unit.level == 0 else {k.replace("start", "rewind"): v
                                                          for k, v in inputs.items() if k.startswith("start_")})
    h = history.to_dict()
    for k in ("train_loss", "val_loss", "val_acc", "test_acc"):
        h[k] = _nan_to_none([float(v) for v in h[k]])
    record = {
        "id": unit.id, "experiment": config.experiment, "kind": unit.kind, "trial": t, "draw": unit.draw,
        "level": unit.level, "percent_remaining": percent_remaining(net.masks),
        "convergence_iteration": int(history.convergence_iteration),
        "test_accuracy": _nan_to_none([float(history.test_accuracy)])[0],
        "min_val_loss": _nan_to_none([float(history.min_val_loss)])[0],
        "diverged": bool(history.diverged), "history": h, "seconds": round(time.time() - start_time, 2),
        "engine": "fused" if use_engine else f"readable ({net.backend})",
    }
    return record, arrays


def _next_masks(config, unit, net):
    """Step 3 of the paper: prune the trained ticket to make the next level's masks."""
    n_layers = len(net.weights)
    if config.experiment == "iterative":
        if unit.level >= config.rounds:
            return {}
        rates = layer_rates(config.rate, n_layers, config.output_rate)
        return _pack("next_mask_", [m.astype(bool) for m in prune_by_magnitude(net.weights, net.masks, rates)])
    if unit.level > 0:
        return {}
    out = {}
    for j, f in enumerate(config.fractions):
        masks = prune_by_magnitude(net.weights, full_masks(net.weights), oneshot_rates(f, n_layers))
        out.update(_pack(f"next_mask_{j}_", [m.astype(bool) for m in masks]))
    return out
