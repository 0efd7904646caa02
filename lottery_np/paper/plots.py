"""Figures and tables of the MNIST experiments, drawn as the paper draws them.

Each point is the mean over trials (and control draws) with an error bar from
the minimum to the maximum, against the percent of weights remaining; the x
axis runs from the full network down to the sparsest, log-scaled for iterative
pruning. Functions take rows of ``summary.csv`` (see ``folders.read_summary``)
or unit records, return the matplotlib Figure, and save it when given a path.
``write_outputs`` draws a finished experiment folder's figures and table,
``plot_folders`` redraws folders (``lottery-np mnist plot``); ``finish_sweep`` draws a sweep's
figure (``plot_sweep``) and writes its table.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from ..errors import ResultsError
from .folders import open_existing, summary_rows
from .levels import curve_levels, pick_levels
from .stats import level_stats, level_table
from .store import atomic_write
from .sweeps import sweep_table, ticket_size

STYLE = {"ticket": dict(color="tab:blue", marker="o", ls="-", label="winning ticket (reset to θ0)"),
         "reinit": dict(color="tab:orange", marker="s", ls="--", label="control 1: random reinit"),
         "shuffle": dict(color="tab:green", marker="^", ls=":", label="control 2: shuffled structure")}


def _errorbar(ax, pts, scale=1.0, **style):
    x = np.array([p["x"] for p in pts])
    m, lo, hi = (np.array([p[k] for p in pts]) * scale for k in ("mean", "lo", "hi"))
    ax.errorbar(x, m, yerr=[m - lo, hi - m], capsize=3, markersize=4, **style)


def percent_label(v):
    """A percent of weights remaining as a tick label: "100", "51.2", "3.6", "0.36"."""
    return "100" if v >= 99.95 else f"{v:.1f}" if v >= 1 else f"{v:.2g}"


def percent_ticks(percents, most=8):
    """Where a log axis of percent remaining puts its labelled ticks: at the plotted levels, from
    the largest down, leaving out a level closer than 1/``most`` of the axis' span (in log) to the
    last one kept, so that labels never overlap; the smallest level always gets a tick."""
    levels = sorted({float(p) for p in percents if np.isfinite(p) and p > 0}, reverse=True)
    if len(levels) < 2:
        return levels
    gap = np.log(levels[0] / levels[-1]) / most
    kept = [levels[0]]
    for p in levels[1:]:
        if np.log(kept[-1] / p) >= gap:
            kept.append(p)
    if kept[-1] != levels[-1]:  # the sparsest level, in place of the one kept too close to it (never the first)
        kept[-1] = levels[-1]
    return kept


def _percent_axis(ax, log_x):
    """The x axis of percent of weights remaining, the full network on the left. A log axis is
    labelled at the plotted levels (``percent_ticks``): round numbers alone would leave a span such
    as 100–64% with a single tick."""
    if log_x:
        ax.set_xscale("log")
        lo, hi = sorted(ax.get_xlim())
        ticks = percent_ticks([x for line in ax.get_lines() for x in np.asarray(line.get_xdata(), dtype=float)])
        ax.set_xticks(ticks, labels=[percent_label(t) for t in ticks])
        ax.set_xlim(lo, hi)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.invert_xaxis()  # the full network on the left, the sparsest on the right
    ax.set_xlabel("percent of weights remaining")
    ax.grid(alpha=0.3, which="both")


def plot_levels(rows, path=None, title=None, log_x=False, kinds=("ticket", "reinit", "shuffle")):
    """Convergence iteration and test accuracy vs percent remaining, tickets and controls."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    conv, acc = level_stats(rows, "convergence_iteration"), level_stats(rows, "test_accuracy")
    for kind in kinds:
        if conv.get(kind):
            _errorbar(a1, conv[kind], **STYLE[kind])
            _errorbar(a2, acc[kind], scale=100, **STYLE[kind])
    a1.set_ylabel("convergence iteration (min. validation loss)")
    a2.set_ylabel("test accuracy at convergence (%)")
    for a in (a1, a2):
        _percent_axis(a, log_x)
    a1.legend(fontsize=8)
    fig.suptitle(title or "")
    fig.tight_layout()
    return _save(fig, path)


