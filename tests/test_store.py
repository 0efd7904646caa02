"""Trainings stored by what determines them: the same numbers as before, each distinct training
run once, folders that grow, tickets taken out as files, compact folders, and runs that stop cleanly.

Real MNIST with a tiny network (784-40-20-10, 60 iterations), so that every run takes seconds.
"""
import errno
import json
from pathlib import Path

import numpy as np
import pytest

import lottery_np as lt
from lottery_np.paper import runner, store as store_module
from lottery_np.paper.cli import main
from lottery_np.paper.experiments import Unit, distinct, plan, unit_key
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.paper.estimate import describe_estimate
from lottery_np.paper.folders import ResultsFolder, open_existing, read_summary
from lottery_np.paper.levels import curve_levels
from lottery_np.paper.plans import all_folders, make_plan
from lottery_np.paper.plots import write_outputs
from lottery_np.paper.runner import run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = dict(sizes=(784, 40, 20, 10), iterations=60, eval_every=20, trials=1, controls=1, rounds=2, fractions=(0.5,))
CLI = ["--iterations", "60", "--eval-every", "20", "--sizes", "784", "40", "20", "10", "--quiet"]


def small(**kw):
    return ExperimentConfig(**{**SMALL, **kw})


def trainings_in(store):
    """Every training file of a store, with its modification time."""
    return {p.name: p.stat().st_mtime_ns for p in Path(store).glob("*.npz")}


# The plan of tests/fixtures/tiny_plan_summaries_numpy.json: its summaries were written by lottery_np before
# trainings were stored by content (commit 5f07508), with the readable NumPy path (which the engine's changes
# leave alone), by running every folder of this plan with runner.run.
FIXTURE_PLAN = dict(sizes=(784, 40, 20, 10), iterations=60, eval_every=20, trials=2, controls=1, fractions=(0.5, 0.1),
                    rounds=3, sweep_trials=1, sweep_rounds=2, sweep_fractions=(0.5,), xor_trials=20,
                    values={"init-std": (0.05, 0.1, 0.2), "size": ((30, 10), (40, 20)), "rate": (0.2, 0.5),
                            "late-reset": (0, 20)}, oneshot={}, iterative={}, sweeps=True, record_test_curve=True)


def test_a_small_plan_gives_the_numbers_it_gave_before_each_training_once(tmp_path):
    folders = all_folders(*make_plan("quick", backend="numpy", overrides=FIXTURE_PLAN))
    run([(tmp_path / f, c) for f, c in folders], jobs=2, progress=False, store=tmp_path / "trainings")
    before = json.loads((FIXTURES / "tiny_plan_summaries_numpy.json").read_text())
    now = {f: (tmp_path / f / "summary.csv").read_text() for f, _ in folders}
    assert set(now) == set(before)
    for f in before:  # every row and every number the same; a loss may differ in its last float32 digits,
        old_rows, new_rows = before[f].splitlines(), now[f].splitlines()  # as BLAS rounds by CPU model
        assert old_rows[0] == new_rows[0] and len(old_rows) == len(new_rows), f
        loss = old_rows[0].split(",").index("min_val_loss")
        for a, b in zip(old_rows[1:], new_rows[1:]):
            a, b = a.split(","), b.split(",")
            assert a[:loss] + a[loss + 1:] == b[:loss] + b[loss + 1:], (f, a, b)
            assert float(a[loss]) == pytest.approx(float(b[loss]), rel=1e-6), (f, a, b)
    rows = sum(len(plan(c)) for _, c in folders)
    assert len(trainings_in(tmp_path / "trainings")) == len(distinct(c for _, c in folders)) < rows


def test_experiments_sharing_trainings_train_them_once(tmp_path):
    iterative, oneshot = small(experiment="iterative"), small(experiment="oneshot")
    no_reset = iterative.replace(reset="none", controls=0)  # shares only the unpruned network
    experiments = [(tmp_path / "it", iterative), (tmp_path / "os", oneshot), (tmp_path / "none", no_reset)]
    surveyed = []
    run(experiments, progress=False, announce=surveyed.append)
    store = tmp_path / "trainings"
    expected = len(plan(iterative)) + len(plan(oneshot)) - 1 + len(plan(no_reset)) - 1
    assert len(surveyed[0].todo) == expected == len(trainings_in(store))
    shared = unit_key(iterative, Unit(0))
    assert unit_key(oneshot, Unit(0)) == unit_key(no_reset, Unit(0)) == shared
    for path, cfg in experiments:  # each folder lists the shared training under its own experiment
        rows = read_summary(path)
        assert len(rows) == len(plan(cfg)) and rows[0]["experiment"] == cfg.experiment
    assert read_summary(tmp_path / "it")[0] == {**read_summary(tmp_path / "os")[0], "experiment": "iterative"}
    before = trainings_in(store)
    again = []
    run([(tmp_path / "os-again", oneshot)], progress=False, announce=again.append)  # a new folder, same root
    assert again[0].todo == [] and trainings_in(store) == before  # nothing trained again
    assert (tmp_path / "os-again" / "summary.csv").read_text() == (tmp_path / "os" / "summary.csv").read_text()


