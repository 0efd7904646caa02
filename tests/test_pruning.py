"""Pruning invariants in the style of open_lth, plus hand-built unit-pruning cases."""
import numpy as np
import pytest

from lottery_np import MLP, ConfigError, reinit_control, reset, shuffle_control
from lottery_np.pruning import (full_masks, layer_rates, oneshot_rates, percent_remaining,
                                prune_by_magnitude, prune_layer, prune_units, round_half_up,
                                unit_scores, units_remaining)

LENET = (784, 300, 100, 10)


@pytest.fixture
def lenet():
    return MLP.initialize(LENET, seed=0)


def test_exact_count_removed_per_layer(lenet):
    rates = layer_rates(0.2, 3)
    assert rates == [0.2, 0.2, 0.1]  # the output layer at half the rate
    masks = prune_by_magnitude(lenet.weights, full_masks(lenet.weights), rates)
    assert [int(m.sum()) for m in masks] == [235200 - 47040, 30000 - 6000, 1000 - 100]
    masks2 = prune_by_magnitude(lenet.weights, masks, rates)  # counts among survivors
    assert [int(m.sum()) for m in masks2] == [188160 - 37632, 24000 - 4800, 900 - 90]


def test_count_rounds_half_up():
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 2.49)] == [1, 2, 3, 2]
    w = np.arange(1.0, 6.0).reshape(1, 5)  # 5 survivors at rate 0.5 -> 2.5 -> 3 removed
    assert prune_layer(w, np.ones_like(w), 0.5).tolist() == [[0, 0, 0, 1, 1]]


def test_survivors_beat_every_pruned_magnitude(lenet):
    masks = prune_by_magnitude(lenet.weights, full_masks(lenet.weights), [0.7, 0.7, 0.35])
    for w, m in zip(lenet.weights, masks):
        assert np.abs(w[m == 1]).min() >= np.abs(w[m == 0]).max()


def test_masks_only_shrink_and_two_rounds_leave_one_minus_p_squared(lenet):
    m0 = full_masks(lenet.weights)
    m1 = prune_by_magnitude(lenet.weights, m0, [0.2] * 3)
    m2 = prune_by_magnitude(lenet.weights, m1, [0.2] * 3)
    for a, b in zip(m1, m2):
        assert np.all(b <= a)  # nothing comes back
    for w, m in zip(lenet.weights, m2):
        assert m.sum() == pytest.approx(0.64 * w.size, abs=1)


def test_pruning_is_pure(lenet):
    w_before = [w.copy() for w in lenet.weights]
    masks = full_masks(lenet.weights)
    m_before = [m.copy() for m in masks]
    new = prune_by_magnitude(lenet.weights, masks, [0.5, 0.5, 0.25])
    assert all(np.array_equal(a, b) for a, b in zip(w_before, lenet.weights))
    assert all(np.array_equal(a, b) for a, b in zip(m_before, masks))
    assert all(np.array_equal(a, b) for a, b in zip(new, prune_by_magnitude(lenet.weights, masks, [0.5, 0.5, 0.25])))


def test_ties_are_broken_by_position():
    w = np.array([[1.0, -1.0, 1.0], [2.0, 1.0, -1.0]])
    assert prune_layer(w, np.ones_like(w), 0.5).tolist() == [[0, 0, 0], [1, 1, 1]]


def test_spec_iterative_schedule(lenet):
    """The paper's figures: overall remaining after k rounds of 20% (output 10%)."""
    masks, got = full_masks(lenet.weights), {}
    for k in range(1, 19):
        masks = prune_by_magnitude(lenet.weights, masks, layer_rates(0.2, 3))
        got[k] = percent_remaining(masks)
    for k, want in {1: 80.04, 3: 51.28, 7: 21.07, 12: 6.95, 15: 3.58, 18: 1.85}.items():
        assert got[k] == pytest.approx(want, abs=0.01), k


def test_oneshot_rates_prune_output_at_half_the_fraction(lenet):
    masks = prune_by_magnitude(lenet.weights, full_masks(lenet.weights), oneshot_rates(0.25, 3))
    assert [m.mean() for m in masks] == pytest.approx([0.25, 0.25, 0.625])


