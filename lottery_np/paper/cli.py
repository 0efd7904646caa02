"""The ``lottery-np`` command (also ``python -m lottery_np``)."""
import argparse
import contextlib
import os
import sys
from dataclasses import fields
from pathlib import Path

from .. import __version__
from ..data import default_data_dir, load_mnist, load_mnist_raw
from ..errors import ConfigError, LotteryError
from ..fast_layers import BACKENDS
from ..tickets import save_ticket
from . import after_report, validate
from .compact import compact
from .demo import run_demo
from .estimate import describe_estimate, estimate_seconds
from .examine import FIGURES, NoMasks, drawn_before, examine_folder, summary_markdown
from .experiments import Unit, mnist_for
from .export import ticket_of
from .folders import ResultsFolder, open_existing
from .plans import all_folders, in_part, make_plan
from .plots import plot_folders, write_outputs
from .recheck import recheck, record, table
from .reproduce import regenerate, reproduce
from .runner import run, run_sweep
from .settings import SETTINGS, TRAIN_BACKENDS, ExperimentConfig, SettingError, option_of
from .store import find_store, write_failed
from .sweeps import SWEEPS, sweep_configs
from .xor import tables_markdown, write_xor


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, like every other error of lottery-np (``main`` prints it),
    and which takes no abbreviation of an option: ``--iteration 200`` is refused, not read as ``--iterations``."""

    def __init__(self, *args, **kwargs):
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise ConfigError(f"{message} (see: {self.prog} --help)")


def whole_number(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, e.g. 100; got {text!r}") from None


def number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, e.g. 0.1; got {text!r}") from None


SEED_HELP = "the root of every random number (default 0): the same seed gives the same numbers, bit for bit"


def build_parser():
    p = Parser(
        prog="lottery-np",
        description="Reproduce Frankle & Carbin (2018), The Lottery Ticket Hypothesis, in NumPy.")
    p.add_argument("--version", action="version", version=f"lottery-np {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="train LeNet-300-100 briefly on MNIST, prune one-shot, compare tickets "
                                    "with random reinit; writes REPORT.md and a figure")
    d.add_argument("--out", default="results/demo", help="output folder (default: results/demo)")
    d.add_argument("--iterations", type=whole_number, default=2000,
                   help="training iterations per network (default 2000)")
    d.add_argument("--seed", type=whole_number, default=0, help=SEED_HELP)
    d.add_argument("--backend", choices=BACKENDS, default="numpy")

    x = sub.add_parser("xor", help="section 2: XOR tables (random init; pruned tickets), ours beside the paper's")
    x.add_argument("--trials", type=whole_number, default=1000, help="trials per configuration (default 1000)")
    x.add_argument("--seed", type=whole_number, default=0, help=SEED_HELP)
    x.add_argument("--out", default="results/xor", help="writes OUT/xor.json (default results/xor)")

    add_mnist_parser(sub)
    after_report.add_parser(sub)

    ex = sub.add_parser("examine", help="section 5: initial values and connections of the tickets of an "
                                        "iterative results folder")
    ex.add_argument("folder", help="a folder made by 'lottery-np mnist iterative'")
    ex.add_argument("--trial", type=whole_number, default=0, help="which ticket (default 0)")
    ex.add_argument("--out", default=None, help="default: FOLDER/examine")

    xp = sub.add_parser("export", help="write one training of a results folder as a ticket file: its weights at the "
                                       "start of training, biases, masks, settings, seeds and result",
                        description="Write one network of a results folder, ready to train: its weights at the start "
                                    "of training (θ0 for a ticket, the control's own for a control), biases, masks, the "
                                    "settings and seeds that trained it, its result, and its trained weights if they "
                                    "were kept (--keep-weights when it was trained). lottery_np.load_ticket reads it.")
    xp.add_argument("folder", help="a folder made by 'lottery-np mnist' or 'sweep' (one of its variants)")
    xp.add_argument("--trial", type=whole_number, default=0, help="which ticket (default 0)")
    xp.add_argument("--level", type=whole_number, required=True,
                    help="round of iterative pruning, or the one-shot level (0 = the unpruned network)")
    xp.add_argument("--kind", choices=("ticket", "reinit", "shuffle"), default="ticket",
                    help="ticket (default), reinit (control 1) or shuffle (control 2)")
    xp.add_argument("--draw", type=whole_number, default=0, help="which draw of a control (default 0)")
    xp.add_argument("--out", required=True, help="the ticket file to write, e.g. ticket.npz")

    cp = sub.add_parser("compact", help="make results folders readable without their trainings store: keep the "
                                        "curves the figures draw and the tickets' masks in each folder")
    cp.add_argument("folders", nargs="+", help="folders made by 'lottery-np mnist' or 'sweep' (a sweep's folder: each of "
                                               "its variants)")
    cp.add_argument("--masks", choices=("all", "last"), default="all",
                    help="all (default): every ticket's masks, for section 5 and controls at any level; last: only "
                         "each ticket's last round's, enough to add rounds (a sweep's claims need its summary alone)")

    rc = sub.add_parser("recheck", help="train a few trainings of a results folder again from what it keeps (θ0 "
                                        "from the seed, the tickets' committed masks) and compare with its summary")
    rc.add_argument("folder", help="an experiment folder, e.g. docs/paper-scale/mnist-iterative")
    rc.add_argument("--trainings", nargs="+", metavar="ID",
                    help="ids kind-tTRIAL-lLEVEL, a control with -dDRAW (e.g. ticket-t0-l05, reinit-t1-l03-d0); default: "
                         "the first ticket unpruned, at a middle level and at the last")
    rc.add_argument("--jobs", type=whole_number, default=1, help="trainings at once (default 1)")
    rc.add_argument("--record", action="store_true",
                    help="keep the comparison, with this machine and the code, in FOLDER/rechecks.json, which the "
                         "plan's REPORT.md shows under 'How reproducible it is'")

    rp = sub.add_parser("report", help="write REPORT.md and every figure again from a finished 'reproduce' "
                                       "folder (e.g. docs/paper-scale) or an 'after' folder, without training")
    rp.add_argument("folder", help="a folder made by 'lottery-np reproduce' or 'lottery-np after'")

    r = sub.add_parser("reproduce", help="every experiment of the paper in order (XOR, one-shot, iterative, "
                                         "controls, sections 5-6), resumable, with REPORT.md beside the paper")
    size = r.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="about 25 minutes on 2 cores: 35,000 iterations, the paper's 5 tickets, 1 draw of each "
                           "control only at the sizes that decide the headline claims of sections 3-4; no section "
                           "6 sweeps (default)")
    size.add_argument("--standard", dest="mode", action="store_const", const="standard",
                      help="the paper's training (50,000 iterations, every level) with 2 tickets and 1 draw of "
                           "each control; no section 6 sweeps (run them with 'sweep' into OUT/sweep-NAME); "
                           "about 50 minutes on 2 cores")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the paper's scale: 5 tickets, 3 + 3 control draws, every sweep; about 14 hours on 2 cores")
    r.set_defaults(mode="quick")
    r.add_argument("--estimate", action="store_true",
                   help="print the plan's estimated wall time on this machine and exit without training")
    r.add_argument("--out", default=None, help="default: results/reproduce-quick, -standard or -full")
    r.add_argument("--jobs", type=whole_number, default=os.cpu_count() or 1,
                   help="parallel trainings (default: all cores)")
    r.add_argument("--scheduler", default=None,
                   help="run the trainings on a Dask cluster, e.g. tcp://host:8786 (pip install -e .[dask])")
    r.add_argument("--seed", type=whole_number, default=0, help=SEED_HELP)
    r.add_argument("--backend", choices=TRAIN_BACKENDS, default="fused",
                   help="fused: the training engine (default); numpy, numba, sparse, auto: the readable path")
    r.add_argument("--only", nargs="+", default=None, metavar="PART",
                   help="run only these parts of the plan into OUT (xor, mnist-oneshot, mnist-iterative, "
                        "sweep-NAME, or one variant, e.g. sweep-size/iterative-700-233), e.g. one sitting of a long "
                        "plan; the report is written when every part is done")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    f = sub.add_parser("fetch-mnist", help="download, check and cache MNIST, then print where it is")
    f.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    return p


def add_experiment_options(e, name, dflt):
    """The options of an experiment command; ``name`` is oneshot, iterative or sweep, ``dflt`` its defaults."""
    e.add_argument("--jobs", type=whole_number, default=1, help="trainings run in parallel, one core each (default 1)")
    e.add_argument("--scheduler", default=None,
                   help="run the trainings on a Dask cluster, e.g. tcp://host:8786 (pip install -e .[dask])")
    e.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    add_settings(e.add_argument_group("settings (defaults: the paper's)"), name, dflt)


def add_settings(group, name, dflt):
    """One option per field of ExperimentConfig that experiment ``name`` uses (a sweep: all), made from
    the field's ``Setting``: its option, help, default (``dflt``'s) and how its values are read."""
    for f in fields(ExperimentConfig):
        s, option = SETTINGS[f.name], option_of(f.name)
        if option is None or (name != "sweep" and name not in s.experiments):
            continue
        default = getattr(dflt, f.name)
        kw = dict(dest=f.name, default=list(default) if isinstance(default, tuple) else default)
        if s.kind == "flag":
            kw["action"] = "store_false" if default else "store_true"
        else:
            kw["type"] = reader(s)
            if s.kind == "choice":
                kw["choices"] = s.choices
            else:
                kw["metavar"] = option.lstrip("-").upper().replace("-", "_")
            if s.many:
                kw["nargs"] = "+"
        group.add_argument(option, help=help_text(s, default), **kw)


def reader(s):
    """How an option reads one value of setting ``s`` (a choice is read as it is typed)."""
    if s.from_text is None:
        return {"whole": whole_number, "number": number}.get(s.kind, str)

    def read(text):
        try:
            return s.from_text(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return read


def help_text(s, default):
    """The setting's help and its default, as the option writes it (``%`` doubled for argparse)."""
    if s.kind == "flag":
        text = s.help
    else:
        show = s.to_text or (lambda v: f"{v:g}" if isinstance(v, float) else str(v))
        shown = s.default_text or " ".join(show(v) for v in (default if isinstance(default, tuple) else [default]))
        text = f"{s.help} (default {shown})"
    return text.replace("%", "%%")


