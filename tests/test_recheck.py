"""`lottery-np recheck`: trainings of a compact folder, without its store, trained again from what the
folder keeps give the numbers it records (the same machine: bit for bit); a changed number is shown.

Real MNIST with a tiny network (784-40-20-10, 60 iterations), so that it takes seconds.
"""
import csv

from lottery_np.paper.cli import main
from lottery_np.paper.recheck import recheck, table
from lottery_np.paper.runner import compact

CLI = ["--iterations", "60", "--eval-every", "20", "--sizes", "784", "40", "20", "10", "--quiet"]


def test_a_compact_folder_is_trained_again_from_its_masks_and_gives_its_numbers(tmp_path, capsys):
    out = tmp_path / "it"
    assert main(["mnist", "iterative", *CLI, "--out", str(out), "--trials", "1", "--controls", "1", "--rounds", "3"]) == 0
    compact(out)
    (tmp_path / "trainings").rename(tmp_path / "elsewhere")  # a fresh clone: only the committed folder
    rows = recheck(out, jobs=2, log=lambda *a: None)
    assert [r["id"] for r in rows] == ["ticket-t0-l00", "ticket-t0-l02", "ticket-t0-l03"]
    assert all(r["committed"] == r["now"] for r in rows)
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
