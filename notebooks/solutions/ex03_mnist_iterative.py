"""Solutions to the exercises of 03_mnist_iterative.ipynb.

    python notebooks/solutions/ex03_mnist_iterative.py    (LOTTERY_NP_QUICK=1 for a tiny budget)
"""

import lottery_np as lt

from _common import budget

SIZES = (784, 300, 100, 10)


def schedule(rounds=18, rate=0.2):
    """Exercise 1: percent of all weights left after each round of iterative pruning.
    Pruning only counts survivors, so any weights will do; random ones stand in for trained ones."""
    weights = lt.init_weights(SIZES, seed=0)[0]
    masks, rates, percents = lt.full_masks(weights), lt.layer_rates(rate, len(weights)), []
    for _ in range(rounds):
        masks = lt.prune_by_magnitude(weights, masks, rates)
        percents.append(lt.percent_remaining(masks))
    return percents


def movement_masks(trained_weights, initial_weights, masks, rates):
    """Exercise 2, the piece to write: prune the survivors that moved least, |w_trained − w_init|.
    ``prune_layer`` removes the smallest |w| among survivors, so hand it the movement instead."""
    return [lt.prune_layer(wt - w0, m, p) for wt, w0, m, p in zip(trained_weights, initial_weights, masks, rates)]


def movement_versus_magnitude(data, rounds=3, iterations=3000, seed=0):
    """Exercise 2: iterative pruning with both criteria, resetting to θ0 each round.
    Returns {criterion: [(percent remaining, test accuracy) per round]}."""
    theta0 = lt.MLP.initialize(SIZES, seed=seed)
    config = lt.TrainConfig(iterations=iterations, eval_every=max(iterations // 20, min(iterations, 100)))
    rates = lt.layer_rates(0.2, len(SIZES) - 1)
    out = {}
    for criterion in ("magnitude", "movement"):
        masks, rows = lt.full_masks(theta0.weights), []
        for r in range(rounds + 1):
            net = lt.reset(theta0, masks)
            h = lt.train(net, data, config, seed=seed)
            rows.append((lt.percent_remaining(masks), h.test_accuracy))
            if criterion == "magnitude":
                masks = lt.prune_by_magnitude(net.weights, masks, rates)
            else:
                masks = movement_masks(net.weights, theta0.weights, masks, rates)
        out[criterion] = rows
    return out


def main():
    paper = {1: 80.04, 3: 51.28, 7: 21.07, 12: 6.95, 15: 3.58, 18: 1.85}
    percents = schedule()
    print("1. percent remaining after k rounds, ours / the levels the paper reports:")
    print("   " + ", ".join(f"k={k}: {percents[k - 1]:.2f} / {v}" for k, v in paper.items()))
    result = movement_versus_magnitude(data=lt.load_mnist(), rounds=budget(2, 5), iterations=budget(200, 3000))
    print("2. test accuracy of each round's ticket:")
    for criterion, rows in result.items():
        print(f"   {criterion:9s}: " + ", ".join(f"{p:.1f}% → {100 * a:.2f}%" for p, a in rows))


if __name__ == "__main__":
    main()
