"""After the paper: each follow-up held to its definition on tiny networks, the claims' verdicts on made-up
rows, the experiments' resumability, and the command's one-line errors."""
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import lottery_np as lt
from lottery_np.paper import after, after_report
from lottery_np.paper.cli import main

SIZES = (20, 16, 10)
SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"


@pytest.fixture(scope="module")
def data():
    """Random inputs labelled by a random linear teacher: learnable in a few hundred steps."""
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1]))

    def split(n):
        x = rng.standard_normal((n, SIZES[0])).astype(np.float32)
        return x, (x @ teacher).argmax(axis=1).astype(np.int64)
    return lt.Dataset(*split(600), *split(200), *split(300))


@pytest.fixture(scope="module")
def config():
    return lt.TrainConfig(iterations=200, batch_size=20, eval_every=50)


def ticket_masks(theta0, keep=(0.3, 0.5)):
    return lt.prune_by_magnitude(theta0.weights, lt.full_masks(theta0.weights), [1 - k for k in keep])


# ---- the four functions of lottery.py ----------------------------------------------------------

def test_interpolation_ends_are_the_two_trained_networks(data, config):
    theta0 = lt.MLP.initialize(SIZES, seed=1)
    start = lt.reset(theta0, ticket_masks(theta0))
    a, b = start.copy(), start.copy()
    lt.train(a, data, config, seed=0)
    lt.train(b, data, config, seed=1)
    errors = after.instability(a, b, data.x_test, data.y_test, alphas=[0.0, 0.5, 1.0])
    assert errors[0] == 1 - a.evaluate(data.x_test, data.y_test)[1]
    assert errors[-1] == 1 - b.evaluate(data.x_test, data.y_test)[1]
    assert after.path_instability(errors) == max(errors) - (errors[0] + errors[-1]) / 2
    mid = lt.interpolate(a, b, 0.5)
    for p, q, r in zip(a.weights + a.biases, b.weights + b.biases, mid.weights + mid.biases):
        np.testing.assert_allclose(r, (p + q) / 2, rtol=1e-6)
    assert all(np.array_equal(m, n) for m, n in zip(mid.masks, a.masks))
    with pytest.raises(ValueError, match="same masks"):
        lt.interpolate(a, lt.reset(theta0, lt.full_masks(theta0.weights)), 0.5)


def test_signs_control_keeps_every_sign_and_no_magnitude_of_theta0():
    theta0 = lt.MLP.initialize(SIZES, seed=2)
    masks = ticket_masks(theta0)
    net = lt.signs_control(theta0, masks, seed=5)
    control1 = lt.reinit_control(theta0, masks, seed=5)
    for w0, w, c, m in zip(theta0.weights, net.weights, control1.weights, masks):
        kept = m == 1
        assert np.array_equal(np.sign(w[kept]), np.sign(w0[kept]))
        assert np.array_equal(np.abs(w[kept]), np.abs(c[kept]))  # control 1's magnitudes, θ0's signs
        assert not np.isin(np.abs(w[kept]), np.abs(w0[kept])).any()
        assert np.all(w[~kept] == 0)
    again = lt.signs_control(theta0, masks, seed=5)
    assert all(np.array_equal(p, q) for p, q in zip(net.weights, again.weights))
    assert not np.array_equal(net.weights[0], lt.signs_control(theta0, masks, seed=6).weights[0])


def test_random_pruning_keeps_counts_and_theta0_where_it_stands():
    theta0 = lt.MLP.initialize(SIZES, seed=3)
    masks = ticket_masks(theta0)
    net = lt.random_pruning(theta0, masks, seed=7)
    for w0, w, m, new_m in zip(theta0.weights, net.weights, masks, net.masks):
        assert new_m.sum() == m.sum()
        assert np.array_equal(w[new_m == 1], w0[new_m == 1])
        assert np.all(w[new_m == 0] == 0)
    assert not np.array_equal(net.masks[0], masks[0])
    assert all(np.array_equal(p, q) for p, q in zip(net.masks, lt.random_pruning(theta0, masks, seed=7).masks))


