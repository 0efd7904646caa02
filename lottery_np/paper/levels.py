"""The levels of an experiment: how much of each layer a level keeps, and which levels a figure draws.

Level 0 is the unpruned network; level ``k`` is the ``k``-th round of iterative pruning or the
``k``-th of one-shot pruning's fractions. Time estimates read ``level_fractions``; the curve
figures draw about four levels (``pick_levels``), and only those record their whole test curve.
"""
import numpy as np

from ..pruning import layer_rates, oneshot_rates


def level_fractions(cfg, level):
    """Fraction of each layer's weights that a unit at ``level`` of ``cfg`` keeps. With global pruning
    the hidden layers keep this fraction together, not each (how it splits between them depends on the
    trained weights), so per layer it is an approximation; the total, and the output layer's, are exact."""
    n = len(cfg.sizes) - 1
    if level == 0:
        return [1.0] * n
    if cfg.experiment == "iterative":
        return [(1 - r) ** level for r in layer_rates(cfg.rate, n, cfg.output_rate)]
    return [1 - r for r in oneshot_rates(cfg.fractions[level - 1], n)]


def pick_levels(levels, n=4):
    """About ``n`` levels spread from the first to the last."""
    levels = sorted(set(levels))
    idx = np.unique(np.round(np.linspace(0, len(levels) - 1, min(n, len(levels)))).astype(int))
    return [levels[i] for i in idx]


def curve_levels(records):
    """The levels the training-curve figure draws: about four, among those whose first ticket
    recorded its whole test curve (the figure reads nothing else); None if none did."""
    full = {r["level"] for r in records if r["kind"] == "ticket" and r["trial"] == 0 and "history" in r
            and r["history"]["test_acc"] and all(v is not None for v in r["history"]["test_acc"])}
    return pick_levels(full) if full else None
