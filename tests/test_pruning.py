"""Pruning invariants in the style of open_lth, plus hand-built unit-pruning cases."""
import numpy as np
import pytest

from lottery_np import MLP, ConfigError, reinit_control, reset, shuffle_control
from lottery_np.errors import MaskError
from lottery_np.pruning import (full_masks, layer_rates, oneshot_rates, percent_remaining,
                                prune_by_magnitude, prune_global, prune_layer, prune_units, round_half_up,
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


# -- global pruning ------------------------------------------------------------

def hidden_counts(masks):
    return sum(int(m.sum()) for m in masks[:-1])


def test_global_removes_the_requested_fraction_of_the_hidden_layers_together(lenet):
    m0 = full_masks(lenet.weights)
    m1 = prune_global(lenet.weights, m0, layer_rates(0.2, 3))
    n_hidden = hidden_counts(m0)
    assert hidden_counts(m1) == n_hidden - round_half_up(0.2 * n_hidden)  # of the pool, not of each layer
    assert int(m1[-1].sum()) == 1000 - 100  # the output layer at its own rate, as layerwise
    np.testing.assert_array_equal(m1[-1], prune_layer(lenet.weights[-1], m0[-1], 0.1))
    m2 = prune_global(lenet.weights, m1, layer_rates(0.2, 3))  # counts among survivors
    assert hidden_counts(m2) == hidden_counts(m1) - round_half_up(0.2 * hidden_counts(m1))
    # the layers lose different fractions: what is pruned depends on the magnitudes across layers
    assert len({round(float(m.mean()), 4) for m in m1[:-1]}) == 2


def test_global_survivors_beat_every_pruned_hidden_magnitude_and_nothing_comes_back():
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, s, size=shape) for s, shape in ((0.05, (30, 20)), (0.3, (20, 10)), (0.2, (10, 4)))]
    masks = [(rng.random(w.shape) > 0.3).astype(np.float32) for w in weights]  # already pruned once
    new = prune_global(weights, masks, [0.5, 0.5, 0.25])
    kept = np.concatenate([np.abs(w[m == 1]) for w, m in zip(weights[:-1], new[:-1])])
    cut = np.concatenate([np.abs(w[(m0 == 1) & (m == 0)]) for w, m0, m in zip(weights[:-1], masks[:-1], new[:-1])])
    assert kept.min() >= cut.max()
    for m0, m in zip(masks, new):
        assert m.dtype == m0.dtype and set(np.unique(m)) <= {0, 1}
        assert np.all(m <= m0)  # a pruned weight is never revived
    assert new[0].mean() < new[1].mean()  # the layer of small weights loses the most


def test_global_ties_go_to_the_earlier_layer_then_the_earlier_position():
    w = [np.array([[1.0, 2.0], [1.0, 3.0]]), np.array([[1.0], [1.0]]), np.array([[5.0]])]
    m = full_masks(w)
    new = prune_global(w, m, [0.5, 0.5, 0.0])  # 6 hidden weights, 3 removed; four of them tie at 1
    assert [x.tolist() for x in new] == [[[0, 1], [0, 1]], [[0], [1]], [[1]]]
    assert all(np.array_equal(a, b) for a, b in zip(new, prune_global(w, m, [0.5, 0.5, 0.0])))


def test_global_is_pure_and_layerwise_is_unchanged(lenet):
    w_before, masks = [w.copy() for w in lenet.weights], full_masks(lenet.weights)
    prune_by_magnitude(lenet.weights, masks, [0.5, 0.5, 0.25], "global")
    assert all(np.array_equal(a, b) for a, b in zip(w_before, lenet.weights))
    assert all(np.all(m == 1) for m in masks)
    layerwise = [prune_layer(w, m, p) for w, m, p in zip(lenet.weights, masks, [0.5, 0.5, 0.25])]
    for pruning in ({}, {"pruning": "layerwise"}):
        got = prune_by_magnitude(lenet.weights, masks, [0.5, 0.5, 0.25], **pruning)
        assert all(np.array_equal(a, b) for a, b in zip(got, layerwise))


def test_global_with_one_hidden_layer_is_layerwise():
    net = MLP.initialize((50, 20, 4), seed=2)
    rates = layer_rates(0.3, 2)
    for a, b in zip(prune_global(net.weights, full_masks(net.weights), rates),
                    prune_by_magnitude(net.weights, full_masks(net.weights), rates)):
        np.testing.assert_array_equal(a, b)


def test_global_oneshot_keeps_the_fraction_of_all_hidden_weights(lenet):
    masks = prune_global(lenet.weights, full_masks(lenet.weights), oneshot_rates(0.25, 3))
    assert hidden_counts(masks) == pytest.approx(0.25 * (235200 + 30000), abs=1)


def test_global_refuses_what_it_cannot_do(lenet):
    m = full_masks(lenet.weights)
    with pytest.raises(ConfigError, match="one rate for all hidden layers"):
        prune_global(lenet.weights, m, [0.2, 0.3, 0.1])
    with pytest.raises(ConfigError, match="unknown pruning 'best'; choose one of layerwise, global"):
        prune_by_magnitude(lenet.weights, m, [0.2, 0.2, 0.1], "best")
    with pytest.raises(MaskError, match="does not match"):
        prune_global(lenet.weights, [m[0].T, m[1], m[2]], [0.2, 0.2, 0.1])


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