def test_supermask_is_large_final_same_sign_with_the_tickets_counts(data, config):
    theta0 = lt.MLP.initialize(SIZES, seed=4)
    trained = theta0.copy()
    lt.train(trained, data, config, seed=0)
    masks = ticket_masks(theta0)
    chosen = lt.supermask(theta0, trained, masks)
    for w0, wt, m, s in zip(theta0.weights, trained.weights, masks, chosen):
        assert s.sum() == m.sum()
        same = np.sign(wt) == np.sign(w0)
        assert np.all(same[s == 1])
        assert np.abs(wt[s == 1]).min() >= np.abs(wt[(s == 0) & same]).max()
    net = lt.reset(theta0, chosen)  # untrained: θ0's values at the chosen positions
    assert all(np.array_equal(w, w0 * s) for w, w0, s in zip(net.weights, theta0.weights, chosen))


def test_the_supermask_experiment_trains_only_the_unpruned_network(data, config):
    theta0 = lt.MLP.initialize(SIZES, seed=5)
    before = [w.copy() for w in theta0.weights]
    trained = []

    def spy(net, data, config, seed=0, callback=None):
        trained.append(net.fraction_remaining())
        return lt.train(net, data, config, seed=seed)
    tickets = [after.given_tickets(theta0, {2: ticket_masks(theta0)})]
    rows = after.supermask_experiment(tickets, data, config, trainer=spy)
    ticket = lt.reset(theta0, ticket_masks(theta0)).fraction_remaining()
    assert trained == [pytest.approx(ticket), 1.0]  # the ticket (its own row), then the unpruned network
    assert all(np.array_equal(w, b) for w, b in zip(theta0.weights, before))
    kinds = {r["kind"]: r for r in rows}
    assert set(kinds) == {"ticket", "supermask", "supermask_signed", "ticket_untrained"}
    for kind in ("supermask", "supermask_signed"):
        assert kinds[kind]["percent_remaining"] == pytest.approx(kinds["ticket"]["percent_remaining"])
        assert kinds[kind]["convergence_iteration"] == 0


def test_signed_constant_keeps_the_mask_and_theta0_signs_with_one_magnitude_per_layer():
    theta0 = lt.MLP.initialize(SIZES, seed=2)
    masks = ticket_masks(theta0)
    net = lt.signed_constant(theta0, masks)
    for w0, w, m, m_net in zip(theta0.weights, net.weights, masks, net.masks):
        kept = m == 1
        assert np.array_equal(m_net, m) and w.dtype == w0.dtype
        assert np.array_equal(np.sign(w[kept]), np.sign(w0[kept]))
        assert np.all(np.abs(w[kept]) == w0.std()) and np.all(w[~kept] == 0)
    assert all(np.array_equal(b, b0) for b, b0 in zip(net.biases, theta0.biases))


# ---- the experiments: rows, resumable ----------------------------------------------------------

def test_experiments_write_rows_and_resume_without_training(data, config, tmp_path):
    tickets = after.find_tickets(data, config, levels=(0, 2), trials=2, sizes=SIZES, trainer=lt.train, out=tmp_path)
    assert [r["level"] for r in tickets[0].rows] == [0, 2]
    rows = after.stability_experiment(tickets, data, config, alphas=[0, 0.5, 1], trainer=lt.train, out=tmp_path)
    assert {(r["kind"], r["level"]) for r in rows} == {(k, lv) for k in ("ticket", "reinit", "random") for lv in (0, 2)}
    assert all(r["instability"] >= 0 and len(r["errors"]) == 3 for r in rows)
    acc = after.random_pruning_experiment(tickets, data, config, trainer=lt.train, out=tmp_path)
    assert {r["kind"] for r in acc} == {"ticket", "random"}

    def refuse(*args, **kwargs):
        raise AssertionError("a saved training was trained again")
    refuse.__name__ = "train"  # the trainer is part of a training's key: this one stands for lt.train
    again = after.find_tickets(data, config, levels=(0, 2), trials=2, sizes=SIZES, trainer=refuse, out=tmp_path)
    assert again[1].rows == tickets[1].rows
    assert all(np.array_equal(p, q) for p, q in zip(again[1].masks[2], tickets[1].masks[2]))
    assert after.stability_experiment(again, data, config, alphas=[0, 0.5, 1], trainer=refuse, out=tmp_path) == \
        [dict(r) for r in rows]