def add_mnist_parser(sub):
    dflt = ExperimentConfig()
    m = sub.add_parser("mnist", help="sections 3-4: one-shot or iterative pruning of LeNet-300-100 on MNIST, "
                                     "with both controls (resumable, parallel)")
    msub = m.add_subparsers(dest="mnist_command", metavar="EXPERIMENT", required=True)
    for name, text in (("oneshot", "section 3: train once, prune to each level in one step, reset, retrain"),
                       ("iterative", "section 4: train, prune 20%% (output 10%%), reset, repeat")):
        e = msub.add_parser(name, help=text, description=text.replace("%%", "%") + ". Interrupt at any time; the same command "
                            "resumes, training only what is missing.")
        e.add_argument("--out", default=None, help=f"results folder (default: results/mnist-{name})")
        add_experiment_options(e, name, dflt)
    pl = msub.add_parser("plot", help="redraw figures and tables of finished folders; given two or more "
                                      "folders, also draw their tickets on one plot")
    pl.add_argument("folders", nargs="+")
    pl.add_argument("--out", default=None, help="where the comparison figure goes (default: first folder)")

    text = ("section 6 and beyond: a family of experiments differing in one setting (tickets only unless "
            "--controls is given), each in OUT/<variant>, drawn on one figure")
    w = sub.add_parser("sweep", help=text, description=text + ". Resumable and parallel like 'mnist'.")
    w.add_argument("sweep", choices=SWEEPS, help="init-std | size | rate | reset (θ0 vs no reset) | late-reset")
    w.add_argument("--experiment", choices=("oneshot", "iterative"), default="iterative",
                   help="base experiment for init-std and late-reset (default iterative)")
    w.add_argument("--values", nargs="+", default=None,
                   help="the swept values (defaults: init-std 0.025 0.05 0.1 0.2 0.4; size 100-33 200-66 300-100 "
                        "500-166 700-233; rate 0.1 0.2 0.35 0.5 0.7; late-reset 0 100 500 2000)")
    w.add_argument("--out", default=None, help="results folder (default: results/sweep-<name>)")
    add_experiment_options(w, "sweep", ExperimentConfig(controls=0))


