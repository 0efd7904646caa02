"""The command line's settings, checked before anything is written.

``check(args)`` takes what argparse parsed for any subcommand and raises
``ConfigError`` with one line that names the option as the user typed it and
says what would be accepted. It checks, in this order:

* each option on its own: the settings of ``ExperimentConfig`` by their own
  ``Setting`` (``settings.field_problem``, also for ``demo``, ``xor`` and
  ``reproduce`` options of the same name), the other options by ``RULES``;
* the experiment as a whole: the ``ExperimentConfig`` an experiment command asks
  for is made, so its relations (``settings.RELATIONS``: ``--eval-every`` at
  most ``--iterations``, ...) are checked, said with the options;
* ``RELATIONS`` — what only the command line knows: the settings fit MNIST
  (``--sizes`` from 784 inputs to 10 classes, ...), the sweep, the plan; then a
  sweep's ``--values``, read into numbers once (``check_sweep_values``);
* the folders read (``examine FOLDER``, ``mnist plot FOLDERS``) and the folders
  written (``--out``, ``--data-dir``): a file where a folder is wanted, a folder
  inside a file, a folder that cannot be written.

``in_cli_words`` turns the names of settings in any other library message
(``eval_every``) into the options that set them (``--eval-every``).
"""
import os
import re
from dataclasses import fields
from pathlib import Path

from ..data import CACHE_NAME, default_data_dir
from ..errors import ConfigError, LotteryError
from .after_report import is_after_folder
from .experiments import Unit, plan
from .folders import open_existing
from .plans import parts, unknown_parts
from .settings import SETTINGS, ExperimentConfig, SettingError, Wording, at_least, field_problem, option_of
from .store import find_store

MNIST_INPUTS, MNIST_CLASSES, MNIST_TRAINING_IMAGES = 784, 10, 60000
DEMO_MIN_ITERATIONS = 10  # the demo evaluates every max(10, iterations / 40) iterations


def option(dest):
    """The option that sets an argparse ``dest``: ``eval_every`` → ``--eval-every``."""
    return "--" + dest.replace("_", "-")


# ----------------------------------------------------------------------------
# One option at a time
# ----------------------------------------------------------------------------


# The options that are not settings of ExperimentConfig: argparse dest -> (test of one value,
# what a good value is). An option left at None is not tested.
RULES = {
    "jobs": (at_least(1), f"a whole number ≥ 1 (this machine has {os.cpu_count()} cores)"),
    "trial": (at_least(0), "a whole number ≥ 0 (tickets are numbered from 0)"),
    "level": (at_least(0), "a whole number ≥ 0 (0 is the unpruned network)"),
    "draw": (at_least(0), "a whole number ≥ 0 (draws are numbered from 0)"),
}


def check_rules(args):
    cli = Wording(cli=True)
    for name in SETTINGS:  # an option named after a setting takes the setting's values, on any command
        if getattr(args, name, None) is not None:
            problem = field_problem(name, getattr(args, name), cli)
            if problem:
                raise ConfigError(problem)
    for dest, (ok, good) in RULES.items():
        value = getattr(args, dest, None)
        if value is not None and not ok(value):
            raise ConfigError(f"{option(dest)} must be {good}; got {value:g}")


def mnist_config(args, experiment):
    """The ExperimentConfig an experiment command asks for: every setting's option, and the experiment."""
    given = {f.name: getattr(args, f.name) for f in fields(ExperimentConfig)
             if option_of(f.name) is not None and hasattr(args, f.name)}
    return ExperimentConfig(**given, experiment=experiment)


def check_experiment(args):
    """Make the ExperimentConfig an experiment command asks for, once (its relations are checked as it is
    made), as ``args.config``: every later step of the command takes it from there."""
    args.config = None
    if args.command == "sweep" or (args.command == "mnist" and args.mnist_command != "plot"):
        try:
            args.config = mnist_config(args, args.experiment if args.command == "sweep" else args.mnist_command)
        except SettingError as e:
            raise ConfigError(e.in_cli_words) from None


# ----------------------------------------------------------------------------
# Options that must fit together only on the command line: fit MNIST, the sweep, the plan
# ----------------------------------------------------------------------------


