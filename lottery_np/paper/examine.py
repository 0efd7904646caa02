"""Section 5: what winning tickets look like inside.

Everything here reads a ticket as the paper describes it — its initial weights
θ0 and its masks, one per level of iterative pruning — and answers two questions:

* **Initializations.** Which initial values survive? Pruning looks at the
  *trained* weights, but we plot the survivors' values *before* training. The
  paper sees the distribution turn bimodal: weights that started far from 0
  tend to survive. ``survivor_initial_values`` and ``plot_initial_values``.
* **Architecture.** How many incoming connections does each unit keep?
  ``incoming_connections`` (sorted descending per layer, as the paper plots
  them) and ``units_removed`` (units left with no incoming connection).
* **What the first layer keeps.** Each input pixel's surviving connections
  into the first hidden layer, drawn as a 28×28 image round by round
  (``pixel_connections``, ``plot_first_layer``). A pixel that is 0 in every
  training image (MNIST's border) gets no gradient, so its weights keep their
  initial values while the others train: which of the two pruning removes
  first is something to look at, not assume.

All functions are pure: arrays in, arrays out. ``load_iterative_tickets``
reads them from an iterative experiment's results folder.
"""
from pathlib import Path

import numpy as np

from ..errors import ResultsError
from .experiments import Unit, theta0
from .folders import open_existing
from .store import atomic_write

LAYER_NAMES = ("first hidden", "second hidden", "output")
HISTOGRAM_LEVELS = (100, 51.2, 16.8, 5.5)  # percent remaining, as in the paper's figure
CONNECTION_LEVELS = (80, 16.8, 5.5)
FIRST_LAYER_LEVELS = (100, 51.2, 21.0, 8.6, 3.6, 1.8)  # every fourth round of iterative pruning
FIGURES = ("initial_values.png", "connections.png", "first_layer.png")  # what examine_folder draws


def load_iterative_tickets(results_dir, trial=0):
    """``(weights0, masks_by_level, percents, std)`` of one ticket of an iterative experiment.

    weights0 : list of (fan_in, fan_out) initial weights θ0 (regenerated from the seed).
    masks_by_level : one list of 0/1 masks per finished pruning level, level 0 first.
    percents : percent of all weights remaining at each of those levels.
    """
    folder = open_existing(results_dir)
    cfg = folder.config
    if cfg.experiment != "iterative":
        raise ResultsError(f"{results_dir} holds a {cfg.experiment} experiment; section 5 needs an iterative one")
    if not 0 <= trial < cfg.trials:
        raise ResultsError(f"trial {trial} is not in {results_dir} (it has trials 0..{cfg.trials - 1})")
    masks_by_level, percents = [], []
    for level in range(cfg.n_levels):
        unit = Unit(level, "ticket", trial)
        if not folder.done(unit):
            break
        record, arrays = folder.load(unit, arrays=True)
        if "mask_0" not in arrays:
            if level == 0:
                raise NoMasks(f"{results_dir} is a compact folder without its tickets' masks (its trainings were "
                              f"not kept with it)" if folder.compact else f"{results_dir} keeps no masks of its "
                              f"tickets: its trainings store {folder.store.path if folder.store else ''} is not here")
            break
        masks_by_level.append([arrays[f"mask_{i}"].astype(np.float32) for i in range(len(cfg.sizes) - 1)])
        percents.append(record["percent_remaining"])
    if not masks_by_level:
        raise ResultsError(f"{results_dir} has no finished ticket of trial {trial} yet; run the experiment first")
    return theta0(cfg, trial).weights, masks_by_level, percents, cfg.init_std


class NoMasks(ResultsError):
    """A results folder whose tickets' masks are not at hand (a compact folder without them)."""


def drawn_before(results_dir):
    """Where section 5's figures and table of a folder were drawn when it was run (its ``examine/``,
    or the plan's beside it), or None."""
    for out in (Path(results_dir) / "examine", Path(results_dir).parent / "examine"):
        if (out / "summary.md").is_file():
            return out
    return None


