"""A small, real lottery-ticket experiment on MNIST that runs in about a minute.

Train LeNet-300-100 briefly, prune it one-shot to a few sizes, reset each
ticket to θ0 and retrain it, and train control 1 (same mask, fresh weights)
beside each ticket. Writes ``demo.json``, ``demo.png`` and ``REPORT.md``.
It is a taste of sections 3's experiment, not the full reproduction.
"""
import json
import platform
import time
from pathlib import Path

import numpy as np

from ..data import load_mnist
from ..lottery import oneshot_pruning, reinit_control
from ..network import MLP
from ..train import TrainConfig, train

FRACTIONS = (0.55, 0.25, 0.10, 0.025)  # hidden-layer weights kept: four of the paper's one-shot levels (README, "Settings")


def run_demo(out, iterations=2000, seed=0, backend="numpy", fractions=FRACTIONS, log=print):
    out = Path(out)
    t0 = time.time()
    data = load_mnist()
    config = TrainConfig(iterations=iterations, eval_every=max(10, iterations // 40), record_test_curve=True)
    theta0 = MLP.initialize((784, 300, 100, 10), seed=seed, std=0.1, backend=backend)
    out.mkdir(parents=True, exist_ok=True)  # once the data and the settings are known to be good
    log(f"training LeNet-300-100 for {iterations} iterations, then {len(fractions)} one-shot tickets + controls")
    levels = oneshot_pruning(theta0, data, config, fractions, seed=seed)
    rows = []
    for lvl in levels:
        control = reinit_control(theta0, lvl.masks, seed=seed + 1000)
        ch = train(control, data, config, seed=seed) if lvl.percent_remaining < 100 else None
        rows.append({
            "percent_remaining": lvl.percent_remaining,
            "ticket": {"convergence_iteration": lvl.history.convergence_iteration,
                       "test_accuracy": lvl.history.test_accuracy,
                       "iterations": lvl.history.iterations, "test_acc": lvl.history.test_acc},
            "reinit": None if ch is None else {"convergence_iteration": ch.convergence_iteration,
                                               "test_accuracy": ch.test_accuracy,
                                               "iterations": ch.iterations, "test_acc": ch.test_acc},
        })
        r = rows[-1]
        log(f"  {lvl.percent_remaining:6.2f}% remaining: ticket {100 * r['ticket']['test_accuracy']:.2f}% "
            f"at iteration {r['ticket']['convergence_iteration']}"
            + ("" if ch is None else f"; random reinit {100 * ch.test_accuracy:.2f}% at {ch.convergence_iteration}"))
    elapsed = time.time() - t0
    result = {"settings": {"iterations": iterations, "seed": seed, "backend": backend,
                           "fractions": list(fractions), "lr": config.lr, "batch_size": config.batch_size},
              "levels": rows, "wall_time_s": elapsed}
    (out / "demo.json").write_text(json.dumps(result, indent=1))
    plot_demo(rows, out / "demo.png")
    write_report(result, out / "REPORT.md")
    log(f"wrote {out / 'REPORT.md'}, {out / 'demo.png'}, {out / 'demo.json'} in {elapsed:.0f} s")
    return result


def plot_demo(rows, path):
    import matplotlib  # here, not at the top: the demo draws off-screen (Agg) without changing the backend
    matplotlib.use("Agg")  # of a program that only imports this module
    import matplotlib.pyplot as plt  # after the backend is chosen

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for i, r in enumerate(rows):
        c = f"C{i}"
        a.plot(r["ticket"]["iterations"], 100 * np.array(r["ticket"]["test_acc"]), c,
               label=f"ticket {r['percent_remaining']:.1f}%")
        if r["reinit"]:
            a.plot(r["reinit"]["iterations"], 100 * np.array(r["reinit"]["test_acc"]), c + "--")
    lowest = min(100 * r["ticket"]["test_accuracy"] for r in rows)
    a.set(xlabel="training iteration", ylabel="test accuracy (%)", ylim=(min(90, lowest - 3), 100),
          title="tickets (solid) vs random reinit (dashed)")
    a.legend(fontsize=8)
    pct = [r["percent_remaining"] for r in rows]
    b.plot(pct, [100 * r["ticket"]["test_accuracy"] for r in rows], "o-", label="winning ticket (reset to θ0)")
    rr = [r for r in rows if r["reinit"]]
    b.plot([r["percent_remaining"] for r in rr], [100 * r["reinit"]["test_accuracy"] for r in rr], "s--",
           label="control 1: random reinit")
    b.set(xscale="log", xlabel="percent of weights remaining", ylabel="test accuracy at min val loss (%)",
          title="accuracy vs size")
    b.set_xticks([100, 50, 20, 10, 5, 2], labels=["100", "50", "20", "10", "5", "2"])
    b.invert_xaxis()
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(result, path):
    s = result["settings"]
    lines = [
        "# lottery_np demo: one-shot pruning of LeNet-300-100 on MNIST",
        "",
        f"A quick run ({s['iterations']} iterations per training, one seed) — the paper trains for 50,000",
        "iterations with 5 seeds. Tickets are pruned one-shot from the trained network, reset to their",
        "initial weights θ0 and retrained; control 1 keeps each ticket's mask but draws fresh weights.",
        "",
        "| % weights remaining | ticket test acc | ticket conv. iter | reinit test acc | reinit conv. iter |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in result["levels"]:
        t, c = r["ticket"], r["reinit"]
        lines.append(f"| {r['percent_remaining']:.2f} | {100 * t['test_accuracy']:.2f} | {t['convergence_iteration']} | "
                     + (f"{100 * c['test_accuracy']:.2f} | {c['convergence_iteration']} |" if c else "– | – |"))
    lines += ["", "![curves and accuracy](demo.png)", "",
              f"Wall time {result['wall_time_s']:.0f} s on {platform.machine()} ({platform.python_version()}, "
              f"NumPy {np.__version__}), backend `{s['backend']}`, seed {s['seed']}."]
    path.write_text("\n".join(lines) + "\n")