def sweep_needs_reset(a):
    if a.reset_iteration and a.sweep == "reset":
        return "--reset-iteration does not combine with the reset sweep (half of it never resets); drop it"
    if a.reset == "none" and a.sweep == "late-reset":
        return "the late-reset sweep needs --reset init (the default); drop --reset none"


def batch_fits_mnist(a):
    n = MNIST_TRAINING_IMAGES - ExperimentConfig().n_validation
    if a.batch_size > n:
        return f"--batch-size {a.batch_size} is more than the {n} MNIST training images; give at most {n}, e.g. 60"


def sizes_fit_mnist(a):
    s = a.sizes
    if len(s) < 3 or s[0] != MNIST_INPUTS or s[-1] != MNIST_CLASSES:
        return (f"--sizes must start with {MNIST_INPUTS} (MNIST's pixels), end with {MNIST_CLASSES} (its classes) "
                f"and have hidden widths between, e.g. 784 300 100 10; got {' '.join(map(str, s))}")


def demo_is_evaluated(a):
    if a.command == "demo" and a.iterations < DEMO_MIN_ITERATIONS:
        return (f"--iterations must be at least {DEMO_MIN_ITERATIONS} for the demo (it evaluates every 10); "
                f"got {a.iterations}")


def parts_of_the_plan(a):
    unknown = unknown_parts(a.only, a.mode)
    if unknown:
        return (f"--only {' '.join(unknown)}: not a part of the {a.mode} plan; choose from "
                f"{' '.join(parts(a.mode))}")


# (argparse dests a relation needs, the relation): it returns a message, or None when all is well.
RELATIONS = [
    (("reset_iteration", "reset", "sweep"), sweep_needs_reset),
    (("batch_size",), batch_fits_mnist),
    (("sizes",), sizes_fit_mnist),
    (("command", "iterations"), demo_is_evaluated),
    (("only", "mode"), parts_of_the_plan),
]


def check_relations(args):
    for needs, relation in RELATIONS:
        if all(hasattr(args, n) for n in needs):
            problem = relation(args)
            if problem:
                raise ConfigError(problem)


def check_sweep_values(args):
    """A sweep's ``--values``, read and checked once (``sweep_values``): ``args.values`` holds them as numbers
    from here on (None: the sweep's own)."""
    if args.command == "sweep":
        args.values = sweep_values(args.sweep, args.values, args.iterations, args.eval_every)


# (how to read one value, what each value must be, example) per sweep; the reset sweep takes no values
SWEEP_VALUES = {
    "init-std": (float, SETTINGS["init_std"].ok, "positive numbers like 0.05 0.1 0.2"),
    "rate": (float, SETTINGS["rate"].ok, "fractions between 0 and 1 like 0.2 0.5"),  # --rate's own check
    "size": (lambda s: tuple(int(w) for w in s.split("-")), lambda h: min(h) >= 1,
             "hidden widths joined by '-' like 100-33 300-100"),
    "late-reset": (int, lambda k: k >= 0, "iterations like 0 100 500"),
}


def sweep_values(name, texts, iterations=None, eval_every=None):
    """The ``--values`` of sweep ``name`` as numbers (None if not given); ConfigError if any is unfit."""
    if texts is None:
        return None
    if name not in SWEEP_VALUES:
        raise ConfigError(f"--values does not apply to the {name} sweep (it has no values to choose); drop it")
    read, ok, example = SWEEP_VALUES[name]
    values = []
    for text in texts:
        try:
            v = read(text)
        except ValueError:
            v = None
        if v is None or not ok(v):
            raise ConfigError(f"--values of the {name} sweep must be {example}; got {text}")
        if v in values:
            raise ConfigError(f"--values names {text} twice; give each value once")
        values.append(v)
    if name == "late-reset" and iterations is not None:
        for k in values:
            if k >= iterations or k % eval_every:
                raise ConfigError(f"--values {k} of the late-reset sweep must be below --iterations {iterations} and "
                                  f"a multiple of --eval-every {eval_every}")
    return values


# ----------------------------------------------------------------------------
# Folders
# ----------------------------------------------------------------------------


