"""The ``lottery-np`` command (also ``python -m lottery_np``)."""
import argparse
import contextlib
import os
import sys

from .errors import ConfigError, LotteryError
from .experiments import TRAIN_BACKENDS
from .kernels import BACKENDS


def build_parser():
    p = argparse.ArgumentParser(
        prog="lottery-np",
        description="Reproduce Frankle & Carbin (2018), The Lottery Ticket Hypothesis, in NumPy.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="train LeNet-300-100 briefly on MNIST, prune one-shot, compare tickets "
                                    "with random reinit; writes REPORT.md and a figure")
    d.add_argument("--out", default="results/demo", help="output folder (default: results/demo)")
    d.add_argument("--iterations", type=int, default=2000, help="training iterations per network (default 2000)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--backend", choices=BACKENDS, default="numpy")

    x = sub.add_parser("xor", help="section 2: XOR tables (random init; pruned tickets), ours beside the paper's")
    x.add_argument("--trials", type=int, default=1000, help="trials per configuration (default 1000)")
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--out", default="results/xor", help="writes OUT/xor.json (default results/xor)")

    add_mnist_parser(sub)

    ex = sub.add_parser("examine", help="section 5: initial values and connections of the tickets of an "
                                        "iterative results folder")
    ex.add_argument("folder", help="a folder made by 'lottery-np mnist iterative'")
    ex.add_argument("--trial", type=int, default=0, help="which ticket (default 0)")
    ex.add_argument("--out", default=None, help="default: FOLDER/examine")

    r = sub.add_parser("reproduce", help="every experiment of the paper in order (XOR, one-shot, iterative, "
                                         "controls, sections 5-6), resumable, with REPORT.md beside the paper")
    size = r.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="about 10 minutes on 2 cores: fewer iterations, trials and levels (default)")
    size.add_argument("--full", dest="mode", action="store_const", const="full", help="the paper's scale")
    r.set_defaults(mode="quick")
    r.add_argument("--out", default=None, help="default: results/reproduce-quick or results/reproduce-full")
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel trainings (default: all cores)")
    r.add_argument("--scheduler", default=None,
                   help="run the trainings on a Dask cluster, e.g. tcp://host:8786 (pip install -e .[dask])")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--backend", choices=TRAIN_BACKENDS, default="fused",
                   help="fused: the training engine (default); numpy, numba, sparse, auto: the readable path")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    f = sub.add_parser("fetch-mnist", help="download, check and cache MNIST, then print where it is")
    f.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    return p


def add_experiment_options(e, name, dflt):
    """The settings of ExperimentConfig as options; ``name`` is oneshot, iterative or sweep."""
    from .experiments import CONTROL_KINDS
    e.add_argument("--jobs", type=int, default=1, help="trainings run in parallel, one core each (default 1)")
    e.add_argument("--trials", type=int, default=dflt.trials, help=f"independent tickets (default {dflt.trials})")
    e.add_argument("--controls", type=int, default=dflt.controls,
                   help=f"draws of each control per ticket and level (default {dflt.controls}; 0 for none)")
    e.add_argument("--control-kinds", nargs="+", choices=CONTROL_KINDS, default=list(CONTROL_KINDS),
                   help="reinit = control 1 (fresh weights), shuffle = control 2 (moved weights)")
    e.add_argument("--iterations", type=int, default=dflt.iterations, help="per training (default 50000)")
    e.add_argument("--eval-every", type=int, default=dflt.eval_every, help="default 100")
    if name in ("oneshot", "sweep"):
        e.add_argument("--levels", type=float, nargs="+", default=[100 * f for f in dflt.fractions],
                       help="one-shot: percent of hidden weights kept, one level each "
                            "(default 90 75 55 35 25 15 10 5 2.5)")
    if name in ("iterative", "sweep"):
        e.add_argument("--rounds", type=int, default=dflt.rounds, help="iterative: pruning rounds (default 18 → ≈1.8%%)")
        e.add_argument("--rate", type=float, default=dflt.rate,
                       help="iterative: fraction of hidden-layer survivors pruned per round (default 0.2)")
        e.add_argument("--output-rate", type=float, default=None, help="output layer's rate (default rate/2)")
    e.add_argument("--sizes", type=int, nargs="+", default=list(dflt.sizes), help="default 784 300 100 10")
    e.add_argument("--lr", type=float, default=dflt.lr, help="default 0.1")
    e.add_argument("--batch-size", type=int, default=dflt.batch_size, help="default 60")
    e.add_argument("--optimizer", default=dflt.optimizer, help="sgd (default), momentum or adam")
    e.add_argument("--init", default=dflt.init, help="normal (default) or glorot_normal")
    e.add_argument("--init-std", type=float, default=dflt.init_std, help="default 0.1")
    e.add_argument("--reset", choices=("init", "none"), default=dflt.reset,
                   help="init: reset survivors before retraining (default); none: keep training them")
    e.add_argument("--reset-iteration", type=int, default=0,
                   help="late resetting: reset to the weights at this iteration instead of θ0 (default 0)")
    e.add_argument("--no-test-curve", action="store_true",
                   help="evaluate test accuracy only at new validation minima (faster; no curve figure data)")
    e.add_argument("--seed", type=int, default=dflt.seed)
    e.add_argument("--backend", default=dflt.backend, choices=TRAIN_BACKENDS,
                   help="fused: the training engine (default); numpy, numba, sparse, auto: the readable path")
    e.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    e.add_argument("--quiet", action="store_true", help="no progress bar")