def test_a_folder_without_its_trainings_takes_its_tickets_from_its_ticket_file(data, config, tmp_path):
    """A committed run keeps tickets.npz, not its trainings: a later question starts from the same tickets
    (masks bit for bit, rows as found) without searching, and what it trains again gives the search's numbers."""
    import shutil
    found = after.find_tickets(data, config, levels=(0, 2), trials=2, sizes=SIZES, trainer=lt.train, out=tmp_path)
    supermasks = after.supermask_experiment(found, data, config, trainer=lt.train)
    shutil.rmtree(tmp_path / "trainings")  # a clone of the committed folder

    def refuse(*args, **kwargs):
        raise AssertionError("searched again")
    refuse.__name__ = "train"
    kept = after.find_tickets(data, config, levels=(0, 2), trials=2, sizes=SIZES, trainer=refuse, out=tmp_path)
    for k, f in zip(kept, found):
        assert k.rows == f.rows and k.trained == {}
        for lv in (0, 2):
            assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(k.masks[lv], f.masks[lv]))
    assert after.supermask_experiment(kept, data, config, trainer=lt.train) == supermasks  # round 0 trained again
    again = after.stability_experiment(kept, data, config, kinds=("ticket",), alphas=[0, 1], trainer=lt.train)
    assert [r["test_accuracy_a"] for r in again] == [r["test_accuracy"] for f in found for r in f.rows]
    with pytest.raises(AssertionError, match="searched again"):  # another seed: another search, not this file's
        after.find_tickets(data, config, levels=(0, 2), trials=1, sizes=SIZES, seed=1, trainer=refuse, out=tmp_path)


def test_the_ticket_file_serves_the_levels_it_holds_and_where_trainings_are_kept_nothing_is_trained_again(
        data, config, tmp_path):
    levels = np.array([0, 2])  # numpy integers, as a notebook may give them
    found = after.find_tickets(data, config, levels=levels, trials=1, sizes=SIZES, trainer=lt.train, out=tmp_path)
    calls = []

    def counts(net, data, config, seed=0, callback=None):
        calls.append(net.fraction_remaining())
        return lt.train(net, data, config, seed=seed)
    counts.__name__ = "train"
    kept = after.find_tickets(data, config, levels=[0], trials=1, sizes=SIZES, trainer=counts, out=tmp_path)
    assert calls == [] and kept[0].trained == {} and kept[0].rows == found[0].rows[:1]  # a subset: from the file
    after.supermask_experiment(after.find_tickets(data, config, levels=[0, 2], trials=1, sizes=SIZES, trainer=counts,
                                                  out=tmp_path), data, config, trainer=counts, out=tmp_path)
    after.stability_experiment(kept, data, config, kinds=("ticket",), alphas=[0, 1], trainer=counts, out=tmp_path)
    assert calls == [1.0]  # round 0 and copy A read back from the trainings; copy B trained
    calls.clear()
    more = after.find_tickets(data, config, levels=[0, 2, 3], trials=1, sizes=SIZES, trainer=counts, out=tmp_path)
    assert len(calls) == 1 and more[0].rows[:2] == found[0].rows  # round 3 was never found: searched, 0-2 read back
    other = after.TicketFile(tmp_path, {"sizes": list(SIZES), "seed": 7})  # another search: not used, not replaced
    assert other.other and other.tickets(0, found[0].theta0, [0]) is None
    before = (tmp_path / "tickets.npz").read_bytes()
    other.add(found[0])
    assert (tmp_path / "tickets.npz").read_bytes() == before

