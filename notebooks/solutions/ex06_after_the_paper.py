"""Solutions to the exercises of 06_after_the_paper.ipynb.

    python notebooks/solutions/ex06_after_the_paper.py    (LOTTERY_NP_QUICK=1 for a tiny budget)
"""
import numpy as np

import lottery_np as lt
from lottery_np.paper import after

from _common import budget

SIZES = (784, 300, 100, 10)


def rewound_instability(data, k, iterations=2000, sizes=SIZES, seed=0, trainer=lt.train):
    """Exercise 1: train the unpruned network k iterations on order A (θk), then two copies from θk on
    orders A and B for the rest of the budget; the instability of the path between them (a fraction).
    k = 0 is the experiment of the notebook: both copies start from θ0."""
    net = lt.MLP.initialize(sizes, seed=seed)
    if k > 0:
        trainer(net, data, lt.TrainConfig(iterations=k, eval_every=k), seed=100)  # θk
    rest = lt.TrainConfig(iterations=iterations - k, eval_every=min(100, iterations - k))
    a, b = net.copy(), net.copy()
    trainer(a, data, rest, seed=1)
    trainer(b, data, rest, seed=2)
    return after.path_instability(after.instability(a, b, data.x_test, data.y_test))


def signed_constant(theta0, masks):
    """Exercise 2, the piece to write: every kept weight set to ± the layer's initial standard deviation,
    with its θ0 sign (the magnitudes all alike, only the signs and the mask carry information)."""
    weights = [np.sign(w0) * w0.std() for w0 in theta0.weights]
    return lt.MLP(weights, theta0.biases, masks, loss=theta0.loss_name)


def supermask_versus_signed_constant(data, iterations=2000, rounds=5, sizes=SIZES, seed=0, trainer=lt.train):
    """Exercise 2: a ticket's supermask, untrained, on θ0 and on the signed constant; test accuracies."""
    theta0 = lt.MLP.initialize(sizes, seed=seed)
    levels = lt.iterative_pruning(theta0, data, lt.TrainConfig(iterations=iterations, eval_every=100), rounds=rounds,
                                  seed=seed, trainer=trainer)
    masks = lt.supermask(theta0, levels[0].net, levels[-1].masks)
    return {"θ0": lt.reset(theta0, masks).evaluate(data.x_test, data.y_test)[1],
            "signed constant": signed_constant(theta0, masks).evaluate(data.x_test, data.y_test)[1],
            "percent remaining": lt.percent_remaining(masks)}


def global_random_pruning(theta0, masks, seed):
    """Exercise 3, the piece to write: a random mask with the ticket's *total* count, drawn over all the
    weights at once (so each layer keeps about the same fraction), θ0 where it stands."""
    rng = np.random.default_rng(seed)
    sizes = [m.size for m in masks]
    flat = np.zeros(sum(sizes), dtype=theta0.dtype)
    flat[rng.permutation(flat.size)[: int(sum(m.sum() for m in masks))]] = 1
    pieces = np.split(flat, np.cumsum(sizes)[:-1])
    return lt.reset(theta0, [p.reshape(m.shape) for p, m in zip(pieces, masks)])


def layerwise_versus_global_random(data, iterations=2000, rounds=5, sizes=SIZES, seed=0, trainer=lt.train):
    """Exercise 3: at a ticket's size, random pruning with the ticket's per-layer counts and with its total count
    only; each network's per-layer percent remaining and test accuracy after training."""
    theta0 = lt.MLP.initialize(sizes, seed=seed)
    config = lt.TrainConfig(iterations=iterations, eval_every=100)
    levels = lt.iterative_pruning(theta0, data, config, rounds=rounds, seed=seed, trainer=trainer)
    out = {}
    for name, net in (("per layer", lt.random_pruning(theta0, levels[-1].masks, seed=1)),
                      ("global", global_random_pruning(theta0, levels[-1].masks, seed=1))):
        layers = [round(100 * float(m.mean()), 1) for m in net.masks]
        out[name] = (layers, trainer(net, data, config, seed=seed).test_accuracy)
    return out


def main():
    data = lt.load_mnist()
    iterations = budget(300, 3000)
    print("1. instability of the unpruned network when both copies start from θk:")
    for k in (0, budget(50, 500)):
        print(f"   k = {k:4d}: {100 * rewound_instability(data, k, iterations, trainer=after.fast_trainer):.2f} points")
    r = supermask_versus_signed_constant(data, iterations, rounds=budget(2, 7), trainer=after.fast_trainer)
    print(f"2. supermask at {r['percent remaining']:.1f}% of the weights, untrained: on θ0 {100 * r['θ0']:.1f}%, "
          f"signed constant {100 * r['signed constant']:.1f}%")
    print("3. random pruning, per layer against global:")
    for name, (layers, acc) in layerwise_versus_global_random(data, iterations, rounds=budget(2, 7),
                                                              trainer=after.fast_trainer).items():
        print(f"   {name:9s}: per-layer % kept {layers}, test accuracy {100 * acc:.2f}%")


if __name__ == "__main__":
    main()
