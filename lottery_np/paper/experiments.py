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

Each setting is defined once, as a field of ``ExperimentConfig`` with its
``Setting`` (help, kind, check): the command line's options, their help and the
one-line errors are made from it, and the settings that must fit together are
``RELATIONS``, written once. CONTRIBUTING.md says how to add one.
"""
from dataclasses import asdict, dataclass, field, fields
import hashlib
import json
import math
import time

import numpy as np

from ..data import NORMALIZATIONS, load_mnist
from ..engine import supports as engine_supports, train_fused
from ..errors import ConfigError, ResultsError
from ..fast_layers import BACKENDS
from ..lottery import prune, reinit_control, reset, shuffle_control
from ..network import INITS, MLP, init_weights
from ..optim import RULES as OPTIMIZERS
from ..pruning import PRUNINGS, full_masks, layer_rates, oneshot_rates, percent_remaining
from ..train import TrainConfig, train
from .levels import pick_levels

TRAIN_BACKENDS = ("fused",) + BACKENDS  # "fused": lottery_np/engine/; the others: train.py with those kernels
KINDS = ("ticket", "reinit", "shuffle")
CONTROL_KINDS = ("reinit", "shuffle")
ONESHOT_FRACTIONS = (0.9, 0.75, 0.55, 0.35, 0.25, 0.15, 0.10, 0.05, 0.025)  # the paper's one-shot levels below 100% (section 3)
FORMAT = 2  # bump when the meaning of a stored unit changes (1: units stored per folder, by id)

# Streams of randomness, each with its own seed (see ``seed_for``).
INIT, ORDER, REINIT, SHUFFLE = 0, 1, 2, 3


# ----------------------------------------------------------------------------
# A setting: one field of ExperimentConfig, with what the command line and the checks need
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """What is known about one field of ``ExperimentConfig`` besides its default. The command
    line's option, its ``--help`` line and the one-line errors about the field are made from it
    (``cli.add_settings``, ``field_problem``); see CONTRIBUTING.md, "Adding a setting".

    help : the option's ``--help`` text; ``(default ...)`` is added unless ``default_text`` says it.
    kind : ``"whole"`` (int), ``"number"`` (float), ``"choice"`` (one of ``choices``) or ``"flag"`` (bool).
    ok, good : a test of one value (of each item, for a list) and what a good value is, for errors:
        ``"a whole number ≥ 1, e.g. 5"``. The kind is tested first (a whole number must be an int).
    many, min_items : the field is a list (``nargs="+"``) of at least ``min_items`` items.
    option : its option (default ``--`` and the name with ``-`` for ``_``); ``None``: none.
    experiments : the experiments that use it: its option is on those commands only (``sweep``: all).
    identity : ``None`` if ``identity()`` names it by hand (or it changes no number); ``"pruned"`` or
        ``"every"``: it is part of the identity of the pruned (or every) unit when not at its default,
        so a new setting leaves the keys of the trainings made before it as they were.
    from_text, to_text, cli_good : how the option reads and shows a value when it is not in the
        field's units (``--levels 50`` is ``fractions=(0.5,)``), and ``good`` in the option's units.
    """

    help: str
    kind: str
    ok: object = None
    good: str = ""
    choices: tuple = ()
    many: bool = False
    min_items: int = 0
    option: str = ""
    experiments: tuple = ("oneshot", "iterative")
    default_text: str = ""
    identity: str = None
    from_text: object = None
    to_text: object = None
    cli_good: str = ""

    def __post_init__(self):
        if not self.good:
            good = {"choice": f"one of {', '.join(self.choices)}", "flag": "True or False"}.get(self.kind, "")
            object.__setattr__(self, "good", good)


def setting(default, help, kind, ok=None, good="", **more):
    """A field of ExperimentConfig with its ``Setting`` (see there) in the field's metadata."""
    return field(default=default, metadata={"setting": Setting(help, kind, ok, good, **more)})


def at_least(lo):
    return lambda v: v >= lo


def positive(v):
    return math.isfinite(v) and v > 0


