"""The ``lottery-np`` command (also ``python -m lottery_np``)."""
import argparse
import sys

from .errors import LotteryError
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

    f = sub.add_parser("fetch-mnist", help="download, check and cache MNIST, then print where it is")
    f.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    return p


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
