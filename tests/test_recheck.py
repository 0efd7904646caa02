"""`lottery-np recheck`: trainings of a compact folder, without its store, trained again from what the
folder keeps give the numbers it records (the same machine: bit for bit); a changed number is shown.

Real MNIST with a tiny network (784-40-20-10, 60 iterations), so that it takes seconds.
"""
import csv

from lottery_np.paper.cli import main
from lottery_np.paper.recheck import recheck, table
from lottery_np.paper.compact import compact

CLI = ["--iterations", "60", "--eval-every", "20", "--sizes", "784", "40", "20", "10", "--quiet"]


def test_a_compact_folder_is_trained_again_from_its_masks_and_gives_its_numbers(tmp_path, capsys):
    out = tmp_path / "it"
    assert main(["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "3"]) == 0
    compact(out)
    (tmp_path / "trainings").rename(tmp_path / "elsewhere")  # a fresh clone: only the committed folder
    rows = recheck(out, jobs=2, log=lambda *a: None)
    assert [r["id"] for r in rows] == ["ticket-t0-l00", "ticket-t0-l02", "ticket-t0-l03"]
    assert all(r["committed"] == r["now"] for r in rows)
    from lottery_np.paper.experiments import Unit
    from lottery_np.paper.recheck import trained_weights
    from lottery_np.paper.folders import open_existing
    weights, biases = trained_weights(open_existing(out), Unit(0, "ticket", 0))  # not kept: trained again
    (tmp_path / "elsewhere").rename(tmp_path / "trainings")  # the store back: the weights it keeps
    kept = trained_weights(open_existing(out), Unit(0, "ticket", 0))
    assert all((a == b).all() for a, b in zip(weights + biases, kept[0] + kept[1])) and len(weights) == 3
    (tmp_path / "trainings").rename(tmp_path / "elsewhere")
    capsys.readouterr()
    assert main(["recheck", str(out), "--trainings", "reinit-t0-l02-d0", "ticket-t0-l01"]) == 0
    printed = capsys.readouterr().out
    assert "2 of 2 the same as committed, bit for bit" in printed and "| reinit-t0-l02-d0 |" in printed

    summary = out / "summary.csv"  # a committed number that is not what the training gives is shown
    rows_csv = list(csv.DictReader(summary.open()))
    rows_csv[1]["convergence_iteration"] = "40" if rows_csv[1]["convergence_iteration"] != "40" else "20"
    with summary.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows_csv[0]))
        w.writeheader()
        w.writerows(rows_csv)
    text = table(recheck(out, ["ticket-t0-l01"], log=lambda *a: None))
    assert "0 of 1 the same" in text and f"{rows_csv[1]['convergence_iteration']} → " in text


def test_the_report_finds_trainings_made_twice_and_measures_how_far_apart_they_are(tmp_path):
    from lottery_np.paper.report import reproducibility, trained_twice, trainings_csv
    for exp in ("oneshot", "iterative"):  # one store: their shared unpruned network is trained once
        size = ["--levels", "50"] if exp == "oneshot" else ["--rounds", "1"]
        assert main(["mnist", exp, *CLI, "--out", str(tmp_path / f"mnist-{exp}"), "--trials", "1", "--controls", "0",
                     *size]) == 0
    timing = {"runs": [{"part": "mnist-oneshot", "machine": "CPU A (x86_64)"},
                       {"part": "mnist-iterative", "machine": "CPU B (x86_64)"}]}
    assert trained_twice(tmp_path, timing) == {} and reproducibility(tmp_path, timing) == []  # one training, one row
    table = trainings_csv(tmp_path).splitlines()  # the plan's summary.csv: each distinct training once
    assert table[0].startswith("key,") and len(table) == 1 + 3  # the unpruned network, one-shot 50%, round 1
    assert "mnist-iterative/ticket-t0-l00 mnist-oneshot/ticket-t0-l00" in table[1]
    summary = tmp_path / "mnist-iterative" / "summary.csv"  # as if trained again on B, a little apart
    rows = list(csv.DictReader(summary.open()))
    rows[0]["min_val_loss"] = str(float(rows[0]["min_val_loss"]) * 1.01)
    rows[0]["convergence_iteration"] = str(int(rows[0]["convergence_iteration"]) + 20)
    with summary.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    text = "\n".join(reproducibility(tmp_path, timing))
    assert "| CPU A and CPU B | 1 | 0 of 1 | 20 iterations, 0.00 points, 0.99% |" in text  # 1% of the other, of this
    same_machine = {"runs": [{"part": "mnist-oneshot mnist-iterative", "machine": "CPU A (x86_64)"}]}
    assert list(trained_twice(tmp_path, same_machine)) == [("CPU A (x86_64)", "CPU A (x86_64)")]  # shown whatever the machines
    table = trainings_csv(tmp_path).splitlines()  # trained twice, numbers apart: a row for each, with its folders
    unpruned = [line for line in table if line.endswith("/ticket-t0-l00")]
    assert len(table) == 1 + 4 and len({line.split(",")[0] for line in unpruned}) == 1
    assert [line.split(",")[-1] for line in unpruned] == ["mnist-iterative/ticket-t0-l00", "mnist-oneshot/ticket-t0-l00"]


