"""Pruning: trained weights and current masks in, new masks out.

Every function here is pure: it never changes its inputs, and the same inputs
always give the same masks. Two kinds of pruning appear in the paper:

* **Weights** (MNIST, sections 3–6): within each layer, remove the surviving
  weights of smallest magnitude |w|. Hidden layers are pruned at rate p, the
  output layer at p/2 "to avoid severing connectivity to the output units".
  Beside the paper's *layerwise* pruning, ``prune_global`` ranks the survivors
  of all hidden layers together (the output layer keeps its own rate).
* **Units** (XOR, section 2): remove whole hidden units, ranked by one of
  three heuristics.

Counting rule (ours, fixed here): a layer with n surviving weights pruned at
rate p loses ``round_half_up(p · n)`` of them. Ties in |w| are broken by
position: among equal magnitudes the one earlier in row-major order goes first
(global pruning: the one in the earlier layer, then earlier in row-major order).
"""
import numpy as np

from .errors import ConfigError, MaskError

PRUNINGS = ("layerwise", "global")  # layerwise: the paper's


def round_half_up(x):
    """0.5 → 1, 1.5 → 2 (Python's round() would give 0 and 2)."""
    return int(np.floor(x + 0.5))


def is_rate(rate):
    """Whether ``rate`` is a pruning rate: the fraction of a layer's survivors removed, from 0 (none) to 1 (all)."""
    return isinstance(rate, (int, float, np.floating, np.integer)) and 0 <= rate <= 1


def check_rate(rate, what="pruning rate"):
    if not is_rate(rate):
        raise ConfigError(f"{what} must be a fraction between 0 and 1 (e.g. 0.2 for 20%); got {rate!r}")
    return float(rate)


def layer_rates(rate, n_layers, output_rate=None):
    """Per-layer rates: ``rate`` for every hidden layer, ``output_rate`` (default rate/2) for the last."""
    rate = check_rate(rate)
    output_rate = rate / 2 if output_rate is None else check_rate(output_rate, "output pruning rate")
    return [rate] * (n_layers - 1) + [output_rate]


def prune_layer(w, m, rate):
    """New mask for one layer: the ``round(rate · n)`` smallest-|w| survivors set to 0.

    w : (D, M) trained weights.  m : (D, M) current 0/1 mask.  rate : fraction of survivors to remove.
    """
    rate = check_rate(rate)
    if w.shape != m.shape:
        raise MaskError(f"mask shape {m.shape} does not match weight shape {w.shape}")
    alive = np.flatnonzero(m)  # flat indices of survivors, ascending
    k = round_half_up(rate * alive.size)
    order = np.argsort(np.abs(w.reshape(-1)[alive]), kind="stable")  # smallest |w| first; ties by position
    new_m = np.array(m, copy=True)
    new_m.reshape(-1)[alive[order[:k]]] = 0
    return new_m


def prune_by_magnitude(weights, masks, rates, pruning="layerwise"):
    """Magnitude pruning among survivors; one rate per layer (see ``layer_rates``).

    pruning : ``"layerwise"`` (the paper's): each layer loses ``rates[i]`` of its own survivors;
        ``"global"``: the hidden layers' survivors are ranked together (``prune_global``).
    """
    if not (len(weights) == len(masks) == len(rates)):
        raise MaskError(f"need one weight, mask and rate per layer; got {len(weights)}, {len(masks)}, {len(rates)}")
    if pruning == "global":
        return prune_global(weights, masks, rates)
    if pruning != "layerwise":
        raise ConfigError(f"unknown pruning {pruning!r}; choose one of {', '.join(PRUNINGS)}")
    return [prune_layer(w, m, p) for w, m, p in zip(weights, masks, rates)]


