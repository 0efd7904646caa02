"""Section 2 (XOR): outcome criteria, unit heuristics on hand-built nets, and the fast path against the ordinary one."""
import json

import numpy as np
import pytest

from lottery_np.paper import xor as X
from lottery_np.paper.cli import main
from lottery_np.data import xor_data
from lottery_np.pruning import prune_units, unit_scores


def test_outcome_criteria_on_hand_built_outputs():
    y = xor_data()[1]  # 0 1 1 0
    assert X.outcome([-3, 2, 5, -1], 0.01, y) == (True, True)
    assert X.outcome([-3, 2, 5, -1], 0.2, y) == (True, False)  # right side, loss not yet ~0
    assert X.outcome([-3, 2, -0.1, -1], 0.01, y) == (False, True)  # one point wrong
    assert X.outcome([-3, 0, 5, -1], 0.0, y) == (False, True)  # z = 0 is not "class 1"


def test_a_hand_set_two_unit_net_solves_xor():
    # h1 = relu(x1 + x2), h2 = relu(x1 + x2 - 1); z = 4 h1 - 8 h2 - 2  → -2, 2, 2, -2
    w = [np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[4.0], [-8.0]])]
    b = [np.array([0.0, -1.0]), np.array([-2.0])]
    net, db, zl, loss = X.train_one(w, b, iterations=0)
    assert db and not zl and loss == pytest.approx(np.log1p(np.exp(-2)))
    _, db, zl, _ = X.train_one(w, b, iterations=1000)
    assert db and zl


def hand_net():
    """Four hidden units with known scores: unit 0 big in, tiny out; unit 1 tiny in, big out;
    unit 2 medium both; unit 3 dead small."""
    w_in = np.array([[3.0, 0.1, 1.0, 0.05], [3.0, 0.1, 1.0, 0.05]])
    w_out = np.array([[0.1], [3.0], [1.0], [0.05]])
    return [w_in, w_out], [np.ones_like(w_in), np.ones_like(w_out)]


@pytest.mark.parametrize("heuristic, removed_first, scores", [
    ("input", [3, 1], [3.0, 0.1, 1.0, 0.05]),
    ("output", [3, 0], [0.1, 3.0, 1.0, 0.05]),
    ("product", [3, 0], [0.6, 0.6, 2.0, 0.005]),  # units 0 and 1 tie: the lower index goes
])
def test_each_heuristic_removes_the_unit_it_should(heuristic, removed_first, scores):
    weights, masks = hand_net()
    np.testing.assert_allclose(unit_scores(weights, masks, heuristic), scores)
    new = prune_units(weights, masks, 2, heuristic)
    gone = sorted(np.flatnonzero(new[1][:, 0] == 0))
    assert gone == sorted(removed_first)
    assert np.all(new[0][:, gone] == 0) and np.all(masks[1] == 1)  # inputs untouched


def test_fast_path_matches_the_ordinary_layers_trial_by_trial():
    trials = 24
    for hidden in (10, 2):
        theta = X.stack_trials(hidden, seed=3, trials=trials)
        mask = np.ones((trials, hidden))
        if hidden == 10:  # also check pruned networks: drop units per a product ranking of θ0
            mask = X.prune_stacked(theta, mask, 6, "product")
        db, zl, loss = X.train_many(*X._copy(theta), mask)
        for t in range(trials):
            (w1, w2), (b1, b2) = X.init_trial(hidden, 3, t)
            masks = [np.repeat(mask[t][None, :], 2, axis=0), mask[t][:, None]]
            _, db1, zl1, loss1 = X.train_one([w1, w2], [b1, b2], masks)
            assert (db1, zl1) == (db[t], zl[t])
            assert loss1 == pytest.approx(loss[t], rel=1e-6, abs=1e-12)


def test_single_trial_can_be_rerun_alone():
    theta_all = X.stack_trials(6, seed=0, trials=5)
    (w1, w2), _ = X.init_trial(6, 0, 4)
    np.testing.assert_array_equal(theta_all[0][4], w1)


def test_cli_writes_tables_and_json(tmp_path, capsys):
    assert main(["xor", "--trials", "30", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| 2 |" in out and "iterative product" in out and "49.1" in out  # the paper's number beside ours
    r = json.loads((tmp_path / "xor.json").read_text())
    assert set(r["random_init"]) == {"10", "8", "6", "4", "2"}
    assert set(r["pruned"]) == set(X.STRATEGIES) and set(r["pruned"]["input_magnitude"]) == {"10", "4", "2"}
    assert r["paper"]["pruned"]["iterative_product"]["2"] == {"db": 91.5, "zl": 79.4}
    # zero loss (every point's probability ≳ 0.82 on its label) implies the boundary was found
    assert all(v["zl"] <= v["db"] for table in [r["random_init"], *r["pruned"].values()] for v in table.values())
    assert r["settings"]["trials"] == 30


def test_bad_trial_count_is_a_message(capsys):
    assert main(["xor", "--trials", "0"]) == 2
    assert "trials" in capsys.readouterr().err