def percent_kept(text):
    """``--levels`` reads percents: ``50`` or ``50%`` is 0.5 of the weights kept. A bare value
    below 1 is refused: ``0.5`` is 0.5% to us but usually meant as 50% (write ``0.5%`` for 0.5%)."""
    explicit = text.endswith("%")
    try:
        p = float(text[:-1] if explicit else text)
    except ValueError:
        raise ValueError(f"takes percents of weights kept, e.g. 55 25 10; got {text!r}") from None
    if 0 < p < 1 and not explicit:
        raise ValueError(f"takes percents: {text} would keep {text}% of the weights; did you mean {100 * p:g}? "
                         f"(write {text}% if you mean {text}%)")
    return p / 100


@dataclass
class ExperimentConfig:
    """Everything that determines an experiment's numbers. Defaults: the paper's settings (README, "Settings").

    Each field says what it is in its ``help`` (also the ``--help`` of its option) and what values it
    takes; ``__post_init__`` refuses any other in one line (``SettingError``). Fields with no option:
    ``experiment`` (the command: ``mnist oneshot`` / ``mnist iterative``, ``sweep --experiment``) and
    how MNIST is split and scaled, ``n_validation``, ``split_seed`` and ``normalize`` (``data.load_mnist``).
    """

    experiment: str = setting("oneshot", "oneshot (section 3) or iterative (section 4)", "choice",
                              choices=("oneshot", "iterative"), option=None)
    sizes: tuple = setting((784, 300, 100, 10), "layer widths, input first, as in LeNet-300-100", "whole", at_least(1),
                           "layer widths of at least 1, e.g. 784 300 100 10", many=True, min_items=2)
    init: str = setting("normal", "initial weights: normal N(0, std²) or glorot_normal", "choice", choices=INITS)
    init_std: float = setting(0.1, "std of the normal initialization", "number", positive,
                              "a positive number, e.g. 0.1")
    iterations: int = setting(50000, "training iterations per network", "whole", at_least(1),
                              "a whole number ≥ 1, e.g. 2000")
    batch_size: int = setting(60, "examples per training step", "whole", at_least(1), "a whole number ≥ 1, e.g. 60")
    lr: float = setting(0.1, "learning rate", "number", positive, "a positive number, e.g. 0.1")
    optimizer: str = setting("sgd", "the update rule", "choice", choices=tuple(OPTIMIZERS))
    eval_every: int = setting(100, "iterations between evaluations on the validation set", "whole", at_least(1),
                              "a whole number ≥ 1, e.g. 100")
    trials: int = setting(5, "independent tickets, each with its own θ0 and minibatch order", "whole", at_least(1),
                          "a whole number ≥ 1, e.g. 5")
    controls: int = setting(3, "draws of each control per ticket and level; 0 for none", "whole", at_least(0),
                            "a whole number ≥ 0 (0 for no controls)")
    control_kinds: tuple = setting(CONTROL_KINDS, "reinit = control 1 (fresh weights), shuffle = control 2 "
                                   "(the initial values moved)", "choice", choices=CONTROL_KINDS, many=True,
                                   good="control kinds among reinit (control 1) and shuffle (control 2)")
    control_levels: tuple = setting(None, "only these pruned levels get controls, e.g. 7 9 11", "whole", at_least(1),
                                    "pruned levels of at least 1 (0 is the unpruned network, which has no controls)",
                                    many=True, default_text="every level")
    fractions: tuple = setting(ONESHOT_FRACTIONS, "one-shot: percent of hidden weights kept, one level each", "number",
                               lambda f: 0 < f <= 1, "fractions of hidden weights kept in (0, 1], e.g. 0.55 for 55%",
                               many=True, min_items=1, option="--levels", experiments=("oneshot",),
                               from_text=percent_kept, to_text=lambda f: f"{100 * f:g}",
                               cli_good="a percent of weights kept, above 0 and at most 100, e.g. 55 25 10")
    rounds: int = setting(18, "iterative: pruning rounds (18 leave ≈1.8% of the weights)", "whole", at_least(1),
                          "a whole number ≥ 1, e.g. 18", experiments=("iterative",))
    rate: float = setting(0.2, "iterative: fraction of the hidden layers' survivors pruned per round", "number",
                          lambda v: 0 < v < 1, "a pruning rate between 0 and 1 (not 0 or 1), e.g. 0.2 to prune "
                          "20% of the survivors per round", experiments=("iterative",))
    output_rate: float = setting(None, "iterative: the output layer's pruning rate", "number", lambda v: 0 <= v < 1,
                                 "a fraction from 0 up to (not including) 1, e.g. 0.1", experiments=("iterative",),
                                 default_text="rate/2")
    pruning: str = setting("layerwise", "layerwise: each layer loses its own fraction (the paper); global: the "
                           "hidden layers' weights are ranked together, the output layer still at its own rate",
                           "choice", choices=PRUNINGS, identity="pruned")
    reset: str = setting("init", "init: reset the survivors to θ0 before retraining (the lottery ticket); none: keep "
                         "training their trained values (section 6, Han et al.)", "choice", choices=("init", "none"))
    reset_iteration: int = setting(0, "late resetting: reset to the weights the unpruned network had after this "
                                   "many iterations instead of θ0 (0: the paper), a multiple of eval-every", "whole",
                                   at_least(0), "a whole number ≥ 0 (0 resets to the initial weights)")
    record_test_curve: bool = setting(True, "evaluate test accuracy only at new validation minima (faster; no curve "
                                      "figure data)", "flag", option="--no-test-curve")
    keep_weights: bool = setting(False, "keep every training's trained weights (for 'lottery-np export'); off: only "
                                 "the unpruned network's, which the pruned levels are cut from", "flag")
    n_validation: int = setting(5000, "training images held out for validation", "whole", at_least(1),
                                "a whole number ≥ 1, e.g. 5000", option=None)
    split_seed: int = setting(0, "the seed of the validation split", "whole", at_least(0), "a whole number ≥ 0",
                              option=None)
    normalize: str = setting("unit", "how pixels are scaled", "choice", choices=NORMALIZATIONS, option=None)
    backend: str = setting("fused", "what trains the networks (results agree to float rounding): fused, the "
                           "training engine of lottery_np/engine/ where it applies (plain SGD), else the readable "
                           "path; numpy, numba, sparse, auto: the readable path (train.train) with those kernels",
                           "choice", choices=TRAIN_BACKENDS)
    seed: int = setting(0, "the root of every random number: the same seed gives the same numbers, bit for bit",
                        "whole", at_least(0), "a whole number ≥ 0")

    def __post_init__(self):
        for f in fields(self):  # each setting on its own ...
            self._refuse(lambda say, f=f: field_problem(f.name, getattr(self, f.name), say))
        for f in fields(self):
            if SETTINGS[f.name].many and getattr(self, f.name) is not None:
                read = {"whole": int, "number": float}.get(SETTINGS[f.name].kind, str)
                setattr(self, f.name, tuple(read(v) for v in getattr(self, f.name)))
        for relation in RELATIONS:  # ... then the settings that must fit together
            self._refuse(lambda say: relation(self, say))
        if self.control_levels is not None:
            self.control_levels = tuple(sorted(self.control_levels))
        self.train_config()  # what TrainConfig checks besides (nothing, today)

    def _refuse(self, problem):
        """Raise SettingError if ``problem(say)`` returns a message (said in Python's words and the CLI's)."""
        message = problem(Wording(self))
        if message:
            raise SettingError(message, problem(Wording(self, cli=True)))

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
        return pick_levels(range(self.n_levels))

    def has_controls(self, level):
        """Whether the pruned ``level`` gets controls (``control_levels``)."""
        return self.control_levels is None or level in self.control_levels

    @property
    def n_levels(self):
        return self.rounds + 1 if self.experiment == "iterative" else len(self.fractions) + 1

    def to_dict(self):
        d = asdict(self)
        for name, value in d.items():
            if SETTINGS[name].many and value is not None:
                d[name] = list(value)
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