def nearest_levels(percents, targets):
    """For each target percent, the index of the level whose percent remaining is closest."""
    p = np.asarray(percents, dtype=float)
    return [int(np.argmin(np.abs(p - t))) for t in targets]


def levels_to_draw(percents, targets):
    """The distinct levels nearest ``targets``, in the targets' order: a run that stops at 16.9% has one
    level near both 16.8% and 5.5%, and a figure draws it once."""
    return list(dict.fromkeys(nearest_levels(percents, targets)))


def survivor_initial_values(weights0, masks):
    """Per layer, the initial values θ0 of the weights that survive in ``masks``."""
    return [w[m.astype(bool)] for w, m in zip(weights0, masks)]


def incoming_connections(masks):
    """Per layer, the surviving incoming connections of each unit (column sums of the
    (fan_in, fan_out) mask), sorted from most to fewest."""
    return [np.sort(m.sum(axis=0).astype(int))[::-1] for m in masks]


def units_removed(masks):
    """Per layer, how many units have lost every incoming connection."""
    return [int(np.sum(m.sum(axis=0) == 0)) for m in masks]


def pixel_connections(first_mask, side=None):
    """How many connections each input keeps into the first hidden layer: the row sums of the
    (fan_in, fan_out) mask, as a (side, side) image when the inputs are a square picture (28×28 for
    MNIST), else as a vector."""
    kept = first_mask.sum(axis=1).astype(int)  # (D,) one count per input pixel, 0..fan_out
    side = side or int(round(np.sqrt(kept.size)))
    return kept.reshape(side, side) if side * side == kept.size else kept


def beyond_two_sigma(values, std):
    """Fraction of values with |w| > 2σ (4.55% for a Gaussian of std σ)."""
    values = np.asarray(values)
    return float(np.mean(np.abs(values) > 2 * std)) if values.size else float("nan")


def ticket_summary(weights0, masks_by_level, percents, std):
    """One row per level and layer: survivors, the fraction of their initial values beyond
    2σ (a Gaussian has 4.55%), and units with no incoming connection left."""
    rows = []
    for level, (masks, pct) in enumerate(zip(masks_by_level, percents)):
        values = survivor_initial_values(weights0, masks)
        removed = units_removed(masks)
        for i, (v, m) in enumerate(zip(values, masks)):
            rows.append(dict(level=level, percent_remaining=pct, layer=LAYER_NAMES[i] if i < 3 else f"layer {i}",
                             survivors=int(v.size), layer_percent=100 * v.size / m.size,
                             beyond_2_sigma=beyond_two_sigma(v, std), units=m.shape[1], units_removed=removed[i]))
    return rows


def summary_markdown(rows):
    lines = ["| level | % of all weights | layer | survivors | % of layer | share of survivors with \\|w0\\| > 2σ | "
             "units with no input left |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['level']} | {r['percent_remaining']:.1f} | {r['layer']} | {r['survivors']:,} | "
                     f"{r['layer_percent']:.1f} | {100 * r['beyond_2_sigma']:.1f}% | "
                     f"{r['units_removed']} of {r['units']} |")
    return "\n".join(lines)