def test_a_folder_grows_by_a_round_a_trial_and_a_draw_training_only_the_new_ones(tmp_path, capsys):
    out = tmp_path / "grow" / "it"
    args = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "2"]
    assert main(args) == 0
    first = trainings_in(tmp_path / "grow" / "trainings")
    assert len(first) == 1 + 2 * (1 + 2)
    capsys.readouterr()
    bigger = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "2", "--controls", "2", "--rounds", "3"]
    assert main(bigger) == 0
    said = capsys.readouterr().out.splitlines()[0]
    assert "25 trainings to run (7 of 32 already done)" in said and "trainings" in said
    grown = trainings_in(tmp_path / "grow" / "trainings")
    assert len(grown) == 2 * (1 + 3 * (1 + 4)) and {k: grown[k] for k in first} == first  # old ones untouched
    assert json.loads((out / "config.json").read_text())["rounds"] == 3
    # the grown folder holds what a fresh run of the bigger experiment gives
    fresh = tmp_path / "fresh" / "it"
    assert main([*bigger[:-6], "--out", str(fresh), *bigger[-6:]]) == 0
    assert (out / "summary.csv").read_text() == (fresh / "summary.csv").read_text()
    assert (out / "summary.md").read_text() == (fresh / "summary.md").read_text()
    # asking for less keeps what the folder holds, and trains nothing
    assert main(args) == 0 and len(read_summary(out)) == 32 and trainings_in(tmp_path / "grow" / "trainings") == grown


def test_controls_at_some_levels_grow_to_every_level(tmp_path, capsys):
    out = tmp_path / "it"
    args = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "3"]
    assert main([*args, "--control-levels", "2"]) == 0
    first = trainings_in(tmp_path / "trainings")
    assert len(first) == 1 + 3 + 2 and {r["level"] for r in read_summary(out) if r["kind"] != "ticket"} == {2}
    capsys.readouterr()
    assert main(args) == 0  # no --control-levels: every level
    assert "4 trainings to run (6 of 10 already done)" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["control_levels"] is None


def test_one_shot_levels_are_added_after_the_folders_and_other_changes_are_refused(tmp_path, capsys):
    out = tmp_path / "os"
    base = ["mnist", "oneshot", *CLI, "--out", str(out), "--trials", "1", "--controls", "1"]
    assert main([*base, "--levels", "50"]) == 0
    before = trainings_in(tmp_path / "trainings")
    assert main([*base, "--levels", "50", "20"]) == 0
    assert len(trainings_in(tmp_path / "trainings")) == len(before) + 3  # the new level's ticket and two controls
    capsys.readouterr()
    summary = (out / "summary.csv").read_text()
    assert main([*base, "--levels", "20", "50"]) == 2  # would move level 1's controls to other draws
    assert "fractions (--levels): 50 20 there, 20 50 now" in capsys.readouterr().err
    assert main([*base, "--levels", "50", "20", "--init-std", "0.05"]) == 2
    assert "init_std: 0.1 there, 0.05 now" in capsys.readouterr().err
    assert (out / "summary.csv").read_text() == summary


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """An iterative folder trained with --keep-weights."""
    out = tmp_path_factory.mktemp("kept") / "it"
    assert main(["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "2",
                 "--keep-weights"]) == 0
    return out


@pytest.mark.parametrize("kind, level", [("ticket", 2), ("shuffle", 1), ("ticket", 0)])
def test_an_exported_ticket_trains_to_its_stored_result_exactly(kept, tmp_path, kind, level, capsys):
    path = tmp_path / "ticket.npz"
    assert main(["export", str(kept), "--level", str(level), "--kind", kind, "--out", str(path)]) == 0
    assert "with its trained weights" in capsys.readouterr().out
    ticket = lt.load_ticket(path)
    row = next(r for r in read_summary(kept) if (r["kind"], r["level"], r["trial"]) == (kind, level, 0))
    assert ticket.result["percent_remaining"] == row["percent_remaining"]
    net = ticket.net.copy()
    data = lt.load_mnist(**ticket.data)
    history = lt.train_fused(net, data, ticket.config, seed=ticket.order_seed)
    assert history.convergence_iteration == row["convergence_iteration"] == ticket.result["convergence_iteration"]
    assert history.test_accuracy == row["test_accuracy"] and history.min_val_loss == row["min_val_loss"]
    for w, trained in zip(net.weights, ticket.trained[0]):
        np.testing.assert_array_equal(w, trained)  # the very weights the run kept
    assert ticket.train(data).test_accuracy == row["test_accuracy"]