SETTINGS = {f.name: f.metadata["setting"] for f in fields(ExperimentConfig)}
DEFAULTS = {f.name: f.default for f in fields(ExperimentConfig)}


class SettingError(ConfigError):
    """A setting of ExperimentConfig that cannot work. ``str()`` says it as Python code names the
    settings (``eval_every 100``); ``in_cli_words`` as the command line does (``--eval-every 100``)."""

    def __init__(self, message, in_cli_words):
        super().__init__(message)
        self.in_cli_words = in_cli_words


class Wording:
    """How an error names a setting: as a field of ExperimentConfig, or (``cli``) as its option,
    with values in the option's units (``fractions 0.5`` is ``--levels 50``)."""

    def __init__(self, config=None, cli=False):
        self.config, self.cli = config, cli

    def name(self, name):
        option = option_of(name)
        return option if (self.cli and option) else name

    def value(self, name, v):
        if not self.cli:
            return repr(v)
        if isinstance(v, (tuple, list)):
            return " ".join(self.value(name, x) for x in v)
        show = SETTINGS[name].to_text
        return show(v) if show else f"{v:g}" if isinstance(v, float) else str(v)

    def __call__(self, name):
        """The setting with the config's value: ``eval_every 100`` or ``--eval-every 100``."""
        return f"{self.name(name)} {self.value(name, getattr(self.config, name))}"