# ---- the claims, on made-up rows ---------------------------------------------------------------

def rows_of(kind, values, key="test_accuracy", level=5, percent=20.0):
    return [dict(kind=kind, trial=t, level=level, percent_remaining=percent, diverged=False, **{key: v})
            for t, v in enumerate(values)]


@pytest.mark.parametrize("values, expected", [([0.001, 0.003, 0.002, 0.0], "yes"),
                                              ([0.05, 0.06, 0.055, 0.058], "no"),
                                              ([0.0, 0.04, 0.01, 0.03], "undecided")])
def test_stability_claim(values, expected):
    v = after_report.stability_claim(rows_of("ticket", values, key="instability"))
    assert v.result == expected
    assert ("tickets would" in v.decide or "more than" in v.decide) == (expected == "undecided")


@pytest.mark.parametrize("values, expected", [([0.80, 0.82, 0.85], "yes"), ([0.20, 0.22, 0.21], "partly"),
                                              ([0.09, 0.10, 0.08], "no"), ([0.1, 0.9, 0.5], "undecided")])
def test_supermask_claim(values, expected):
    assert after_report.supermask_claim(rows_of("supermask", values)).result == expected


def test_random_and_signs_claims():
    ticket = rows_of("ticket", [0.97, 0.96, 0.97])
    assert after_report.random_claim(ticket + rows_of("random", [0.90, 0.91, 0.89])).result == "yes"
    assert after_report.random_claim(ticket + rows_of("random", [0.97, 0.96, 0.97])).result == "no"
    reinit = rows_of("reinit", [0.90, 0.91, 0.90])
    assert after_report.signs_claim(ticket + reinit + rows_of("signs", [0.96, 0.955, 0.965])).result == "yes"
    assert after_report.signs_claim(ticket + reinit + rows_of("signs", [0.90, 0.91, 0.90])).result == "no"
    one = after_report.signs_claim(ticket[:1] + reinit[:1] + rows_of("signs", [0.96])[:1])
    assert one.result == "undecided" and "--trials" in one.decide


# ---- the command ----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, names", [(["stability", "--trials", "0"], "--trials"),
                                         (["signs", "--levels", "0"], "--levels"),
                                         (["supermask", "--iterations", "-5"], "--iterations"),
                                         (["stabilty"], "stabilty"),
                                         (["random", "--trials", "two"], "--trials"),
                                         (["stability", "--points", "1"], "--points")])
