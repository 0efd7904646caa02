"""Per-level statistics of an experiment's summary rows: the numbers that the figures, the
report's tables and the verdicts all read.

Each point is the mean over trials (and control draws) at one level, with the minimum and
maximum beside it — the paper's error bars. Runs that diverged are left out and counted.
This module needs NumPy only, so that judging a claim (``claims``) never loads matplotlib.
"""
from collections import defaultdict

import numpy as np


def level_stats(rows, key):
    """Per kind and level: x (mean percent remaining), mean, min, max and standard deviation of
    ``key``, ignoring diverged runs; plus how many runs diverged."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["kind"], r["level"])].append(r)
    stats = defaultdict(list)
    for (kind, level), rs in sorted(groups.items()):
        vals = np.array([float(r[key]) for r in rs if not r["diverged"]], dtype=float)
        vals = vals[np.isfinite(vals)]
        x = float(np.mean([r["percent_remaining"] for r in rs]))
        if vals.size:
            stats[kind].append(dict(level=level, x=x, mean=vals.mean(), lo=vals.min(), hi=vals.max(),
                                    sd=float(vals.std(ddof=1)) if vals.size >= 2 else np.nan,
                                    n=len(rs), diverged=len(rs) - vals.size))
        else:
            stats[kind].append(dict(level=level, x=x, mean=np.nan, lo=np.nan, hi=np.nan, sd=np.nan, n=len(rs),
                                    diverged=len(rs)))
    return stats


def level_table(rows):
    """A Markdown table: per level, mean convergence iteration and test accuracy
    (min–max in brackets) for tickets and each control present."""
    conv, acc = level_stats(rows, "convergence_iteration"), level_stats(rows, "test_accuracy")
    kinds = [k for k in ("ticket", "reinit", "shuffle") if conv.get(k)]
    names = {"ticket": "ticket", "reinit": "reinit (control 1)", "shuffle": "shuffle (control 2)"}
    head = "| level | % weights left | " + " | ".join(
        f"{names[k]}: conv. iteration | {names[k]}: test acc. %" for k in kinds) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(kinds))]
    levels = sorted({p["level"] for k in kinds for p in conv[k]})
    for level in levels:
        cells = []
        x = None
        for k in kinds:
            c = next((p for p in conv[k] if p["level"] == level), None)
            a = next((p for p in acc[k] if p["level"] == level), None)
            if c is None:
                cells += ["", ""]
                continue
            x = c["x"] if x is None else x
            div = f" ({c['diverged']}/{c['n']} diverged)" if c["diverged"] else ""
            cells.append(f"{c['mean']:.0f} ({c['lo']:.0f}–{c['hi']:.0f}){div}" if np.isfinite(c["mean"]) else "diverged")
            cells.append(f"{100 * a['mean']:.2f} ({100 * a['lo']:.2f}–{100 * a['hi']:.2f})" if np.isfinite(a["mean"]) else "–")
        lines.append(f"| {level} | {x:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