def add_mnist_parser(sub):
    from .experiments import ExperimentConfig
    from .sweeps import SWEEPS
    dflt = ExperimentConfig()
    m = sub.add_parser("mnist", help="sections 3-4: one-shot or iterative pruning of LeNet-300-100 on MNIST, "
                                     "with both controls (resumable, parallel)")
    msub = m.add_subparsers(dest="mnist_command", metavar="EXPERIMENT", required=True)
    for name, text in (("oneshot", "section 3: train once, prune to each level in one step, reset, retrain"),
                       ("iterative", "section 4: train, prune 20%% (output 10%%), reset, repeat")):
        e = msub.add_parser(name, help=text, description=text + ". Interrupt at any time; the same command "
                            "resumes, training only what is missing.")
        e.add_argument("--out", default=None, help=f"results folder (default: results/mnist-{name})")
        add_experiment_options(e, name, dflt)
    pl = msub.add_parser("plot", help="redraw figures and tables of finished folders; given a one-shot and an "
                                      "iterative folder, also draw them on one plot")
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


def mnist_config(args, experiment):
    from .experiments import ExperimentConfig
    kw = dict(experiment=experiment, sizes=args.sizes, init=args.init, init_std=args.init_std,
              iterations=args.iterations, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
              eval_every=args.eval_every, trials=args.trials, controls=args.controls,
              control_kinds=args.control_kinds, reset=args.reset, reset_iteration=args.reset_iteration,
              record_test_curve=not args.no_test_curve, backend=args.backend, seed=args.seed)
    if hasattr(args, "levels"):
        kw["fractions"] = [p / 100 for p in args.levels]
    if hasattr(args, "rounds"):
        kw.update(rounds=args.rounds, rate=args.rate, output_rate=args.output_rate)
    return ExperimentConfig(**kw)


def check_jobs(jobs):
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1; got {jobs}")


def run_mnist_command(args):
    from .runner import plot_folders, run, write_outputs
    if args.mnist_command == "plot":
        for line in plot_folders(args.folders, args.out):
            print(line)
        return
    check_jobs(args.jobs)
    config = mnist_config(args, args.mnist_command)
    out = args.out or f"results/mnist-{args.mnist_command}"
    run([(out, config)], jobs=args.jobs, data_dir=args.data_dir, progress=not args.quiet, on_finish=write_outputs)
    print(f"done: {out}/summary.csv, summary.md, convergence_accuracy.png, training_curves.png")


def parse_values(name, values):
    if values is None:
        return None
    try:
        if name == "size":
            return [tuple(int(v) for v in s.split("-")) for s in values]
        return [int(v) for v in values] if name == "late-reset" else [float(v) for v in values]
    except ValueError:
        raise ConfigError(f"cannot read --values {' '.join(values)} for the {name} sweep "
                          f"(sizes look like 300-100; rates like 0.2; iterations like 500)") from None


def run_sweep_command(args):
    from .sweeps import run_sweep
    check_jobs(args.jobs)
    base = mnist_config(args, args.experiment)
    out = args.out or f"results/sweep-{args.sweep}"
    run_sweep(args.sweep, base, out, values=parse_values(args.sweep, args.values), jobs=args.jobs,
              data_dir=args.data_dir, progress=not args.quiet)
    print(f"done: {out}/sweep.md, {out}/sweep.png and one folder per variant")


def run_reproduce_command(args):
    from .reproduce import reproduce
    check_jobs(args.jobs)
    out = args.out or f"results/reproduce-{args.mode}"
    with dask_executor(args.scheduler) as (executor, workers):
        path = reproduce(out, mode=args.mode, jobs=workers or args.jobs, executor=executor,
                         progress=not args.quiet, seed=args.seed, backend=args.backend)
    print(f"report: {path}")


@contextlib.contextmanager
def dask_executor(address):
    """``(executor, n_workers)`` for a Dask scheduler address, or ``(None, None)`` to run locally."""
    if not address:
        yield None, None
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs Dask: pip install -e '.[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({e}); is it running?") from None
    with client:
        yield client.get_executor(pure=False), sum(client.nthreads().values())


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "demo":
            from .demo import run_demo
            run_demo(args.out, iterations=args.iterations, seed=args.seed, backend=args.backend)
        elif args.command == "xor":
            from .xor import tables_markdown, write_xor
            result = write_xor(args.out, args.trials, args.seed)
            print(tables_markdown(result))
            print(f"\n{args.trials} trials per configuration in {result['settings']['seconds']} s; {args.out}/xor.json")
        elif args.command == "mnist":
            run_mnist_command(args)
        elif args.command == "sweep":
            run_sweep_command(args)
        elif args.command == "examine":
            from .examine import examine_folder, summary_markdown
            out = args.out or f"{args.folder}/examine"
            rows, _ = examine_folder(args.folder, out, args.trial)
            print(summary_markdown(rows))
            print(f"figures: {out}/initial_values.png, {out}/connections.png")
        elif args.command == "reproduce":
            run_reproduce_command(args)
        elif args.command == "fetch-mnist":
            from .data import default_data_dir, load_mnist
            d = load_mnist(args.data_dir)
            print(f"MNIST ready in {args.data_dir or default_data_dir()}: {d}")
    except LotteryError as e:
        print(f"lottery-np: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lottery-np: interrupted", file=sys.stderr)
        return 130
    return 0
