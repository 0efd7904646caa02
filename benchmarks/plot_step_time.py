"""Step time against percent of weights remaining, from the JSON of step_time.py.

    python benchmarks/step_time.py --save          # writes docs/step_time.json
    python benchmarks/plot_step_time.py            # docs/step_time.json -> docs/step_time.png

One line per path of ours, PyTorch's masked dense step, and the arithmetic floor: the FLOPs the
step needs at that density (nonzero inputs, surviving weights, live ReLUs) at the machine's
measured peak. Log-log; the full network on the left, as in the paper's figures.
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
STYLE = {"numpy": dict(color="tab:blue", marker="o", label="ours: numpy backend"),
         "numba": dict(color="tab:cyan", marker="v", label="ours: numba backend"),
         "sparse": dict(color="tab:purple", marker="D", label="ours: sparse backend"),
         "auto": dict(color="tab:green", marker="s", label="ours: auto backend"),
         "fused": dict(color="tab:red", marker="^", label="ours: fused engine"),
         "torch": dict(color="black", marker="x", label="PyTorch, masked dense"),
         "floor": dict(color="gray", ls="--", marker="", label="arithmetic floor (needed FLOPs ÷ peak)")}


def plot(result, paths, out):
    fractions = [str(f) for f in result["fractions"]]
    x = [100 * float(f) for f in fractions]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for name in list(paths) + ["torch", "floor"]:
        row = result["floor_ms"] if name == "floor" else result["step_ms"].get(name)
        if row is None:
            continue
        ax.plot(x, [row[f] for f in fractions], lw=1.5, markersize=5, **{"ls": "-", **STYLE[name]})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([t for t in (100, 50, 20, 10, 5, 2, 1, 0.5, 0.2) if min(x) <= t <= max(x)])
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.invert_xaxis()
    ax.set_xlabel("percent of weights remaining")
    ax.set_ylabel("one SGD step (ms)")
    threads = result["threads"]
    ax.set_title(f"LeNet-300-100, batch {result.get('batch', 60)}, float32, {threads} thread{'s' * (threads > 1)}; "
                 f"peak {result['peak']['gflops']:.0f} GFLOP/s", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="?", default=str(DOCS / "step_time.json"),
                    help="step_time.py's JSON (its last line, or the file --save wrote; default docs/step_time.json)")
    ap.add_argument("--out", default=str(DOCS / "step_time.png"), help="the figure (default docs/step_time.png)")
    ap.add_argument("--paths", nargs="+", default=["numpy", "auto", "fused"],
                    choices=[p for p in STYLE if p not in ("torch", "floor")],
                    metavar="PATH", help="paths of ours to draw (default: numpy auto fused)")
    args = ap.parse_args()
    lines = Path(args.json).read_text().strip().splitlines()
    plot(json.loads(lines[-1]), args.paths, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