def check_folder_to_write(name, path):
    """``path`` is a folder, or can be made as one, and can be written: else ConfigError naming ``name``."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{name} {path} is a file; give a folder (it is made if missing)")
    existing = p
    while not existing.exists():  # also False for a path that runs through a file
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{name} {path} lies inside {existing}, which is a file; give another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{name} {path}: {existing} cannot be written by you; give a folder you can write to")


def check_data_dir(data_dir):
    """MNIST can be read from, or fetched into, the data folder."""
    if data_dir is not None:
        name, path = "--data-dir", Path(data_dir)
    else:
        path = default_data_dir()
        name = "$LOTTERY_NP_DATA" if os.environ.get("LOTTERY_NP_DATA") else "the data folder"
    if path.is_dir() and (path / CACHE_NAME).is_file() and os.access(path / CACHE_NAME, os.R_OK):
        return
    check_folder_to_write(name, path)  # MNIST will be fetched and cached there


def check_results_folder(what, path, hint):
    """``path`` is a results folder of lottery-np (existing, with config.json); returns it opened."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{what} {path} does not exist; give {hint}")
    if not p.is_dir():
        raise ConfigError(f"{what} {path} is a file; give {hint}")
    if not (p / "config.json").is_file():
        raise ConfigError(f"{what} {path} is not a results folder (it has no config.json); give {hint}")
    return open_existing(p)


def check_examine(folder, trial):
    hint = "a folder made by 'lottery-np mnist iterative'"
    f = check_results_folder("folder", folder, hint)
    if f.config.experiment != "iterative":
        raise ConfigError(f"folder {folder} holds a {f.config.experiment} experiment; examine needs {hint}")
    if trial >= f.config.trials:
        raise ConfigError(f"--trial {trial} is not in {folder}: it has trials 0 to {f.config.trials - 1}")
    if not f.done(Unit(0, "ticket", trial)):
        raise ConfigError(f"folder {folder} has no finished ticket of trial {trial} yet; run (or resume) "
                          f"the experiment first")


def check_plot(folders):
    for path in folders:
        f = check_results_folder("folder", path, "folders made by 'lottery-np mnist oneshot' or 'mnist iterative'")
        if not any(f.done(u) for u in plan(f.config)):
            raise ConfigError(f"folder {path} has no finished trainings yet; run (or resume) the experiment first")
        check_folder_to_write("folder", path)  # its figures are redrawn in it


def check_export(args):
    hint = "a folder made by 'lottery-np mnist' or 'sweep'"
    f = check_results_folder("folder", args.folder, hint)
    cfg = f.config
    if args.trial >= cfg.trials:
        raise ConfigError(f"--trial {args.trial} is not in {args.folder}: it has trials 0 to {cfg.trials - 1}")
    if args.level >= cfg.n_levels:
        raise ConfigError(f"--level {args.level} is not in {args.folder}: it has levels 0 to {cfg.n_levels - 1}")
    if args.kind != "ticket":
        if args.level == 0:
            raise ConfigError("--level 0 (the unpruned network) has no controls; give --kind ticket or a --level ≥ 1")
        if args.kind not in cfg.control_kinds or args.draw >= cfg.controls:
            raise ConfigError(f"--kind {args.kind} --draw {args.draw} is not in {args.folder}: it has "
                              f"{cfg.controls} draw(s) of {', '.join(cfg.control_kinds) or 'no control'}")
    unit = Unit(args.level, args.kind, args.trial, args.draw if args.kind != "ticket" else 0)
    if not f.done(unit):
        raise ConfigError(f"folder {args.folder} has no finished training {unit.id} yet; run (or resume) the "
                          f"experiment first")
    out = Path(args.out)
    if out.is_dir():
        raise ConfigError(f"--out {args.out} is a folder; give the ticket file to write, e.g. {out / 'ticket.npz'}")
    check_folder_to_write("--out", out.parent if str(out.parent) else ".")