@pytest.mark.parametrize("rate", [1.5, -0.1, "0.2", None])
def test_bad_rate_is_a_clear_error(rate):
    with pytest.raises(ConfigError, match="must be a fraction between 0 and 1"):
        layer_rates(rate, 3)


# -- units (XOR) ---------------------------------------------------------------

def hand_built():
    """Four hidden units. In: (2, 4); out: (4, 1). Scores worked out by hand below."""
    w_in = np.array([[1.0, 0.1, 2.0, 0.5],
                     [1.0, 0.1, 2.0, 0.5]])
    w_out = np.array([[0.5], [4.0], [0.1], [1.0]])
    return [w_in, w_out], [np.ones_like(w_in), np.ones_like(w_out)]


def test_unit_heuristics_on_a_hand_built_network():
    w, m = hand_built()
    # input: mean |w_in| = 1, .1, 2, .5   output: |w_out| = .5, 4, .1, 1
    # product: |w_out| * sum|w_in| = .5*2, 4*.2, .1*4, 1*1 = 1, .8, .4, 1
    np.testing.assert_allclose(unit_scores(w, m, "input"), [1, 0.1, 2, 0.5])
    np.testing.assert_allclose(unit_scores(w, m, "output"), [0.5, 4, 0.1, 1])
    np.testing.assert_allclose(unit_scores(w, m, "product"), [1, 0.8, 0.4, 1])
    gone = {h: np.flatnonzero(prune_units(w, m, 1, h)[1][:, 0] == 0).tolist() for h in ("input", "output", "product")}
    assert gone == {"input": [1], "output": [2], "product": [2]}
    two = prune_units(w, m, 2, "product")
    assert units_remaining(two) == 2 and two[0][:, [1, 2]].sum() == 0 and two[1][[1, 2]].sum() == 0
    # removed units stay removed and score -inf; the next round removes among the living
    assert np.isinf(unit_scores(w, two, "product")[[1, 2]]).all()
    assert np.flatnonzero(prune_units(w, two, 1, "product")[1][:, 0] == 0).tolist() == [0, 1, 2]


def test_cannot_remove_more_units_than_remain():
    w, m = hand_built()
    with pytest.raises(ConfigError, match="cannot remove 5 units: 4 are left"):
        prune_units(w, m, 5)


# -- reset and controls ----------------------------------------------------------

def test_reset_returns_survivors_to_theta0(lenet):
    trained = lenet.copy()
    for w in trained.weights:
        w += 1.0
    masks = prune_by_magnitude(trained.weights, full_masks(trained.weights), [0.5, 0.5, 0.25])
    ticket = reset(lenet, masks)
    for w, w0, m in zip(ticket.weights, lenet.weights, masks):
        assert np.array_equal(w, w0 * m)
    assert all(not b.any() for b in ticket.biases)


def test_reinit_control_keeps_the_mask_and_draws_new_weights(lenet):
    masks = prune_by_magnitude(lenet.weights, full_masks(lenet.weights), [0.8, 0.8, 0.4])
    c = reinit_control(lenet, masks, seed=99)
    for w, w0, m, cm in zip(c.weights, lenet.weights, masks, c.masks):
        assert np.array_equal(cm, m)
        assert not np.array_equal(w[m == 1], w0[m == 1])
        assert w[m == 1].std() == pytest.approx(0.1, rel=0.05)


def test_shuffle_control_keeps_counts_and_initial_values(lenet):
    masks = prune_by_magnitude(lenet.weights, full_masks(lenet.weights), [0.8, 0.8, 0.4])
    c = shuffle_control(lenet, masks, seed=5)
    for w, w0, m, cm in zip(c.weights, lenet.weights, masks, c.masks):
        assert cm.sum() == m.sum()
        assert np.array_equal(np.sort(w[cm == 1]), np.sort(w0[m == 1]))  # same values...
        assert not np.array_equal(cm, m)  # ...at other places
    assert shuffle_control(lenet, masks, seed=5).masks[0].tobytes() == c.masks[0].tobytes()
