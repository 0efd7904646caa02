"""Solutions to the exercises of 04_examining_tickets.ipynb.

    python notebooks/solutions/ex04_examining_tickets.py    (LOTTERY_NP_QUICK=1 for a tiny budget)
"""
import numpy as np

import lottery_np as lt
from lottery_np.paper import examine

from _common import budget


def ticket_and_random(data, rounds=3, iterations=3000, seed=0):
    """θ0, a ticket's masks after ``rounds`` rounds of iterative pruning, and a random mask with the
    same count per layer (control 2's mask: ``shuffle_control`` moves the survivors at random)."""
    theta0 = lt.MLP.initialize((784, 300, 100, 10), seed=seed)
    config = lt.TrainConfig(iterations=iterations, eval_every=max(iterations // 10, min(iterations, 100)))
    ticket = lt.iterative_pruning(theta0, data, config, rounds=rounds, seed=seed)[-1].masks
    random = lt.shuffle_control(theta0, ticket, seed=seed + 1).masks
    return theta0, ticket, random


def beyond_two_sigma_by_layer(weights0, masks, std=0.1):
    """Exercise 1: per layer, the share of survivors whose initial value is beyond 2σ."""
    return [examine.beyond_two_sigma(v, std) for v in examine.survivor_initial_values(weights0, masks)]


def units_without_output(masks):
    """Exercise 2, the piece to write: per hidden layer, the units whose every outgoing weight is
    pruned (row sums of the next layer's (fan_in, fan_out) mask). Such a unit is as good as gone,
    even if it keeps inputs — ``examine.units_removed`` only sees units with no input left."""
    return [int(np.sum(m_next.sum(axis=1) == 0)) for m_next in masks[1:]]


def main():
    theta0, ticket, random = ticket_and_random(lt.load_mnist(), rounds=budget(2, 10), iterations=budget(150, 3000))
    print(f"ticket at {lt.percent_remaining(ticket):.1f}% of the weights")
    for name, masks in (("ticket", ticket), ("random mask", random)):
        shares = beyond_two_sigma_by_layer(theta0.weights, masks)
        print(f"1. {name:11s}: survivors beyond 2σ per layer: " + ", ".join(f"{100 * s:.1f}%" for s in shares)
              + "  (a Gaussian: 4.55%)")
        print(f"2. {name:11s}: hidden units with no output left: {units_without_output(masks)},"
              f" with no input left: {examine.units_removed(masks)[:-1]}")


if __name__ == "__main__":
    main()