def compact_targets(folders):
    """The experiment folders ``lottery-np compact FOLDER...`` works on: a sweep's folder (no config.json of
    its own, variants with one) stands for its finished variants that are not compact yet (a sweep run over
    several sittings is compacted variant by variant as each finishes, and a variant still training is left
    alone; name an unfinished variant's own folder to compact it)."""
    out = []
    for folder in folders:
        variants = sorted(str(p.parent) for p in Path(folder).glob("*/config.json"))
        if not variants or (Path(folder) / "config.json").exists():
            out.append(folder)
            continue

        def to_compact(v):
            try:
                f = open_existing(v)
                return not f.compact and all(f.done(u) for u in plan(f.config))
            except (LotteryError, OSError, ValueError, KeyError, TypeError, AttributeError):
                return True  # unreadable: the check that opens it says so
        out += [v for v in variants if to_compact(v)] or variants  # none: each one's error says why
    return out


def check_compact(folders):
    for path in compact_targets(folders):
        f = check_results_folder("folder", path, "folders made by 'lottery-np mnist' or 'sweep'")
        if f.compact:
            raise ConfigError(f"folder {path} is compact already")
        if not any(f.done(u) for u in plan(f.config)):
            raise ConfigError(f"folder {path} has no finished trainings to keep; run the experiment first")
        check_folder_to_write("folder", path)


def check_report(folder):
    hint = "a folder made by 'lottery-np reproduce' or 'lottery-np after'"
    if not Path(folder).is_dir():
        raise ConfigError(f"folder {folder} does not exist; give {hint}")
    if is_after_folder(folder):  # 'after' results: their JSON is all the report needs
        check_folder_to_write("folder", folder)
        return
    for name in ("mnist-oneshot", "mnist-iterative"):
        f = check_results_folder("folder", Path(folder) / name, hint)
        if not all(f.done(u) for u in plan(f.config)):
            raise ConfigError(f"{Path(folder) / name} is not finished; run (or resume) its 'lottery-np reproduce' first")
    if not (Path(folder) / "xor" / "xor.json").is_file() or not (Path(folder) / "timing.json").is_file():
        raise ConfigError(f"folder {folder} has no xor/xor.json or timing.json; give {hint}")
    check_folder_to_write("folder", folder)


def check_store(args):
    """The trainings store a new run keeps its trainings in (``store.find_store``: beside --out) can be
    written. A folder being resumed uses the store it names."""
    if args.command == "mnist" and (Path(args.out) / "config.json").is_file():
        return
    check_folder_to_write("the trainings store", find_store(args.out).path)


# ----------------------------------------------------------------------------
# Everything, for any subcommand
# ----------------------------------------------------------------------------


USES_MNIST = {"demo", "mnist", "sweep", "reproduce", "fetch-mnist"}


def check(args):
    """Raise ConfigError (one line, naming the option) at the first setting that cannot work.
    Expects ``args.out`` already resolved to the folder that will be written (or None)."""
    check_rules(args)
    check_experiment(args)
    check_relations(args)
    check_sweep_values(args)
    if args.command == "examine":
        check_examine(args.folder, args.trial)
    if args.command == "export":
        check_export(args)
        return
    if args.command == "compact":
        check_compact(args.folders)
        return
    if args.command == "report":
        check_report(args.folder)
        return
    if getattr(args, "mnist_command", None) == "plot":
        check_plot(args.folders)
    elif args.command in USES_MNIST:
        check_data_dir(getattr(args, "data_dir", None))
    if getattr(args, "out", None) is not None:
        check_folder_to_write("--out", args.out)
        if args.command in ("mnist", "sweep") and getattr(args, "mnist_command", None) != "plot":
            check_store(args)


# ----------------------------------------------------------------------------
# Library messages in the words of the command line
# ----------------------------------------------------------------------------


def in_cli_words(message):
    """A library message with setting names replaced by their options: ``eval_every`` → ``--eval-every``.
    Names with an underscore are replaced anywhere; plain words only where they open the message
    (and not when the option follows in brackets already, as in ``fractions (--levels): ...``)."""
    options = {name: option_of(name) for name in SETTINGS if option_of(name)}
    code = [n for n in options if "_" in n]
    plain = [n for n in options if "_" not in n]
    message = re.sub(r"\b(" + "|".join(code) + r")\b", lambda m: options[m.group(1)], message)
    return re.sub(r"^(" + "|".join(plain) + r")\b(?! \(--)", lambda m: options[m.group(1)], message)
