"""Section 6: exploring MNIST parameters — and late resetting, from the later literature.

A sweep is a list of named experiments that differ in one setting (``sweep_configs``);
``runner.run_sweep`` runs each into its own subfolder (``OUT/<name>``), so a sweep is
resumable and parallel like any experiment, and one progress bar covers it; its figure
is ``plots.plot_sweep``, its table ``sweep_table``. Sweeps train tickets only by default
(``controls=0``), as the paper's section 6 figures show tickets only. Its table, figure and
verdicts take each experiment as a ``Variant`` and read the swept value from its config, never
from its folder's name. This module needs NumPy only: plans and verdicts read it.

* ``init-std``  — initialization std above and below 0.1
* ``size``      — hidden sizes from about a third to about twice 300-100, one-shot and iterative
* ``rate``      — iterative pruning rate per round (rounds chosen to reach about the same size)
* ``reset``     — reset to θ0 (the lottery ticket) versus keep training without reset (Han et al.)
* ``late-reset``— reset to the weights at iteration k instead of θ0 (k = 0 is the paper)
"""
import math
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .stats import level_stats

INIT_STDS = (0.025, 0.05, 0.1, 0.2, 0.4)
HIDDEN_SIZES = ((100, 33), (200, 66), (300, 100), (500, 166), (700, 233))
RATES = (0.1, 0.2, 0.35, 0.5, 0.7)
LATE_RESETS = (0, 100, 500, 2000)


class Variant(NamedTuple):
    """One experiment of a sweep, as its table, figure and verdicts read it. ``name``: its folder's name, a
    label only; ``config``: its ExperimentConfig, where the swept value is read (``config.rate``, ...);
    ``rows``: its summary rows (``folders.summary_rows``)."""

    name: str
    config: object
    rows: list


def variant_order(config):
    """Sort key of a sweep's variant by its config, as its table and figure list them: iterative before
    one-shot, then the swept setting from the smallest value (``k`` = 500 before 2000, 200-66 before 500-166)."""
    return (config.experiment, config.sizes, config.init_std, config.rate, config.reset, config.reset_iteration)


def rounds_for(rate, base_rate=0.2, base_rounds=18):
    """Rounds at ``rate`` that reach about the hidden-layer size that ``base_rounds`` rounds at ``base_rate`` reach."""
    return max(1, round(base_rounds * math.log(1 - base_rate) / math.log(1 - rate)))


def sweep_configs(name, base, values=None):
    """The experiments of sweep ``name`` as ``[(subfolder name, ExperimentConfig), ...]``."""
    if name == "init-std":
        return [(f"std-{v:g}", base.replace(init_std=v)) for v in (values or INIT_STDS)]
    if name == "size":
        out = []
        for h in (values or HIDDEN_SIZES):
            sizes = (base.sizes[0], *h, base.sizes[-1])
            for exp in ("oneshot", "iterative"):
                out.append((f"{exp}-{'-'.join(map(str, h))}", base.replace(experiment=exp, sizes=sizes)))
        return out
    if name == "rate":
        return [(f"rate-{v:g}", base.replace(experiment="iterative", rate=v, output_rate=None,
                                             rounds=rounds_for(v, base.rate, base.rounds)))
                for v in (values or RATES)]
    if name == "reset":
        return [(f"{exp}-{r}", base.replace(experiment=exp, reset=r))
                for exp in ("oneshot", "iterative") for r in ("init", "none")]
    if name == "late-reset":
        ks = [k for k in (values or LATE_RESETS) if k < base.iterations and k % base.eval_every == 0]
        return [(f"k-{k}", base.replace(reset_iteration=k)) for k in ks]
    raise ConfigError(f"unknown sweep {name!r}; choose one of {', '.join(SWEEPS)}")


SWEEPS = ("init-std", "size", "rate", "reset", "late-reset")
LABELS = {"init-std": "init std {}", "size": "{}", "rate": "pruning rate {}", "reset": "{}",
          "late-reset": "reset to iteration {}"}


def ticket_size(rows):
    """The paper's "winning ticket size" for one experiment's tickets: the percent remaining
    at which mean convergence iteration is lowest, and the smallest at which mean test
    accuracy is highest. Returns ``(percent_min_convergence, percent_max_accuracy)``."""
    tickets = [r for r in rows if r["kind"] == "ticket"]
    conv = level_stats(tickets, "convergence_iteration")["ticket"]
    acc = level_stats(tickets, "test_accuracy")["ticket"]
    by_conv = min(conv, key=lambda p: (p["mean"] if np.isfinite(p["mean"]) else np.inf, p["x"]))
    best = max(p["mean"] for p in acc if np.isfinite(p["mean"]))
    by_acc = min((p for p in acc if p["mean"] == best), key=lambda p: p["x"])
    return by_conv["x"], by_acc["x"]


def sweep_table(name, variants):
    """Markdown: for every ``Variant``, tickets' mean convergence iteration and test accuracy per level."""
    lines = [f"# Sweep: {name}", "", "Tickets, mean over trials (min–max in the figure).", ""]
    if name == "size":
        lines += ["| network | % remaining at fastest convergence | % remaining at best accuracy |", "|---|---|---|"]
        lines += [f"| {v.name} | {a:.2f} | {b:.2f} |" for v in variants for a, b in [ticket_size(v.rows)]]
        lines.append("")
    lines += ["| variant | level | % weights left | conv. iteration | test acc. % |", "|---|---|---|---|---|"]
    for sub, _, rows in variants:
        t = [r for r in rows if r["kind"] == "ticket"]
        conv, acc = level_stats(t, "convergence_iteration")["ticket"], level_stats(t, "test_accuracy")["ticket"]
        for c, a in zip(conv, acc):
            lines.append(f"| {sub} | {c['level']} | {c['x']:.2f} | {c['mean']:.0f} | {100 * a['mean']:.2f} |")
    return "\n".join(lines) + "\n\n![sweep](sweep.png)\n"