def prune_global(weights, masks, rates):
    """Global magnitude pruning: new masks with the hidden layers' survivors ranked together.

    The hidden layers (every layer but the last) share one rate p: of their n survivors taken
    together, the ``round_half_up(p · n)`` of smallest |w| are removed, wherever they are, so a
    layer whose weights are small loses more than p of its own and one whose weights are large
    loses less. Magnitudes are compared as they are, not scaled per layer. The output layer is
    pruned on its own at ``rates[-1]``, as in layerwise pruning (the paper prunes it at half the
    rate to keep the output units connected). Ties in |w| go to the earlier layer, then to the
    earlier position in row-major order.

    weights, masks : one (D, M) array each per layer.  rates : one per layer, as for layerwise
    pruning (``layer_rates``, ``oneshot_rates``); the hidden layers' must be equal.
    """
    rates = [check_rate(r) for r in rates]
    hidden = len(weights) - 1
    if len(set(rates[:hidden])) > 1:
        raise ConfigError(f"global pruning takes one rate for all hidden layers; got {rates[:hidden]}")
    for w, m in zip(weights, masks):
        if w.shape != m.shape:
            raise MaskError(f"mask shape {m.shape} does not match weight shape {w.shape}")
    new = [np.array(m, copy=True) for m in masks]
    if hidden > 0:
        alive = [np.flatnonzero(m) for m in masks[:hidden]]  # each hidden layer's survivors, ascending
        magnitude = np.concatenate([np.abs(w.reshape(-1)[a]) for w, a in zip(weights, alive)])
        layer = np.concatenate([np.full(a.size, i) for i, a in enumerate(alive)])
        position = np.concatenate(alive)
        k = round_half_up(rates[0] * magnitude.size)
        gone = np.argsort(magnitude, kind="stable")[:k]  # smallest |w| first; ties: earlier layer, then position
        for i in range(hidden):
            new[i].reshape(-1)[position[gone[layer[gone] == i]]] = 0
    new[-1] = prune_layer(weights[-1], masks[-1], rates[-1])
    return new


def oneshot_rates(fraction_remaining, n_layers):
    """Rates that take an unpruned network to ``fraction_remaining`` of each hidden layer
    in one step, the output layer losing half as large a fraction (section 3)."""
    fraction_remaining = check_rate(fraction_remaining, "fraction remaining")
    return layer_rates(1 - fraction_remaining, n_layers)


def percent_remaining(masks):
    """Percent of all weights (every layer; biases not counted) still present."""
    return 100.0 * sum(float(np.sum(m)) for m in masks) / sum(m.size for m in masks)


def full_masks(weights):
    """All-ones masks: nothing pruned."""
    return [np.ones_like(w) for w in weights]


# ----------------------------------------------------------------------------
# Unit pruning (XOR, section 2)
# ----------------------------------------------------------------------------


def unit_scores(weights, masks, heuristic="product"):
    """Importance of each hidden unit of a one-hidden-layer network.

    With W_in (D, H) into the hidden layer and W_out (H, C) out of it, for unit h:

    * ``"input"``   — mean |W_in[:, h]| over its surviving inputs
    * ``"output"``  — Σ_c |W_out[h, c]|  (|w| of its one output weight for XOR)
    * ``"product"`` — Σ_c |W_out[h, c]| · Σ_d |W_in[d, h]|  (the paper's default)

    Returns an array (H,); units already removed score -inf.
    """
    w_in, w_out = weights[0] * masks[0], weights[1] * masks[1]
    n_in = masks[0].sum(axis=0)  # surviving inputs per unit
    in_sum = np.abs(w_in).sum(axis=0)
    out_sum = np.abs(w_out).sum(axis=1)
    if heuristic == "input":
        score = in_sum / np.maximum(n_in, 1)
    elif heuristic == "output":
        score = out_sum
    elif heuristic == "product":
        score = out_sum * in_sum
    else:
        raise ConfigError(f"unknown unit heuristic {heuristic!r}; choose input, output or product")
    alive = masks[1].any(axis=1) & masks[0].any(axis=0)
    return np.where(alive, score, -np.inf)


def prune_units(weights, masks, n_remove, heuristic="product"):
    """New masks with the ``n_remove`` lowest-scoring hidden units removed (their
    input column and output row set to 0). Ties go to the lower unit index."""
    scores = unit_scores(weights, masks, heuristic)
    alive = np.flatnonzero(np.isfinite(scores))
    if not 0 <= n_remove <= alive.size:
        raise ConfigError(f"cannot remove {n_remove} units: {alive.size} are left")
    order = alive[np.argsort(scores[alive], kind="stable")]
    gone = order[:n_remove]
    new = [np.array(m, copy=True) for m in masks]
    new[0][:, gone] = 0
    new[1][gone, :] = 0
    return new


def units_remaining(masks):
    """Hidden units of a one-hidden-layer network that still have an output connection."""
    return int(np.sum(masks[1].any(axis=1) & masks[0].any(axis=0)))
