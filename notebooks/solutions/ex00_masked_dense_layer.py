"""Solutions to the exercises of 00_masked_dense_layer.ipynb.

    python notebooks/solutions/ex00_masked_dense_layer.py
"""
import numpy as np

import lottery_np as lt
from lottery_np import optim
from lottery_np.gradcheck import numerical_gradient, rel_error


def momentum_drift(beta, lr=0.1, v0=1.0, steps=2000):
    """Exercise 1: how far the momentum rule alone carries a pruned weight (w = 0, velocity v0,
    gradient 0 from now on). Returns (measured |w|, the limit lr · v0 · β / (1 − β))."""
    w, state = np.zeros(1), {"v": np.array([v0])}
    for _ in range(steps):
        optim.momentum(w, np.zeros(1), state, lr=lr, beta=beta)
    # v_k = β^k v0, so w = −lr v0 (β + β² + …) → −lr v0 β / (1 − β)
    return float(abs(w[0])), lr * v0 * beta / (1 - beta)


def gradcheck_pruned_network(seed=0):
    """Exercise 2: every gradient of a half-pruned float64 MLP against finite differences.
    Returns (largest relative error, True if every pruned weight's numerical gradient is exactly 0)."""
    rng = np.random.default_rng(seed)
    net = lt.MLP.initialize((5, 7, 4, 3), seed=seed, std=0.5, dtype=np.float64)
    net.set_masks([(rng.random(w.shape) < 0.5).astype(np.float64) for w in net.weights])
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, size=6)
    def loss():
        return net.loss_and_grads(x, y)[0]
    _, grads = net.loss_and_grads(x, y)
    errors, pruned_exactly_zero = [], True
    for i, (dw, db) in enumerate(grads):
        num_w = numerical_gradient(loss, net.weights[i])
        num_b = numerical_gradient(loss, net.biases[i])
        errors += [rel_error(dw, num_w), rel_error(db, num_b)]
        pruned_exactly_zero &= bool(np.all(num_w[net.masks[i] == 0] == 0))
    return max(errors), pruned_exactly_zero


def sparse_matches_dense(steps=20, seed=0):
    """Exercise 3: the same masked network trained with backend "numpy" and "sparse".
    Returns the largest relative difference between their weights after ``steps`` SGD steps.

    The second part: to update only the survivors, ``optim.sgd`` would have to be given their
    positions (the mask's ``Layout``) beside their gradients, so a sparse type would reach the
    optimizer; with a dense dW that is 0 at every pruned weight, ``w -= lr * dw`` leaves a pruned
    weight at 0 by itself. ``optim.momentum`` keeps a velocity shaped like the dense weight, so a
    survivors-only momentum would also have to store its velocity per survivor and rebuild it at
    every pruning. (The training engine, ``lottery_np/engine``, does take survivors-only SGD steps.)
    """
    rng = np.random.default_rng(seed)
    weights, biases = lt.init_weights((20, 16, 4), seed, dtype=np.float64)
    masks = [(rng.random(w.shape) < 0.3).astype(np.float64) for w in weights]
    x, y = rng.random((32, 20)), rng.integers(0, 4, size=32)
    nets = {b: lt.MLP(weights, biases, masks, backend=b) for b in ("numpy", "sparse")}
    for net in nets.values():
        opt = lt.Optimizer("sgd", lr=0.5)
        for _ in range(steps):
            opt.step(net, net.loss_and_grads(x, y)[1])
    return max(rel_error(a, b) for a, b in zip(nets["numpy"].weights, nets["sparse"].weights))


def main():
    print("1. momentum drift of a pruned weight (lr 0.1, v0 1):")
    for beta in (0.5, 0.9, 0.99):
        measured, limit = momentum_drift(beta)
        print(f"   β = {beta}: drifted {measured:.4f}, lr·v0·β/(1−β) = {limit:.4f}")
    err, zero = gradcheck_pruned_network()
    print(f"2. whole-network gradient check: largest relative error {err:.1e}; pruned numerical gradients exactly 0: {zero}")
    print(f"3. numpy vs sparse backend after 20 SGD steps: relative difference {sparse_matches_dense():.1e}")
    print("   the sparse twin hands the optimizer a dense dW, 0 where pruned: survivors-only SGD would need the layout,")
    print("   and momentum's velocity is shaped like the dense weight.")


if __name__ == "__main__":
    main()