def plot_compare(named_rows, path=None, title="one-shot vs iterative pruning (tickets)", log_x=True):
    """Tickets of several experiments on one plot, e.g. ``[("one-shot", rows1), ("iterative", rows2)]``."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (name, rows), color in zip(named_rows, plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        rows = [r for r in rows if r["kind"] == "ticket"]
        _errorbar(a1, level_stats(rows, "convergence_iteration")["ticket"], color=color, marker="o", label=name)
        _errorbar(a2, level_stats(rows, "test_accuracy")["ticket"], scale=100, color=color, marker="o", label=name)
    a1.set_ylabel("convergence iteration")
    a2.set_ylabel("test accuracy at convergence (%)")
    for a in (a1, a2):
        _percent_axis(a, log_x)
    a1.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def compare_experiments(experiments, folder):
    """The tickets of several finished experiments on one figure in ``folder``; returns its path.

    experiments : ``[(path, experiment, rows)]`` — each folder's path, its experiment ("oneshot" or
        "iterative") and its summary rows. One one-shot and one iterative experiment give the
        paper's comparison, ``oneshot_vs_iterative.png``; any other set (two iterative runs, say)
        gives ``tickets_compared.png``, each experiment labelled by its folder."""
    kinds = [kind for _, kind, _ in experiments]
    if sorted(kinds) == ["iterative", "oneshot"]:
        by_kind = {kind: rows for _, kind, rows in experiments}
        path = Path(folder) / "oneshot_vs_iterative.png"
        plot_compare([("one-shot", by_kind["oneshot"]), ("iterative", by_kind["iterative"])], path)
        return path
    names = folder_labels([p for p, _, _ in experiments])
    word = {"oneshot": "one-shot", "iterative": "iterative"}
    if len(set(kinds)) > 1:
        names = [f"{n} ({word[k]})" for n, k in zip(names, kinds)]
    title = (f"{word[kinds[0]]} pruning: " if len(set(kinds)) == 1 else "") + f"tickets of {len(kinds)} experiments"
    path = Path(folder) / "tickets_compared.png"
    plot_compare([(n, rows) for n, (_, _, rows) in zip(names, experiments)], path, title=title,
                 log_x=kinds != ["oneshot"] * len(kinds))
    return path


def folder_labels(paths):
    """Short distinct labels for folders: their names, with as many parent folders as it takes to
    tell them apart (``quick/mnist-iterative`` and ``paper-scale/mnist-iterative``)."""
    parts = [Path(p).resolve().parts for p in paths]
    for n in range(1, max(len(p) for p in parts) + 1):
        labels = ["/".join(p[-n:]) for p in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]


def curve_limits(curves, pad=0.03):
    """y limits (in %) that show every point of every curve: from the lowest to the highest value,
    widened by ``pad`` of the range, within 0–100."""
    values = np.concatenate([np.asarray(c, dtype=float).ravel() for c in curves] or [np.array([])])
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 100.0
    margin = pad * max(values.max() - values.min(), 1.0)
    return max(values.min() - margin, 0.0), min(values.max() + margin, 100.0)


def plot_curves(records, levels=None, path=None, title="test accuracy during training"):
    """Test accuracy vs training iteration at a few levels: tickets solid, controls dashed/dotted
    (mean over trials and draws; runs that diverged are left out)."""
    records = [r for r in records if "history" in r]  # a compact folder keeps only the curves it draws
    levels = levels if levels is not None else pick_levels([r["level"] for r in records]) or [0]
    fig, axes = plt.subplots(1, len(levels), figsize=(3.6 * len(levels), 3.4), sharey=True, squeeze=False)
    for ax, level in zip(axes[0], levels):
        rs = [r for r in records if r["level"] == level and not r["diverged"]]
        for kind in ("ticket", "reinit", "shuffle"):
            curves = [r["history"] for r in rs if r["kind"] == kind]
            if not curves:
                continue
            n = min(len(h["iterations"]) for h in curves)
            its = np.array(curves[0]["iterations"][:n])
            acc = np.array([[np.nan if v is None else v for v in h["test_acc"][:n]] for h in curves], dtype=float)
            keep = ~np.all(np.isnan(acc), axis=0)
            if keep.any():
                ax.plot(its[keep], 100 * np.nanmean(acc[:, keep], axis=0), color=STYLE[kind]["color"],
                        ls=STYLE[kind]["ls"], label=STYLE[kind]["label"])
        pct = np.mean([r["percent_remaining"] for r in rs]) if rs else float("nan")
        ax.set_title(f"{pct:.1f}% remaining", fontsize=10)
        ax.set_xlabel("training iteration")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="lower right")  # the sparsest level has every kind
    axes[0][0].set_ylim(*curve_limits([line.get_ydata() for ax in axes[0] for line in ax.get_lines()]))  # shared
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_sweep(name, variants, path=None, log_x=None):
    """Tickets of every experiment of a sweep (``sweeps.Variant``) on one figure (mean, min–max bars), the
    one-shot ones dashed in a sweep of both experiments; for the size sweep, the winning-ticket sizes are
    marked (▼ fastest, ★ most accurate)."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    log_x = (name != "init-std") if log_x is None else log_x
    both = len({v.config.experiment for v in variants}) > 1
    for (label, cfg, rows), color in zip(variants, colors * 3):
        tickets = [r for r in rows if r["kind"] == "ticket"]
        if not tickets:
            continue
        style = dict(color=color, marker="o", label=label, ls="--" if both and cfg.experiment == "oneshot" else "-")
        _errorbar(a1, level_stats(tickets, "convergence_iteration")["ticket"], **style)
        _errorbar(a2, level_stats(tickets, "test_accuracy")["ticket"], scale=100, **style)
        if name == "size":
            conv = {p["x"]: p["mean"] for p in level_stats(tickets, "convergence_iteration")["ticket"]}
            acc = {p["x"]: p["mean"] for p in level_stats(tickets, "test_accuracy")["ticket"]}
            x_conv, x_acc = ticket_size(rows)
            a1.plot([x_conv], [conv[x_conv]], "v", color=color, markersize=11)
            a2.plot([x_acc], [100 * acc[x_acc]], "*", color=color, markersize=13)
    a1.set_ylabel("convergence iteration (tickets)")
    a2.set_ylabel("test accuracy at convergence (%)")
    for a in (a1, a2):
        _percent_axis(a, log_x)
    a1.legend(fontsize=7)
    fig.suptitle(f"section 6 sweep: {name}")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