# Where a command writes when --out is not given (demo and xor have their default in the parser;
# mnist plot writes into its folders). Keys: the command, or the experiment for 'mnist'.
DEFAULT_OUT = {"oneshot": "results/mnist-oneshot", "iterative": "results/mnist-iterative",
               "sweep": "results/sweep-{sweep}", "examine": "{folder}/examine", "reproduce": "results/reproduce-{mode}"}


def resolve_out(args):
    """The folder the command will write, default filled in; None if it writes no --out folder."""
    given = getattr(args, "out", None)
    key = getattr(args, "mnist_command", None) or args.command
    return given if given is not None or key not in DEFAULT_OUT else DEFAULT_OUT[key].format(**vars(args))


def ready_to_run(experiments, data_dir=None):
    """Refuse now, before any folder is written, what the runner would refuse later: a folder of
    another configuration, or MNIST that cannot be loaded (it stays loaded for the run)."""
    for path, config in experiments:
        ResultsFolder(path, config).open(create=False)
    if experiments:  # none for a plan's XOR part alone
        mnist_for(experiments[0][1], data_dir)


def run_mnist_command(args):
    if args.mnist_command == "plot":
        for line in plot_folders(args.folders, args.out):
            print(line)
        return
    experiments = [(args.out, args.config)]  # made once, by validate.check
    with dask_executor(args.scheduler) as (executor, workers):
        ready_to_run(experiments, args.data_dir)
        jobs = workers or args.jobs
        run(experiments, jobs=jobs, executor=executor, data_dir=args.data_dir, progress=not args.quiet,
            on_finish=write_outputs, announce=lambda s: print(s.line(f"mnist {args.mnist_command} into {args.out}", jobs),
                                                              flush=True))
    print(f"done: {args.out}/summary.csv, summary.md, convergence_accuracy.png, training_curves.png")


