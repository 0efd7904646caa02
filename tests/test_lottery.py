"""The lottery loops of lottery.py with global pruning, and what a Level holds."""
import numpy as np
import pytest

from lottery_np import MLP, TrainConfig, iterative_pruning, oneshot_pruning, percent_remaining
from lottery_np.pruning import full_masks, layer_rates, oneshot_rates, prune_by_magnitude, prune_global

from test_train import blobs

CFG = TrainConfig(iterations=60, batch_size=20, lr=0.1, eval_every=20)
SIZES = (10, 40, 20, 3)


def test_a_level_derives_its_masks_and_size_from_its_network():
    levels = oneshot_pruning(MLP.initialize(SIZES, seed=0), blobs(), CFG, fractions=[0.5], seed=0)
    for lvl in levels:
        assert lvl.masks is lvl.net.masks
        assert lvl.percent_remaining == percent_remaining(lvl.net.masks)
    assert levels[0].percent_remaining == 100


def test_iterative_global_pruning_prunes_the_pool_of_the_last_trained_weights():
    theta0 = MLP.initialize(SIZES, seed=0)
    levels = iterative_pruning(theta0, blobs(), CFG, rounds=2, rate=0.3, seed=0, pruning="global")
    rates = layer_rates(0.3, 3)
    for prev, lvl in zip(levels, levels[1:]):
        want = prune_global(prev.net.weights, prev.masks, rates)  # 3. prune what the last round trained
        assert all(np.array_equal(a, b) for a, b in zip(lvl.masks, want))
        assert all(np.all(b <= a) for a, b in zip(prev.masks, lvl.masks))
    layerwise = iterative_pruning(theta0, blobs(), CFG, rounds=2, rate=0.3, seed=0)
    assert levels[1].percent_remaining == pytest.approx(layerwise[1].percent_remaining, abs=0.1)  # same count, to rounding
    assert any(not np.array_equal(a, b) for a, b in zip(levels[1].masks, layerwise[1].masks))  # other weights


def test_oneshot_global_pruning_keeps_the_fraction_of_the_hidden_layers_together():
    theta0 = MLP.initialize(SIZES, seed=1)
    levels = oneshot_pruning(theta0, blobs(), CFG, fractions=[0.5, 0.2], seed=0, pruning="global")
    trained = levels[0].net
    for f, lvl in zip([0.5, 0.2], levels[1:]):
        want = prune_by_magnitude(trained.weights, full_masks(trained.weights), oneshot_rates(f, 3), "global")
        assert all(np.array_equal(a, b) for a, b in zip(lvl.masks, want))
        hidden = sum(m.sum() for m in lvl.masks[:-1]) / sum(m.size for m in lvl.masks[:-1])
        assert hidden == pytest.approx(f, abs=1 / 600)