def test_save_and_load_a_ticket_in_python(tmp_path):
    net = lt.MLP.initialize((784, 20, 10), seed=3)
    config = lt.TrainConfig(iterations=40, eval_every=20)
    lt.save_ticket(tmp_path / "t.npz", lt.Ticket(net, config, seed=[0, 1, 1, 0, 0], data={"n_validation": 5000}))
    ticket = lt.load_ticket(tmp_path / "t.npz")
    for a, b in zip(ticket.net.weights + ticket.net.masks, net.weights + net.masks):
        np.testing.assert_array_equal(a, b)
    assert ticket.config == config and ticket.trained is None
    assert not list(tmp_path.glob(".*"))
    with pytest.raises(lt.ResultsError, match="not a ticket file"):
        lt.load_ticket(tmp_path / "missing.npz")


def test_a_compact_folder_is_read_redrawn_and_grown_without_its_store(tmp_path):
    out = tmp_path / "it"
    args = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1"]
    assert main([*args, "--rounds", "2"]) == 0
    assert main(["examine", str(out), "--out", str(tmp_path / "ex-before")]) == 0
    summary_md = (out / "summary.md").read_text()
    assert main(["compact", str(out)]) == 0
    (tmp_path / "trainings").rename(tmp_path / "elsewhere")  # a clone: the store is not there
    folder = open_existing(out)
    assert folder.compact and len(folder.records()) == 7
    assert main(["examine", str(out), "--out", str(tmp_path / "ex-after")]) == 0
    assert (tmp_path / "ex-after" / "summary.md").read_text() == (tmp_path / "ex-before" / "summary.md").read_text()
    assert main(["mnist", "plot", str(out)]) == 0
    assert (out / "summary.md").read_text() == summary_md and (out / "training_curves.png").stat().st_size > 10000
    assert main([*args, "--rounds", "3"]) == 0  # grows from the masks it keeps: round 3's ticket and controls
    assert len(trainings_in(tmp_path / "trainings")) == 3 and len(read_summary(out)) == 10


def test_a_sweep_beside_a_compact_experiment_borrows_its_trainings_instead_of_training_them_again(tmp_path):
    """A plan run in parts on a new machine: the committed part (compact, no store) lends the trainings a
    later part shares with it, with the same numbers as training them; ``--masks last`` keeps one round's masks."""
    base = small(experiment="iterative", controls=0, trials=2)
    alone = tmp_path / "alone"
    run([(alone / "rate-0.2", base)], progress=False)  # the sweep variant trained from nothing: the reference
    plan_root = tmp_path / "plan"
    run([(plan_root / "mnist-iterative", base.replace(controls=1))], progress=False)
    assert main(["compact", str(plan_root / "mnist-iterative")]) == 0
    (plan_root / "trainings").rename(tmp_path / "gone")  # the new machine has only what was committed
    variants = [(plan_root / "sweep-rate" / "rate-0.2", base), (plan_root / "sweep-rate" / "rate-0.5", base.replace(rate=0.5))]
    store = plan_root / "trainings"  # the plan's one store, as `reproduce --only sweep-rate` passes it
    todo = runner.survey(variants, store).todo  # rate-0.5's two pruned rounds of 2 trials, and the unpruned
    assert sorted((t.unit.level, t.unit.trial) for t in todo) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    run(variants, progress=False, store=store)  # networks again: the compact folder keeps no trained weights to prune
    assert len(trainings_in(store)) == 6  # the rest was lent
    assert (plan_root / "sweep-rate" / "rate-0.2" / "summary.csv").read_text() == (alone / "rate-0.2" / "summary.csv").read_text()
    assert main(["compact", str(plan_root / "sweep-rate"), "--masks", "last"]) == 0  # a sweep: each variant
    sizes = (plan_root / "sweep-rate" / "rate-0.5" / "tickets.npz").stat().st_size
    with np.load(plan_root / "sweep-rate" / "rate-0.5" / "tickets.npz") as f:
        assert sorted({k.split("__")[0] for k in f.files}) == ["ticket-t0-l02", "ticket-t1-l02"] and sizes
    assert not (plan_root / "sweep-rate" / "rate-0.2" / "tickets.npz").exists()  # its masks and curves are kept
    curves = json.loads((plan_root / "sweep-rate" / "rate-0.2" / "curves.json").read_text())  # beside it, but for
    assert sorted(curves) == ["ticket-t0-l00", "ticket-t1-l00"]  # the unpruned networks it trained again itself
    (plan_root / "trainings").rename(tmp_path / "gone-too")
    for v, _ in variants:
        assert len(open_existing(v).records()) == 6


