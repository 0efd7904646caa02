"""Statistics of an experiment's summary rows: the per-level numbers that the figures and the report's
tables read, and the one procedure that decides every MNIST claim.

Each point is the mean over trials (and control draws) at one level, with the minimum and
maximum beside it — the paper's error bars, description only. Runs that diverged are left out
and counted. The decision procedure (second half) is a 95% paired t interval per claim, with the
ticket as the unit. This module needs NumPy only, so that judging a claim (``claims``) never loads
matplotlib.
"""
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

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


# ----------------------------------------------------------------------------
# The decision procedure of every MNIST claim (declared 2026-12-05, before the committed runs were re-judged)
# ----------------------------------------------------------------------------
#
# 1. The unit is the ticket (trial). Control draws share their ticket's minibatch order and its mask (control 1)
#    or its initial values (control 2), so they are averaged within their ticket first: 5 tickets with 3 draws of
#    each control are 5 paired observations, not 15.
# 2. Per ticket, one number: the claim's contrast — the log of a convergence ratio, or an accuracy difference in
#    points — averaged over the claim's levels. One number per ticket means no multiplicity across levels. A level
#    enters only if both groups it compares converged (``claims.py``, rule 1).
# 3. A 95% paired t interval of the mean contrast, df = n − 1 (t quantiles below, from the density), set against
#    the paper's own threshold (``judge``):
#      yes       — the interval lies wholly on the paper's side of the threshold;
#      partly    — it lies wholly on the other side of the threshold, but on the paper's side of no effect
#                  (faster, but not by the paper's 25%);
#      no        — it lies wholly on the other side of the threshold, and not on the paper's side of no effect;
#      undecided — it contains the threshold; ``tickets_to_decide`` then says about how many tickets would.
# The interval narrows as 1/√n, so more tickets decide more; the min–max range it replaced widened with n.
# The range stays in the tables, as description only.

LEVEL = 0.95  # two-sided coverage of every interval


def t_cdf(x, df, steps=4000):
    """P(T ≤ x) for Student's t with ``df`` degrees of freedom: ½ + the density integrated from 0 to x (Simpson)."""
    if x < 0:
        return 1.0 - t_cdf(-x, df, steps)
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    u = np.linspace(0.0, x, steps + 1)
    f = c * (1 + u * u / df) ** (-(df + 1) / 2)
    return 0.5 + float(x / steps / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))


@lru_cache(maxsize=None)
def t_quantile(p, df):
    """The x with P(T ≤ x) = p (p ≥ ½), by bisection on ``t_cdf``: t_quantile(0.975, 4) = 2.776."""
    lo, hi = 0.0, 1e4
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class Interval:
    """The mean of ``n`` per-ticket contrasts, their standard deviation and its 95% t interval [lo, hi]."""
    n: int
    mean: float
    sd: float
    lo: float
    hi: float


def paired_interval(values):
    """The 95% t interval of the mean of per-ticket contrasts (NaNs left out); with fewer than two, no interval."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if v.size < 2:
        mean = float(v.mean()) if v.size else np.nan
        return Interval(int(v.size), mean, np.nan, -np.inf, np.inf)
    sd = float(v.std(ddof=1))
    half = t_quantile(1 - (1 - LEVEL) / 2, v.size - 1) * sd / math.sqrt(v.size)
    return Interval(int(v.size), float(v.mean()), sd, float(v.mean()) - half, float(v.mean()) + half)


def judge(iv, threshold, side=+1, null=0.0):
    """yes / partly / no / undecided for an interval against the paper's ``threshold`` (see the procedure above).
    side : +1 if the paper's side is above the threshold, −1 if below; null : the value of no effect (None for a
    non-inferiority margin, where no 'partly' exists)."""
    lo, hi = (iv.lo, iv.hi) if side > 0 else (-iv.hi, -iv.lo)
    threshold = side * threshold
    if lo > threshold:
        return "yes"
    if hi >= threshold:
        return "undecided"
    return "partly" if null is not None and side * null < threshold and lo > side * null else "no"


def tickets_to_decide(iv, threshold, power=0.8, most=1000):
    """About how many tickets would decide a claim with this effect and spread: the smallest n at which a one-
    sided t test at 2.5% against ``threshold`` has ``power`` (t(0.975, n−1) + t(power, n−1) ≤ |mean − threshold|
    √n / sd). None if the spread is unknown, or more than ``most`` would be needed."""
    gap = abs(iv.mean - threshold)
    if not (np.isfinite(iv.sd) and np.isfinite(gap)) or gap == 0:
        return None
    enough = lambda n: t_quantile(0.975, n - 1) + t_quantile(power, n - 1) <= gap * math.sqrt(n) / iv.sd  # noqa: E731
    if iv.sd > 0 and not enough(most):
        return None
    lo, hi = 1, most  # enough(hi) holds, and grows no less true with n: bisect for the smallest n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi


def one_sided_p(iv, threshold, side=+1):
    """The p-value of 'the mean lies on the paper's side of ``threshold``' (a one-sided t test; NaN with one ticket)."""
    if not (iv.n >= 2 and np.isfinite(iv.sd)):
        return np.nan
    if iv.sd == 0:
        return 0.0 if side * (iv.mean - threshold) > 0 else 1.0
    return 1.0 - t_cdf(side * (iv.mean - threshold) / (iv.sd / math.sqrt(iv.n)), iv.n - 1)


def holm(pvalues):
    """Holm's step-down adjustment of p-values for the levels of a claim, shown beside a verdict as description."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adjusted, running = np.empty_like(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted
