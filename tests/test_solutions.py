"""The exercise solutions in ``notebooks/solutions/`` give the answers their exercises ask for.

Each solution is imported as a module and called with tiny budgets (a few seconds each); the
assertions are the facts the exercise should lead a student to, so a broken solution — or a
package change that breaks one — fails here.
"""
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import lottery_np as lt

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"


def solution(name):
    if str(SOLUTIONS) not in sys.path:
        sys.path.insert(0, str(SOLUTIONS))  # the solutions import their shared _common module
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def mnist():
    return lt.load_mnist()


def test_every_solution_file_has_a_test():
    files = {p.stem for p in SOLUTIONS.glob("ex*.py")}
    assert files == {"ex00_masked_dense_layer", "ex01_xor", "ex02_mnist_oneshot", "ex03_mnist_iterative",
                     "ex04_examining_tickets", "ex05_exploring_parameters", "ex06_after_the_paper"}


# ---- 00: the masked Dense layer -------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_00_momentum_drift_is_the_geometric_series(beta):
    measured, limit = solution("ex00_masked_dense_layer").momentum_drift(beta)
    assert measured == pytest.approx(limit, rel=1e-6)


def test_00_whole_network_gradient_check():
    err, pruned_exactly_zero = solution("ex00_masked_dense_layer").gradcheck_pruned_network()
    assert err < 1e-6
    assert pruned_exactly_zero


def test_00_sparse_backend_trains_like_dense():
    assert solution("ex00_masked_dense_layer").sparse_matches_dense() < 1e-12


# ---- 01: XOR ---------------------------------------------------------------------------------

def test_01_a_dead_unit_never_finds_the_boundary():
    c = solution("ex01_xor").dead_unit_outcomes(trials=24)
    assert c["dead"] > 0 and c["alive"] > 0
    assert c["dead_db"] == 0
    assert c["alive_db"] > 0


def test_01_movement_keeps_the_units_that_moved_most():
    ex = solution("ex01_xor")
    w_in0, w_out0 = np.zeros((2, 4)), np.zeros((4, 1))
    theta0 = ([w_in0, w_out0], [np.zeros(4), np.zeros(1)])
    # movement products per unit: 2·1, 0.2·5, 4·3, 1·0.1  -> keep units 2 and 0
    trained = lt.MLP([np.array([[1.0, 0.1, 2.0, 0.5], [-1.0, 0.1, -2.0, 0.5]]), np.array([[1.0], [-5.0], [3.0], [0.1]])],
                     [np.zeros(4), np.zeros(1)], loss="sigmoid_binary_cross_entropy")
    masks = ex.movement_masks(trained, theta0, lt.full_masks(trained.weights), keep=2)
    assert masks[1][:, 0].tolist() == [1, 0, 1, 0]
    assert masks[0].sum(axis=0).tolist() == [2, 0, 2, 0]
    rates = ex.movement_versus_product(trials=3)
    assert set(rates) == {"movement", "product"} and all(0 <= r <= 100 for r in rates.values())


# ---- 02: one-shot pruning --------------------------------------------------------------------

def test_02_global_masks_one_threshold_for_all_layers():
    ex = solution("ex02_mnist_oneshot")
    weights = lt.init_weights((30, 20, 10, 4), seed=3)[0]
    before = [w.copy() for w in weights]
    masks = ex.global_masks(weights, lt.full_masks(weights), 0.25)
    n = sum(w.size for w in weights)
    assert sum(int(m.sum()) for m in masks) == lt.pruning.round_half_up(0.25 * n)
    kept = np.concatenate([np.abs(w)[m == 1] for w, m in zip(weights, masks)])
    gone = np.concatenate([np.abs(w)[m == 0] for w, m in zip(weights, masks)])
    assert kept.min() >= gone.max()
    assert all(np.array_equal(a, b) for a, b in zip(weights, before))


def test_02_global_and_layerwise_tickets_have_the_same_size(mnist):
    result = solution("ex02_mnist_oneshot").global_versus_layerwise(mnist, iterations=40)
    sizes = (784 * 300, 300 * 100, 100 * 10)
    counts = {k: sum(p / 100 * s for p, s in zip(layers, sizes)) for k, (layers, _) in result.items()}
    assert counts["global"] == pytest.approx(counts["layerwise"], abs=1)
    assert result["layerwise"][0][:2] == pytest.approx([10.0, 10.0])
    assert all(acc > 0.3 for _, acc in result.values())


def test_02_my_shuffle_control_keeps_counts_and_values():
    ex = solution("ex02_mnist_oneshot")
    theta0 = lt.MLP.initialize((40, 30, 5), seed=0)
    masks = lt.prune_by_magnitude(theta0.weights, lt.full_masks(theta0.weights), [0.8, 0.4])
    net = ex.my_shuffle_control(theta0, masks, seed=1)
    for w0, m, w, new_m in zip(theta0.weights, masks, net.weights, net.masks):
        assert new_m.sum() == m.sum()
        assert np.array_equal(np.sort(w[new_m == 1]), np.sort(w0[m == 1]))
        assert np.all(w[new_m == 0] == 0)
    assert not np.array_equal(net.masks[0], masks[0])
    assert all(np.array_equal(a, b) for a, b in zip(net.biases, theta0.biases))


# ---- 03: iterative pruning -------------------------------------------------------------------

def test_03_schedule_matches_the_spec():
    percents = solution("ex03_mnist_iterative").schedule()
    for k, expected in {1: 80.04, 3: 51.28, 7: 21.07, 12: 6.95, 15: 3.58, 18: 1.85}.items():
        assert percents[k - 1] == pytest.approx(expected, abs=0.006)


def test_03_movement_masks_prune_the_least_moved():
    ex = solution("ex03_mnist_iterative")
    rng = np.random.default_rng(0)
    w0 = [rng.standard_normal((12, 8)), rng.standard_normal((8, 3))]
    wt = [w + rng.standard_normal(w.shape) for w in w0]
    masks = ex.movement_masks(wt, w0, lt.full_masks(w0), [0.5, 0.25])
    assert [int(m.sum()) for m in masks] == [48, 18]
    for a, b, m in zip(wt, w0, masks):
        moved = np.abs(a - b)
        assert moved[m == 1].min() >= moved[m == 0].max()


def test_03_movement_versus_magnitude_runs(mnist):
    result = solution("ex03_mnist_iterative").movement_versus_magnitude(mnist, rounds=1, iterations=30)
    for rows in result.values():
        assert [round(p, 2) for p, _ in rows] == [100.0, 80.04]


# ---- 04: examining tickets -------------------------------------------------------------------

def test_04_units_without_output():
    ex = solution("ex04_examining_tickets")
    masks = [np.ones((5, 4)), np.array([[1, 0], [0, 0], [0, 1], [0, 0]]), np.ones((2, 3))]
    masks[2][1] = 0
    assert ex.units_without_output(masks) == [2, 1]


def test_04_tickets_keep_large_initial_values(mnist):
    ex = solution("ex04_examining_tickets")
    theta0, ticket, random = ex.ticket_and_random(mnist, rounds=1, iterations=30)
    assert [int(m.sum()) for m in ticket] == [int(m.sum()) for m in random]
    t_share = ex.beyond_two_sigma_by_layer(theta0.weights, ticket)
    r_share = ex.beyond_two_sigma_by_layer(theta0.weights, random)
    assert r_share[0] == pytest.approx(0.0455, abs=0.003)
    assert t_share[0] > r_share[0] + 0.005


# ---- 05: exploring parameters ----------------------------------------------------------------

def test_05_third_hidden_layer(mnist):
    levels = solution("ex05_exploring_parameters").third_hidden_layer(mnist, rounds=1, iterations=40)
    assert [m.mean() for m in levels[1].masks] == pytest.approx([0.8, 0.8, 0.8, 0.9], abs=1e-3)
    assert levels[1].history.test_accuracy > 0.3


def test_05_late_reset_starts_from_iteration_k(mnist):
    ex = solution("ex05_exploring_parameters")
    theta0 = lt.MLP.initialize((784, 300, 100, 10), seed=0)
    theta_k, start, _ = ex.late_reset_ticket(mnist, k=20, iterations=40)
    m = start.masks[0] == 1
    assert np.array_equal(start.weights[0][m], theta_k.weights[0][m])
    assert not np.array_equal(theta_k.weights[0], theta0.weights[0])
    _, start0, _ = ex.late_reset_ticket(mnist, k=0, iterations=40)
    m0 = start0.masks[0] == 1
    assert np.array_equal(start0.weights[0][m0], theta0.weights[0][m0])