def test_a_diverged_training_reads_as_diverged_and_the_default_picks_only_what_can_be_trained_again(tmp_path):
    rows = [{"id": "ticket-t0-l05", "seconds": 1.0,
             "committed": {"convergence_iteration": 40, "test_accuracy": float("nan"), "min_val_loss": float("nan")},
             "now": {"convergence_iteration": 40, "test_accuracy": None, "min_val_loss": None}}]
    text = table(rows)  # the summary's NaN and a new training's None are the same: diverged
    assert "| ticket-t0-l05 | 40 → 40 | diverged → diverged | identical |" in text and "1 of 1 the same" in text
    out = tmp_path / "it"
    assert main(["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "0", "--rounds", "3"]) == 0
    compact(out, masks="last")  # keeps the last round's masks only: round 2 cannot be trained again
    (tmp_path / "trainings").rename(tmp_path / "elsewhere")
    from lottery_np.paper.recheck import default_trainings
    from lottery_np.paper.folders import open_existing
    assert [u.id for u in default_trainings(open_existing(out))] == ["ticket-t0-l00", "ticket-t0-l03"]


def test_a_recorded_recheck_is_shown_in_the_report_with_where_each_training_was_made(tmp_path, capsys):
    import json
    from lottery_np.paper.report import reproducibility
    from lottery_np.paper.reproduce import machine
    out = tmp_path / "mnist-iterative"
    assert main(["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "0", "--rounds", "1"]) == 0
    capsys.readouterr()
    assert main(["recheck", str(out), "--trainings", "ticket-t0-l01", "--record"]) == 0
    assert f"recorded in {out / 'rechecks.json'}" in capsys.readouterr().out
    kept = json.loads((out / "rechecks.json").read_text())
    assert [e["id"] for e in kept["rechecks"]] == ["ticket-t0-l01"] and kept["rechecks"][0]["machine"] == machine()
    timing = {"runs": [{"part": "mnist-iterative", "machine": "CPU A (x86_64, other), 2 cores, Linux", "code": "abc1234"}]}
    text = "\n".join(reproducibility(tmp_path, timing))
    assert "| mnist-iterative/ticket-t0-l01 | CPU A (x86_64, other) (abc1234) |" in text
    assert "| identical, bit for bit |" in text and "1 of 1 identical, 1 of them on a CPU other than the one" in text
    assert "0 of them on a CPU other" in "\n".join(reproducibility(tmp_path, {}))  # where it was made is not known
    made_here = {"runs": [{"part": "mnist-iterative", "machine": "CPU A (x86_64, znver4), 2 cores", "code": "abc1234"}]}
    kept["rechecks"][0]["machine"] = "CPU A (x86_64, Numba generic on znver4), 2 cores"  # NUMBA_CPU_NAME=generic
    (out / "rechecks.json").write_text(json.dumps(kept))
    text = "\n".join(reproducibility(tmp_path, made_here))  # the same CPU, the engine compiled for another target
    assert "1 of 1 identical, 0 of them on a CPU other than the one that made them, 1 on the same CPU model" in text
    kept["rechecks"][0]["machine"] = "CPU B (x86_64, Numba generic on skylake), 2 cores"
    (out / "rechecks.json").write_text(json.dumps(kept))
    text = "\n".join(reproducibility(tmp_path, made_here))
    assert "1 of 1 identical, 1 of them on a CPU other than the one that made them." in text
    kept["rechecks"][0]["now"]["convergence_iteration"] += 20  # a number that differs is shown, committed → now
    (out / "rechecks.json").write_text(json.dumps(kept))
    c = kept["rechecks"][0]["committed"]["convergence_iteration"]
    text = "\n".join(reproducibility(tmp_path, timing))
    assert "0 of 1 identical" in text and f"| {c} → {c + 20} |" in text