def run_sweep_command(args):
    with dask_executor(args.scheduler) as (executor, workers):
        variants = sweep_configs(args.sweep, args.config, args.values)  # the base and the values checked by validate.check
        ready_to_run([(Path(args.out) / sub, cfg) for sub, cfg in variants], args.data_dir)
        jobs = workers or args.jobs
        run_sweep(args.sweep, variants, args.out, jobs=jobs, executor=executor, data_dir=args.data_dir,
                  progress=not args.quiet, store=find_store(args.out),
                  announce=lambda s: print(s.line(f"sweep {args.sweep} into {args.out}", jobs), flush=True))
    print(f"done: {args.out}/sweep.md, {args.out}/sweep.png and one folder per variant")


def run_reproduce_command(args):
    with dask_executor(args.scheduler) as (executor, workers):
        plan = [(f, c) for f, c in all_folders(*make_plan(args.mode, args.seed, args.backend)) if in_part(f, args.only)]
        if args.estimate:
            jobs = workers or args.jobs
            print(describe_estimate(args.mode, plan, jobs, estimate_seconds(plan, jobs, args.backend)))
            return
        ready_to_run([(Path(args.out) / f, cfg) for f, cfg in plan])
        path = reproduce(args.out, mode=args.mode, jobs=workers or args.jobs, executor=executor,
                         progress=not args.quiet, seed=args.seed, backend=args.backend, only=args.only)
    if path is not None:
        print(f"report: {path}")


def run_recheck_command(args):
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    rows = recheck(args.folder, args.trainings, jobs=args.jobs)
    print(table(rows))
    if args.record:
        print(f"recorded in {record(args.folder, rows)}")


def run_report_command(args):
    if after_report.is_after_folder(args.folder):
        print(f"report: {after_report.write_report(args.folder)}")
        return
    print(f"report: {regenerate(args.folder)}")


def run_demo_command(args):
    load_mnist_raw()  # fetched (or its cache checked) before the demo makes its folder
    run_demo(args.out, iterations=args.iterations, seed=args.seed, backend=args.backend)


def run_xor_command(args):
    result = write_xor(args.out, args.trials, args.seed)
    print(tables_markdown(result))
    print(f"\n{args.trials} trials per configuration in {result['settings']['seconds']} s; {args.out}/xor.json")