def plot_initial_values(weights0, masks_by_level, percents, std, targets=HISTOGRAM_LEVELS, path=None):
    """Density of the survivors' initial values, one panel per level (nearest to ``targets``),
    one line per layer, with the N(0, σ²) they were drawn from for reference."""
    import matplotlib.pyplot as plt  # here: the report's text and verdicts need NumPy only
    idx = levels_to_draw(percents, targets)
    fig, axes = plt.subplots(1, len(idx), figsize=(3.4 * len(idx), 3), sharex=True)
    axes = np.atleast_1d(axes)
    bins = np.linspace(-4 * std, 4 * std, 41)
    grid = np.linspace(-4 * std, 4 * std, 200)
    for ax, i in zip(axes, idx):
        for name, v in zip(LAYER_NAMES, survivor_initial_values(weights0, masks_by_level[i])):
            if v.size == 0:
                continue
            hist, edges = np.histogram(v, bins=bins, density=True)
            ax.plot((edges[1:] + edges[:-1]) / 2, hist, label=name)
        ax.plot(grid, np.exp(-grid ** 2 / (2 * std ** 2)) / (std * np.sqrt(2 * np.pi)), "k:", lw=1, label="N(0, σ²)")
        ax.set_title(f"{percents[i]:.1f}% remaining", fontsize=10)
        ax.set_xlabel("initial value of surviving weight")
    axes[0].set_ylabel("density")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def plot_connections(masks_by_level, percents, targets=CONNECTION_LEVELS, path=None):
    """Incoming connections per unit, sorted descending, per layer, at the levels nearest ``targets``."""
    import matplotlib.pyplot as plt  # here: the report's text and verdicts need NumPy only
    idx = levels_to_draw(percents, targets)
    n_layers = len(masks_by_level[0])
    fig, axes = plt.subplots(1, n_layers, figsize=(3.8 * n_layers, 3))
    for layer, ax in enumerate(np.atleast_1d(axes)):
        for i in idx:
            counts = incoming_connections(masks_by_level[i])[layer]
            ax.plot(np.arange(len(counts)), counts, label=f"{percents[i]:.1f}% remaining")
        ax.set_title(LAYER_NAMES[layer] if layer < 3 else f"layer {layer}", fontsize=10)
        ax.set_xlabel("unit (sorted)")
        ax.set_ylabel("incoming connections")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def plot_first_layer(masks_by_level, percents, targets=FIRST_LAYER_LEVELS, path=None):
    """Each input pixel's surviving connections into the first hidden layer, one 28×28 image per level
    (nearest ``targets``), each with its own colour scale: 0 (black) to the most any pixel keeps there."""
    import matplotlib.pyplot as plt  # here: the report's text and verdicts need NumPy only
    idx = levels_to_draw(percents, targets)
    fig, axes = plt.subplots(1, len(idx), figsize=(2.3 * len(idx), 2.6))
    for ax, i in zip(np.atleast_1d(axes), idx):
        kept = pixel_connections(masks_by_level[i][0])
        if kept.ndim == 1:  # inputs that are not a square picture: one strip, one cell per input
            kept = kept[None, :]
        image = ax.imshow(kept, cmap="magma", vmin=0, vmax=max(int(kept.max()), 1))
        ax.set_title(f"{percents[i]:.1f}% remaining", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=7)
    fig.suptitle(f"connections each input pixel keeps into the first hidden layer (of {masks_by_level[0][0].shape[1]})",
                 fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def examine_folder(results_dir, out, trial=0):
    """Figures and the summary table of one ticket of an iterative results folder, written to ``out``.
    Returns ``(rows, percents)``."""
    out = Path(out)
    weights0, masks, percents, std = load_iterative_tickets(results_dir, trial)  # raises before anything is written
    out.mkdir(parents=True, exist_ok=True)
    plot_initial_values(weights0, masks, percents, std, path=out / "initial_values.png")
    plot_connections(masks, percents, path=out / "connections.png")
    plot_first_layer(masks, percents, path=out / "first_layer.png")
    idx = sorted(set(nearest_levels(percents, HISTOGRAM_LEVELS + CONNECTION_LEVELS)))
    rows = [r for r in ticket_summary(weights0, masks, percents, std) if r["level"] in idx]
    atomic_write(out / "summary.md", (summary_markdown(rows) + "\n").encode())
    return rows, percents


def _save(fig, path):
    import matplotlib.pyplot as plt  # here: the report's text and verdicts need NumPy only
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
