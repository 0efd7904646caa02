"""Solutions to the exercises of 05_exploring_parameters.ipynb.

    python notebooks/solutions/ex05_exploring_parameters.py    (LOTTERY_NP_QUICK=1 for a tiny budget)
"""
import lottery_np as lt

from _common import budget


def third_hidden_layer(data, sizes=(784, 300, 100, 50, 10), rounds=3, iterations=3000, seed=0):
    """Exercise 1: iterative pruning of a network with three hidden layers. ``layer_rates`` already
    prunes every hidden layer at the rate and the last layer at half of it, whatever the depth.
    Returns the Levels."""
    theta0 = lt.MLP.initialize(sizes, seed=seed)
    config = lt.TrainConfig(iterations=iterations, eval_every=max(iterations // 10, min(iterations, 100)))
    return lt.iterative_pruning(theta0, data, config, rounds=rounds, seed=seed)


def late_reset_ticket(data, fraction=0.1, k=500, iterations=3000, seed=0):
    """Exercise 2, the piece to write: late resetting by hand. Train θ0 and keep a copy of the
    network at iteration k (θk) — ``train`` calls ``callback`` after every evaluation, so evaluate
    every 10 iterations and take the copy when the iteration is k; prune one-shot at the end; reset
    the survivors to θk, not θ0. Returns (θk, the ticket before training, its History)."""
    if k % 10 or not 0 <= k <= iterations:
        raise ValueError(f"k must be a multiple of 10 between 0 and {iterations}; got {k}")
    net = lt.MLP.initialize((784, 300, 100, 10), seed=seed)
    snapshot = {0: net.copy()}
    def keep_k(it, history):
        return snapshot.setdefault(it, net.copy()) if it == k else None
    lt.train(net, data, lt.TrainConfig(iterations=iterations, eval_every=10), seed=seed, callback=keep_k)
    masks = lt.prune_by_magnitude(net.weights, net.masks, lt.oneshot_rates(fraction, 3))
    ticket = lt.reset(snapshot[k], masks)
    start = ticket.copy()
    every = max(iterations // 10, min(iterations, 100))
    history = lt.train(ticket, data, lt.TrainConfig(iterations=iterations, eval_every=every), seed=seed)
    return snapshot[k], start, history


def main():
    data = lt.load_mnist()
    levels = third_hidden_layer(data, rounds=budget(1, 4), iterations=budget(150, 3000))
    print("1. 784-300-100-50-10, iterative pruning:")
    for lvl in levels:
        print(f"   round {lvl.round}: layers keep " + ", ".join(f"{100 * m.mean():.1f}%" for m in lvl.masks)
              + f"; test accuracy {100 * lvl.history.test_accuracy:.2f}%")
    for k in (0, budget(20, 500)):
        _, _, h = late_reset_ticket(data, k=k, iterations=budget(150, 3000))
        print(f"2. ticket at 10% reset to iteration {k}: test accuracy {100 * h.test_accuracy:.2f}%,"
              f" converged at {h.convergence_iteration}")


if __name__ == "__main__":
    main()
