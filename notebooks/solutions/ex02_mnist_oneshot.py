"""Solutions to the exercises of 02_mnist_oneshot.ipynb.

    python notebooks/solutions/ex02_mnist_oneshot.py     (LOTTERY_NP_QUICK=1 for a tiny budget)
"""
import numpy as np

import lottery_np as lt

from _common import budget


def global_masks(weights, masks, fraction_remaining):
    """Exercise 1, the piece to write: one magnitude threshold over every layer at once.
    Keeps the round(f · n) largest |w| among all n surviving weights; ties broken by position."""
    flat = np.concatenate([(np.abs(w) * m).reshape(-1) for w, m in zip(weights, masks)])
    alive = np.flatnonzero(np.concatenate([m.reshape(-1) for m in masks]))
    keep = lt.pruning.round_half_up(fraction_remaining * alive.size)
    order = np.argsort(-flat[alive], kind="stable")  # largest first
    new_flat = np.zeros(flat.size, dtype=masks[0].dtype)
    new_flat[alive[order[:keep]]] = 1
    sizes = np.cumsum([0] + [m.size for m in masks])
    return [new_flat[a:b].reshape(m.shape) for a, b, m in zip(sizes[:-1], sizes[1:], masks)]


def global_versus_layerwise(data, fraction=0.10, iterations=5000, seed=0):
    """Exercise 1: train once, prune to the same overall size globally and layerwise, reset, retrain.
    Returns {name: (per-layer percent remaining, test accuracy)}."""
    theta0 = lt.MLP.initialize((784, 300, 100, 10), seed=seed)
    config = lt.TrainConfig(iterations=iterations, eval_every=max(iterations // 20, min(iterations, 100)))
    trained = theta0.copy()
    lt.train(trained, data, config, seed=seed)
    layerwise = lt.prune_by_magnitude(trained.weights, lt.full_masks(trained.weights), lt.oneshot_rates(fraction, 3))
    overall = lt.percent_remaining(layerwise) / 100  # the same total size for both
    chosen = {"layerwise": layerwise, "global": global_masks(trained.weights, lt.full_masks(trained.weights), overall)}
    out = {}
    for name, masks in chosen.items():
        h = lt.train(lt.reset(theta0, masks), data, config, seed=seed)
        out[name] = ([100 * float(m.mean()) for m in masks], h.test_accuracy)
    return out


def my_shuffle_control(theta0, masks, seed):
    """Exercise 2, the piece to write: control 2. In each layer, put the surviving initial
    values at random positions (same count per layer); biases stay as in θ0."""
    rng = np.random.default_rng(seed)
    weights, new_masks = [], []
    for w0, m in zip(theta0.weights, masks):
        values = w0[m == 1]
        spots = rng.choice(m.size, size=values.size, replace=False)
        w, new_m = np.zeros(m.size, w0.dtype), np.zeros(m.size, m.dtype)
        w[spots], new_m[spots] = values, 1
        weights.append(w.reshape(m.shape))
        new_masks.append(new_m.reshape(m.shape))
    return lt.MLP(weights, theta0.biases, new_masks)


def main():
    data = lt.load_mnist()
    result = global_versus_layerwise(data, iterations=budget(300, 5000))
    print("1. the same overall size, pruned two ways (one-shot, reset to θ0, retrained):")
    for name, (layers, acc) in result.items():
        print(f"   {name:9s}: layers keep " + ", ".join(f"{p:.1f}%" for p in layers) + f"; test accuracy {100 * acc:.2f}%")
    theta0 = lt.MLP.initialize((784, 300, 100, 10), seed=0)
    masks = lt.prune_by_magnitude(theta0.weights, lt.full_masks(theta0.weights), lt.oneshot_rates(0.1, 3))
    mine, theirs = my_shuffle_control(theta0, masks, seed=1), lt.shuffle_control(theta0, masks, seed=1)
    print("2. control 2, written here / lottery_np.shuffle_control: survivors per layer",
          mine.n_remaining(), "/", theirs.n_remaining())


if __name__ == "__main__":
    main()