def test_a_compact_borrower_keeps_what_it_trained_and_reads_what_it_was_lent_from_where_it_was_made(tmp_path):
    """Compacting a folder keeps the masks of every training it ran itself, even one a compact folder beside
    it also keeps; the masks of one it was lent are read from the lender, on a clone too; and a training to
    run that starts from trained weights retrains the lent ones it needs down the whole chain."""
    base = small(experiment="iterative", controls=0, trials=1)
    root = tmp_path / "plan"
    run([(root / "mnist-iterative", base), (root / "sweep-reset" / "iterative-none", base.replace(reset="none"))],
        progress=False)
    for folder in ("mnist-iterative", "sweep-reset"):
        assert main(["compact", str(root / folder)]) == 0
    (root / "trainings").rename(tmp_path / "gone")  # a new machine: only the committed folders
    made = {k: v for k, v in open_existing(root / "mnist-iterative").load(Unit(2, "ticket", 0), arrays=True)[1].items()}
    k0 = root / "sweep-late-reset" / "k-0"  # the same tickets: every training lent
    k20 = root / "sweep-late-reset" / "k-20"  # the unpruned network trained again: its weights of iteration 20
    longer = root / "sweep-reset-longer" / "iterative-none"  # one round more without reset: the chain trained again
    folders = [(k0, base), (k20, base.replace(reset_iteration=20)), (longer, base.replace(reset="none", rounds=3))]
    todo = {t.key for t in runner.survey(folders, root / "trainings").todo}
    assert todo == {unit_key(cfg, Unit(level, "ticket", 0)) for _, cfg in folders[1:] for level in range(cfg.rounds + 1)}
    run(folders, progress=False, store=root / "trainings")
    for folder in (k0, longer):
        assert main(["compact", str(folder)]) == 0
    with np.load(k0 / "tickets.npz") as f:  # rounds 1-2 lent, so kept by mnist-iterative alone; the unpruned
        assert {k.split("__")[0] for k in f.files} == {"ticket-t0-l00"}  # network is this run's (`longer` needed it)
    with np.load(longer / "tickets.npz") as f:  # each also kept beside it, but it trained them itself
        assert {k.split("__")[0] for k in f.files} == {f"ticket-t0-l0{level}" for level in range(4)}
    (root / "trainings").rename(tmp_path / "gone-too")
    lent = open_existing(k0).load(Unit(2, "ticket", 0), arrays=True)[1]  # read from where it was made
    assert sorted(lent) == sorted(made) and all(np.array_equal(lent[k], made[k]) for k in made)
    oneshot = small(experiment="oneshot", controls=0, fractions=(0.5, 0.2))
    run([(tmp_path / "os" / "mnist-oneshot", oneshot)], progress=False)
    assert main(["compact", str(tmp_path / "os" / "mnist-oneshot")]) == 0
    got = open_existing(tmp_path / "os" / "mnist-oneshot").load(Unit(1, "ticket", 0), arrays=True)[1]
    assert not any(k.startswith("next_mask_") for k in got)  # a one-shot level passes nothing on to the next


def test_the_committed_paper_scale_folders_work_from_a_clone(tmp_path, capsys):
    import shutil
    root = Path(__file__).resolve().parent.parent / "docs" / "paper-scale"
    clone = tmp_path / "paper-scale"
    shutil.copytree(root, clone)
    assert main(["examine", str(clone / "mnist-iterative")]) == 0
    out = capsys.readouterr().out
    # compact, with every round's masks of its tickets: section 5 is drawn again from them, not only read back
    assert "| 13 | 5.6 | second hidden | 1,650 | 5.5 |" in out and "6 of 100" in out
    assert (clone / "mnist-iterative" / "examine" / "initial_values.png").exists()
    assert main(["mnist", "plot", str(clone / "mnist-oneshot"), str(clone / "mnist-iterative")]) == 0
    for name in ("mnist-oneshot", "mnist-iterative"):
        assert (clone / name / "summary.md").read_text() == (root / name / "summary.md").read_text()
    assert (clone / "mnist-oneshot" / "oneshot_vs_iterative.png").exists()
    assert sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) < 15e6  # the bound