def run_examine_command(args):
    try:
        rows, _ = examine_folder(args.folder, args.out, args.trial)
    except NoMasks as e:  # e.g. docs/paper-scale on a clone: say what it holds and where its figures are
        before = drawn_before(args.folder)
        if before is None:
            raise
        tickets = [r for r in open_existing(args.folder).records() if r["kind"] == "ticket" and r["trial"] == args.trial]
        print(f"{e}, so section 5 cannot be redrawn from it. Its tickets of trial {args.trial}: {len(tickets)} levels, "
              f"{tickets[0]['percent_remaining']:.1f}% to {tickets[-1]['percent_remaining']:.2f}% of the weights. "
              f"Drawn from their masks when it was run, in {before}:\n")
        print((before / "summary.md").read_text().strip())
        print("\nfigures: " + ", ".join(str(before / f) for f in FIGURES if (before / f).exists()))
        return
    print(summary_markdown(rows))
    print("figures: " + ", ".join(f"{args.out}/{f}" for f in FIGURES))


def run_export_command(args):
    unit = Unit(args.level, args.kind, args.trial, args.draw if args.kind != "ticket" else 0)
    ticket = ticket_of(args.folder, unit)
    save_ticket(args.out, ticket)
    r = ticket.result
    acc = "diverged" if r["diverged"] else f"test accuracy {100 * r['test_accuracy']:.2f}%"
    print(f"{args.out}: {unit.id} of {args.folder}, {r['percent_remaining']:.2f}% of weights, converged at iteration "
          f"{r['convergence_iteration']}, {acc}" + ("; with its trained weights" if ticket.trained else ""))


def run_compact_command(args):
    for folder in validate.compact_targets(args.folders):  # a sweep's folder stands for its variants
        sizes = compact(folder, masks=args.masks)
        kept = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items()) or "no curves or masks to keep"
        print(f"{folder}: compact, readable without its trainings store (summary.csv; {kept})")


def run_fetch_command(args):
    d = load_mnist(args.data_dir)
    print(f"MNIST ready in {args.data_dir or default_data_dir()}: {d}")


COMMANDS = {"demo": run_demo_command, "xor": run_xor_command, "mnist": run_mnist_command,
            "sweep": run_sweep_command, "examine": run_examine_command, "reproduce": run_reproduce_command,
            "export": run_export_command, "compact": run_compact_command, "recheck": run_recheck_command,
            "report": run_report_command, "after": after_report.main,
            "fetch-mnist": run_fetch_command}


@contextlib.contextmanager
def dask_executor(address):
    """``(executor, n_workers)`` for a Dask scheduler address, or ``(None, None)`` to run locally."""
    if not address:
        yield None, None
        return
    try:
        from dask.distributed import Client  # optional: the [dask] extra, needed only with --scheduler
    except ImportError:
        raise ConfigError("--scheduler needs Dask: pip install -e '.[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except ValueError as e:
        raise ConfigError(f"--scheduler {address} is not a Dask scheduler address ({e}); give one like "
                          f"tcp://host:8786") from None
    except (OSError, TimeoutError) as e:
        raise ConfigError(f"--scheduler: cannot reach the Dask scheduler at {address} ({e}); is it running?") from None
    with client:
        yield client.get_executor(pure=False), sum(client.nthreads().values())


def main(argv=None):
    """Run one command. Bad settings end in one line on stderr and exit code 2, before anything is written."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        args.out = resolve_out(args)
        validate.check(args)
        COMMANDS[args.command](args)
    except SettingError as e:  # a setting of ExperimentConfig: said with the options that set it
        return fail(e.in_cli_words)
    except ConfigError as e:
        return fail(validate.in_cli_words(str(e)))
    except LotteryError as e:
        return fail(str(e))
    except OSError as e:  # a disk that fills up or a folder removed while we run
        return fail(write_failed(e))
    except KeyboardInterrupt as e:  # the runner's says how many trainings are saved
        print(f"lottery-np: {str(e) or 'interrupted'}", file=sys.stderr)
        return 130
    return 0


def fail(message):
    print("lottery-np: error: " + " ".join(message.split()), file=sys.stderr)  # always one line
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
