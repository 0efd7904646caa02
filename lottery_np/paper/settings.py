"""The settings of the MNIST experiments: ``ExperimentConfig``, and how the command line words them.

Each setting is defined once, as a field of ``ExperimentConfig`` with its ``Setting`` (help, kind,
check): the command line's options, their help and the one-line errors are made from it
(``option_of``, ``field_problem``, ``Wording``), and the settings that must fit together are
``RELATIONS``, written once. The training settings are ``TrainConfig``'s (``train.py``), handed on
by ``ExperimentConfig.train_config``. CONTRIBUTING.md says how to add one.

What an experiment does with its settings — its units of work, their seeds and keys — is
``experiments.py``.
"""
from dataclasses import asdict, dataclass, field, fields
import math

import numpy as np

from ..data import NORMALIZATIONS
from ..errors import ConfigError
from ..fast_layers import BACKENDS
from ..network import INITS
from ..optim import RULES as OPTIMIZERS
from ..pruning import PRUNINGS, is_rate
from ..train import TrainConfig, is_count, is_learning_rate
from .levels import pick_levels

TRAIN_BACKENDS = ("fused",) + BACKENDS  # "fused": lottery_np/engine/; the others: train.py with those kernels
CONTROL_KINDS = ("reinit", "shuffle")
ONESHOT_FRACTIONS = (0.9, 0.75, 0.55, 0.35, 0.25, 0.15, 0.10, 0.05, 0.025)  # the paper's one-shot levels below 100% (section 3)


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


# What a rate is, is the algorithm's (``pruning.is_rate``, 0 to 1); an experiment's rates leave something.
def leaves_some(rate):
    """A pruning rate that keeps some of the survivors (not 1): the output layer's."""
    return is_rate(rate) and rate != 1


def prunes_some(rate):
    """A pruning rate that removes some survivors and keeps some (not 0 or 1): a round of iterative pruning."""
    return leaves_some(rate) and rate != 0


def keeps_some(fraction):
    """A fraction of the hidden weights kept in one shot (``pruning.oneshot_rates`` checks it as a rate) that
    keeps some (not 0)."""
    return is_rate(fraction) and fraction != 0


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
    # The training settings (TRAINING): TrainConfig's, with its defaults and its checks, handed on by train_config.
    iterations: int = setting(TrainConfig.iterations, "training iterations per network", "whole", is_count,
                              "a whole number ≥ 1, e.g. 2000")
    batch_size: int = setting(TrainConfig.batch_size, "examples per training step", "whole", is_count,
                              "a whole number ≥ 1, e.g. 60")
    lr: float = setting(TrainConfig.lr, "learning rate", "number", is_learning_rate, "a positive number, e.g. 0.1")
    optimizer: str = setting(TrainConfig.optimizer, "the update rule", "choice", choices=tuple(OPTIMIZERS))
    eval_every: int = setting(TrainConfig.eval_every, "iterations between evaluations on the validation set", "whole",
                              is_count, "a whole number ≥ 1, e.g. 100")
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
                               keeps_some, "fractions of hidden weights kept in (0, 1], e.g. 0.55 for 55%",
                               many=True, min_items=1, option="--levels", experiments=("oneshot",),
                               from_text=percent_kept, to_text=lambda f: f"{100 * f:g}",
                               cli_good="a percent of weights kept, above 0 and at most 100, e.g. 55 25 10")
    rounds: int = setting(18, "iterative: pruning rounds (18 leave ≈1.8% of the weights)", "whole", at_least(1),
                          "a whole number ≥ 1, e.g. 18", experiments=("iterative",))
    rate: float = setting(0.2, "iterative: fraction of the hidden layers' survivors pruned per round", "number",
                          prunes_some, "a pruning rate between 0 and 1 (not 0 or 1), e.g. 0.2 to prune "
                          "20% of the survivors per round", experiments=("iterative",))
    output_rate: float = setting(None, "iterative: the output layer's pruning rate", "number", leaves_some,
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

    def _refuse(self, problem):
        """Raise SettingError if ``problem(say)`` returns a message (said in Python's words and the CLI's)."""
        message = problem(Wording(self))
        if message:
            raise SettingError(message, problem(Wording(self, cli=True)))

    def train_config(self, test_curve=False):
        """How each network of the experiment is trained, as ``train.py`` takes it: the training settings.
        test_curve : whether this training evaluates the test set at every evaluation, for the curve
        figures (``experiments.records_curve``), not only at new validation minima."""
        return TrainConfig(**self.training(), record_test_curve=test_curve)

    def training(self):
        """The training settings (``TRAINING``), ``{name: value}``: what ``train_config`` hands on."""
        return {name: getattr(self, name) for name in TRAINING}

    def data(self):
        """How MNIST is split and scaled, ``{name: value}``: the settings ``data.load_mnist`` takes."""
        return {"n_validation": self.n_validation, "split_seed": self.split_seed, "normalize": self.normalize}

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
TRAINING = ("iterations", "batch_size", "lr", "optimizer", "eval_every")  # the fields that are TrainConfig's
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