# ----------------------------------------------------------------------------
# A results folder's figures
# ----------------------------------------------------------------------------


def write_outputs(folder):
    """Once an experiment is complete: ``summary.md`` and its figures (the training curves only if the
    experiment records test curves and the folder holds them: a compact folder without curves keeps
    the figure it has)."""
    cfg, records = folder.config, folder.records()
    rows = summary_rows(records)
    name = {"oneshot": "one-shot pruning (section 3)", "iterative": "iterative pruning (section 4)"}[cfg.experiment]
    title = f"LeNet {'-'.join(map(str, cfg.sizes))}, {name}, {cfg.trials} trial(s), {cfg.iterations} iterations"
    plot_levels(rows, folder.path / "convergence_accuracy.png", title=title,
                      log_x=cfg.experiment == "iterative")
    drawn = ["summary.md", "convergence_accuracy.png"]
    levels = curve_levels(records)
    if cfg.record_test_curve and (levels is not None or any("history" in r for r in records)):
        plot_curves([r for r in records if "history" in r], levels=levels, path=folder.path / "training_curves.png")
        drawn.append("training_curves.png")
    text = (f"# {title}\n\nMean over trials (and control draws), min–max in brackets. "
            f"Convergence iteration = iteration of minimum validation loss; test accuracy at that iteration.\n\n"
            f"{level_table(rows)}\n\n![convergence and accuracy](convergence_accuracy.png)\n"
            + ("\n![training curves](training_curves.png)\n" if cfg.record_test_curve else ""))
    atomic_write(folder.path / "summary.md", text.encode())
    return drawn


def plot_folders(paths, out=None):
    """Redraw each folder's figures and table; given two or more folders, draw their tickets on one figure."""
    folders = [open_existing(p) for p in paths]
    for f in folders:  # every folder checked before any is written to
        if not f.records():
            raise ResultsError(f"{f.path} has no finished trainings yet")
    lines = []
    for f in folders:
        drawn = write_outputs(f)
        kept = "" if "training_curves.png" in drawn else " (it keeps no training curves: training_curves.png left as it was)"
        lines.append(f"{f.path}: {', '.join(drawn)}{kept}")
    if len(folders) >= 2:  # their tickets on one figure (compare_experiments names it)
        target = Path(out) if out else folders[0].path
        target.mkdir(parents=True, exist_ok=True)
        lines.append(str(compare_experiments(
            [(f.path, f.config.experiment, summary_rows(f.records())) for f in folders], target)))
    return lines


def finish_sweep(name, out, variants):
    """The sweep's figure and table, from its ``sweeps.Variant``s."""
    plot_sweep(name, variants, out / "sweep.png")
    atomic_write(out / "sweep.md", sweep_table(name, variants).encode())
