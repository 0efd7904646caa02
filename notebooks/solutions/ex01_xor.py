"""Solutions to the exercises of 01_xor.ipynb.

    python notebooks/solutions/ex01_xor.py
"""
import numpy as np

import lottery_np as lt
from lottery_np.paper import xor

from _common import budget


def dead_unit_outcomes(trials=1000, seed=0):
    """Exercise 1: 2-unit networks that start with a dead unit, and whether they find the boundary.

    With zero biases a ReLU unit whose two input weights are both ≤ 0 is off on all four
    points — at (0, 0) its input is exactly 0 and ReLU's gradient there is 0 — so it never
    receives a gradient. Returns counts: {"dead": n, "dead_db": n, "alive": n, "alive_db": n}.
    """
    counts = dict(dead=0, dead_db=0, alive=0, alive_db=0)
    for t in range(trials):
        weights, biases = xor.init_trial(2, seed, t)
        dead = bool(np.any(np.all(weights[0] <= 0, axis=0)))  # a column of W_in with no positive weight
        _, db, _, _ = xor.train_one(weights, biases)
        key = "dead" if dead else "alive"
        counts[key] += 1
        counts[key + "_db"] += int(db)
    return counts


def movement_masks(trained, theta0, masks, keep):
    """Exercise 2, the piece to write: keep the ``keep`` hidden units that moved most in training,
    scored like the product heuristic but on |w_trained − w_init|: Σ_d |ΔW_in[d, h]| · |ΔW_out[h]|."""
    d_in = np.abs(trained.weights[0] - theta0[0][0]) * masks[0]
    d_out = np.abs(trained.weights[1] - theta0[0][1]) * masks[1]
    score = d_in.sum(axis=0) * d_out.sum(axis=1)
    gone = np.argsort(score, kind="stable")[: score.size - keep]
    new = [m.copy() for m in masks]
    new[0][:, gone] = 0
    new[1][gone, :] = 0
    return new


def movement_versus_product(trials=200, seed=0, keep=2):
    """Exercise 2: prune trained 10-unit networks to ``keep`` units by movement and by the
    product heuristic, reset to θ0, retrain; returns the percent of tickets that find the boundary."""
    found = {"movement": 0, "product": 0}
    for t in range(trials):
        theta0 = xor.init_trial(10, seed, t)
        trained, _, _, _ = xor.train_one(*[[a.copy() for a in group] for group in theta0])
        full = lt.full_masks(trained.weights)
        chosen = {"movement": movement_masks(trained, theta0, full, keep),
                  "product": lt.prune_units(trained.weights, full, 10 - keep, "product")}
        for name, masks in chosen.items():
            _, db, _, _ = xor.train_one(*[[a.copy() for a in group] for group in theta0], masks)
            found[name] += int(db)
    return {name: 100 * n / trials for name, n in found.items()}


def main():
    c = dead_unit_outcomes(budget(100, 1000))
    print(f"1. {c['dead']} of {c['dead'] + c['alive']} 2-unit networks start with a dead unit; "
          f"{c['dead_db']} of them find the boundary (one ReLU unit cannot separate XOR),")
    print(f"   against {c['alive_db']} of the {c['alive']} that start with two working units.")
    rates = movement_versus_product(budget(30, 300))
    print("2. 2-unit tickets that find the boundary: " + ", ".join(f"{k} {v:.1f}%" for k, v in rates.items()))


if __name__ == "__main__":
    main()