def option_of(name):
    """The option that sets field ``name`` (``eval_every`` → ``--eval-every``); None if none does."""
    option = SETTINGS[name].option
    return "--" + name.replace("_", "-") if option == "" else option


def _is_kind(s, v):
    if s.kind == "flag":
        return isinstance(v, (bool, np.bool_))
    if isinstance(v, (bool, np.bool_)):
        return False
    if s.kind == "whole":
        return isinstance(v, (int, np.integer))
    if s.kind == "number":
        return isinstance(v, (int, float, np.integer, np.floating))
    return isinstance(v, str) and v in s.choices


def field_problem(name, value, say):
    """What is wrong with ``value`` for the field ``name`` on its own, in ``say``'s words; None if nothing."""
    s = SETTINGS[name]
    if value is None and DEFAULTS[name] is None:
        return None  # None means the default rule (output_rate: rate / 2; control_levels: every level)
    good = s.cli_good if (say.cli and s.cli_good) else s.good
    if s.many:
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            return f"{say.name(name)} must be a list of {good}; got {value!r}"
        if len(value) < s.min_items:
            return f"{say.name(name)} must list at least {s.min_items}: {good}; got {say.value(name, list(value))}"
    for v in (value if s.many else [value]):
        if not (_is_kind(s, v) and (s.ok is None or s.ok(v))):
            return f"{say.name(name)} must be {good}; got {say.value(name, v) if _is_kind(s, v) else repr(v)}"
    return None


# ----------------------------------------------------------------------------
# Settings that must fit together: each relation returns a message (in ``say``'s words) or None
# ----------------------------------------------------------------------------


def eval_within_training(c, say):
    if c.eval_every > c.iterations:
        return (f"{say('eval_every')} is more than {say('iterations')}, so training would never be evaluated; "
                f"give {say.name('eval_every')} at most {c.iterations}")


def reset_within_training(c, say):
    if c.reset_iteration >= c.iterations:
        return (f"{say('reset_iteration')} must be less than {say('iterations')}; give 0 to reset to the "
                f"initial weights")


def reset_on_an_evaluation(c, say):
    if c.reset_iteration % c.eval_every:
        return (f"{say('reset_iteration')} must be a multiple of {say('eval_every')} (the weights are kept only "
                f"at evaluations), e.g. {c.reset_iteration // c.eval_every * c.eval_every}")


def reset_needs_init(c, say):
    if c.reset_iteration and c.reset == "none":
        return (f"{say.name('reset_iteration')} only applies with {say.name('reset')} {say.value('reset', 'init')}; "
                f"drop one of the two")


def once_each(name, what):
    """A relation: the list ``name`` names each of its values once."""
    def relation(c, say):
        values = getattr(c, name)
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            return (f"{say.name(name)} names {' '.join(say.value(name, v) for v in twice)} more than once; "
                    f"give each {what} once")
    return relation


def control_levels_exist(c, say):
    levels = c.control_levels
    if levels is not None and (max(levels, default=0) >= c.n_levels or len(set(levels)) < len(levels)):
        return (f"{say.name('control_levels')} must be distinct pruned levels from 1 to {c.n_levels - 1} (this "
                f"experiment's); got {' '.join(say.value('control_levels', v) for v in levels)}")


RELATIONS = [eval_within_training, reset_within_training, reset_on_an_evaluation, reset_needs_init,
             once_each("control_kinds", "kind"), once_each("fractions", "level"), control_levels_exist]


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
    data = data if data is not None else mnist_for(config, data_dir)
    net = starting_network(config, unit, inputs)

    rewind = {}

    def snapshot(iteration, history):  # late resetting: remember the unpruned net at iteration k
        if iteration == config.reset_iteration:
            rewind.update(pack("rewind_w_", [w.copy() for w in net.weights]))
            rewind.update(pack("rewind_b_", [b.copy() for b in net.biases]))

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