def test_the_committed_standard_plan_folders_are_read_back_from_a_clone(tmp_path, capsys):
    """docs/standard was made before the store and keeps summary.csv alone: examine says what its masks
    showed when they were run, and its convergence figures are drawn again from the summaries."""
    import shutil
    root = Path(__file__).resolve().parent.parent / "docs" / "standard"
    clone = tmp_path / "standard"
    shutil.copytree(root, clone)
    assert main(["examine", str(clone / "mnist-iterative")]) == 0
    out = capsys.readouterr().out
    assert "19 levels" in out and "| 13 | 5.6 |" in out and "examine/initial_values.png" in out
    assert main(["mnist", "plot", str(clone / "mnist-oneshot"), str(clone / "mnist-iterative")]) == 0
    for name in ("mnist-oneshot", "mnist-iterative"):
        assert (clone / name / "summary.md").read_text() == (root / name / "summary.md").read_text()


def test_a_full_disk_is_one_line_leaves_no_temporary_file_and_keeps_what_finished(tmp_path, monkeypatch, capsys):
    real_open = open
    saves = []

    class FullDisk:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    def opening(path, mode="r", *a, **kw):
        f = real_open(path, mode, *a, **kw)
        if ".npz." in str(path) and "trainings" in str(path):
            saves.append(path)
            if len(saves) > 2:  # the third training finds the disk full
                return FullDisk(f)
        return f

    monkeypatch.setattr(store_module, "open", opening, raising=False)
    out = tmp_path / "it"
    args = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "2"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and str(tmp_path / "trainings") in err
    assert "2 finished training(s) are kept" in err and "run the same command again" in err
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    kept = trainings_in(tmp_path / "trainings")
    assert len(kept) == 2
    monkeypatch.undo()
    assert main(args) == 0
    done = trainings_in(tmp_path / "trainings")
    assert len(done) == 7 and {k: done[k] for k in kept} == kept


def test_ctrl_c_says_how_many_trainings_are_saved_and_how_to_resume(tmp_path, monkeypatch, capsys):
    calls = []

    def interrupt(record):
        calls.append(record)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return ""

    monkeypatch.setattr(runner, "describe", interrupt)
    out = tmp_path / "it"
    args = ["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "2"]
    assert main(args) == 130
    err = capsys.readouterr().err
    assert err == (f"lottery-np: interrupted: 2 of 7 trainings are saved in {tmp_path / 'trainings'} (2 in this run); "
                   f"run the same command again to resume\n")
    monkeypatch.undo()
    assert main(args) == 0 and len(trainings_in(tmp_path / "trainings")) == 7


def test_the_plans_count_distinct_trainings():
    full, quick = (all_folders(*make_plan(m)) for m in ("full", "quick"))
    assert sum(len(plan(c)) for _, c in full) == 3220 and len(distinct(c for _, c in full)) == 2590
    # quick: 5 trials × (one-shot: unpruned + 2 tickets + control 2 at 1 level; iterative: unpruned + 15 rounds
    # + both controls at 2 levels), the unpruned networks shared
    assert sum(len(plan(c)) for _, c in quick) == 5 * (4 + 20) and len(distinct(c for _, c in quick)) == 5 * (4 + 20 - 1)
    assert "2590 distinct MNIST trainings (3220 counted per experiment" in describe_estimate("full", full, 2, 3600)


def test_write_outputs_draws_the_curves_the_folder_holds(tmp_path):
    cfg = small(experiment="iterative", controls=0, rounds=3)
    folder = run([(tmp_path / "it", cfg)], progress=False)[0]
    assert curve_levels(folder.records()) == [0, 1, 2, 3]
    assert "training_curves.png" in write_outputs(folder)



def test_compacting_a_sweep_takes_its_finished_variants_not_compact_yet(tmp_path):
    from lottery_np.paper.validate import compact_targets
    sweep = tmp_path / "plan" / "sweep-rate"
    cfg = small(experiment="iterative", controls=0, rounds=1)
    run([(sweep / "rate-0.2", cfg), (sweep / "rate-0.5", cfg.replace(rate=0.5))], progress=False)
    run([(sweep / "rate-0.7", cfg.replace(rate=0.7))], progress=False)
    ResultsFolder(sweep / "rate-0.7", cfg.replace(rate=0.7, rounds=2)).open()  # grown, as a run still training
    assert main(["compact", str(sweep / "rate-0.2")]) == 0  # one sitting compacted the first already
    assert compact_targets([sweep]) == [str(sweep / "rate-0.5")]
    assert main(["compact", str(sweep)]) == 0 and open_existing(sweep / "rate-0.5").compact
    assert not open_existing(sweep / "rate-0.7").compact  # left to finish