def test_bad_input_is_one_line(argv, names, capsys):
    assert main(["after", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and names in err and "Traceback" not in err


def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["after", "random", "--out", str(tmp_path / "f")]) == 2
    assert "--out" in capsys.readouterr().err


# ---- the exercises of notebooks/06_after_the_paper.ipynb ---------------------------------------

def exercise():
    if str(SOLUTIONS) not in sys.path:
        sys.path.insert(0, str(SOLUTIONS))  # the solutions import their shared _common module
    return importlib.import_module("ex06_after_the_paper")


def test_06_rewound_instability_is_a_fraction(data):
    ex = exercise()
    for k in (0, 50):
        v = ex.rewound_instability(data, k, iterations=200, sizes=SIZES)
        assert 0 <= v <= 1


def test_06_signed_constant_keeps_signs_with_one_magnitude_per_layer(data):
    ex = exercise()
    theta0 = lt.MLP.initialize(SIZES, seed=0)
    masks = ticket_masks(theta0)
    net = ex.signed_constant(theta0, masks)
    for w0, w, m in zip(theta0.weights, net.weights, masks):
        kept = m == 1
        assert np.array_equal(np.sign(w[kept]), np.sign(w0[kept]))
        assert np.allclose(np.abs(w[kept]), w0.std()) and np.all(w[~kept] == 0)
    ours = lt.signed_constant(theta0, masks)  # the committed run's supermask_signed rows use this one
    assert np.array_equal(net.evaluate(data.x_test, data.y_test)[1], ours.evaluate(data.x_test, data.y_test)[1])
    r = ex.supermask_versus_signed_constant(data, iterations=100, rounds=1, sizes=SIZES)
    assert 0 <= r["θ0"] <= 1 and 0 <= r["signed constant"] <= 1


def test_06_global_random_pruning_keeps_the_total(data):
    ex = exercise()
    theta0 = lt.MLP.initialize(SIZES, seed=0)
    masks = ticket_masks(theta0)
    net = ex.global_random_pruning(theta0, masks, seed=3)
    assert sum(m.sum() for m in net.masks) == sum(m.sum() for m in masks)
    assert all(np.array_equal(w[m == 1], w0[m == 1]) for w, w0, m in zip(net.weights, theta0.weights, net.masks))
    out = ex.layerwise_versus_global_random(data, iterations=100, rounds=1, sizes=SIZES)
    assert out["per layer"][0] == [80.0, 90.0]


def test_an_interrupted_search_resumes_at_its_round(data, config, tmp_path):
    calls = []

    def stops_after_two(net, data, config, seed=0, callback=None):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(seed)
        return lt.train(net, data, config, seed=seed)
    stops_after_two.__name__ = "train"
    with pytest.raises(KeyboardInterrupt):
        after.find_tickets(data, config, levels=(0, 3), trials=1, sizes=SIZES, trainer=stops_after_two, out=tmp_path)
    calls.clear()

    def counts(net, data, config, seed=0, callback=None):
        calls.append(seed)
        return lt.train(net, data, config, seed=seed)
    counts.__name__ = "train"
    resumed = after.find_tickets(data, config, levels=(0, 3), trials=1, sizes=SIZES, trainer=counts, out=tmp_path)
    assert len(calls) == 2  # rounds 2 and 3; rounds 0 and 1 were saved before the interruption
    fresh = after.find_tickets(data, config, levels=(0, 3), trials=1, sizes=SIZES, trainer=lt.train)
    assert resumed[0].rows == fresh[0].rows
    assert all(np.array_equal(p, q) for p, q in zip(resumed[0].trained[3].weights, fresh[0].trained[3].weights))
    calls.clear()
    after.find_tickets(data, config, levels=(1, 2), trials=1, sizes=SIZES, trainer=counts, out=tmp_path)
    assert calls == []  # other levels of the same search: every round is saved


def test_lottery_np_report_writes_an_after_folders_report_again_from_its_json(tmp_path, capsys):
    rows = rows_of("supermask", [0.62, 0.70, 0.66]) + rows_of("ticket_untrained", [0.55, 0.60, 0.58])
    settings = dict(question="supermask", trials=3, iterations=200, levels=[0, 5], draws=1, trainer="train", seed=0)
    after_report.write_results(tmp_path, "supermask", rows, after_report.supermask_claim(rows), settings, 1.0)
    written = (tmp_path / "REPORT.md").read_bytes()
    (tmp_path / "REPORT.md").unlink()
    (tmp_path / "supermask.png").unlink()
    assert main(["report", str(tmp_path)]) == 0
    assert (tmp_path / "REPORT.md").read_bytes() == written and (tmp_path / "supermask.png").exists()
    assert "report:" in capsys.readouterr().out


@pytest.mark.parametrize("folder", ["after", "after/supermask-every-round"])
def test_the_committed_after_report_is_written_again_the_same(tmp_path, folder):
    import shutil
    committed = Path(__file__).resolve().parent.parent / "docs" / folder
    copy = tmp_path / "docs" / folder  # the same depth as the committed folder, for the report's links
    shutil.copytree(committed, copy)
    (copy / "REPORT.md").unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / "REPORT.md").read_bytes() == (committed / "REPORT.md").read_bytes()
