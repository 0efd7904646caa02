"""The experiment runner on real MNIST, tiny settings: parallel, resumable, careful with folders.

One uninterrupted reference run (``--jobs 1``) is compared with a ``--jobs 2`` run
and with a run killed with SIGKILL part-way and then resumed. Each folder keeps its
trainings in the store beside it (``<parent>/trainings``).
"""
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lottery_np import ResultsError
from lottery_np.paper.cli import main
from lottery_np.paper.experiments import plan
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.paper.folders import read_summary
from lottery_np.paper.plots import write_outputs
from lottery_np.paper.runner import run

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["mnist", "iterative", "--iterations", "150", "--eval-every", "50", "--trials", "2", "--controls", "1",
        "--rounds", "3", "--sizes", "784", "60", "30", "10", "--quiet"]
N_UNITS = 2 * (4 + 3 * 2)


def cli(out, *extra):
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.Popen([sys.executable, "-m", "lottery_np", *ARGS, "--out", str(out), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, so we can kill workers too


def finish(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out


def store_of(folder):
    return folder.parent / "trainings"


def fingerprints(folder):
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(store_of(folder).glob("*.npz"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "reference"
    finish(cli(out, "--jobs", "1"))
    return out


def test_reference_run_writes_everything(reference):
    rows = read_summary(reference)
    assert len(rows) == N_UNITS == len(list(store_of(reference).glob("*.npz")))
    assert {r["kind"] for r in rows} == {"ticket", "reinit", "shuffle"}
    assert all(0.5 < r["test_accuracy"] <= 1 for r in rows)  # they really learned something
    for name in ("config.json", "summary.md", "convergence_accuracy.png", "training_curves.png"):
        assert (reference / name).stat().st_size > 0
    assert "| 3 |" in (reference / "summary.md").read_text()


def test_two_jobs_give_the_same_summary(reference, tmp_path):
    finish(cli(tmp_path / "two", "--jobs", "2"))
    assert (tmp_path / "two" / "summary.csv").read_text() == (reference / "summary.csv").read_text()


def test_killed_run_resumes_without_redoing_or_missing_anything(reference, tmp_path):
    out = tmp_path / "killed"
    proc = cli(out, "--jobs", "2")
    deadline = time.time() + 300
    while len(list(store_of(out).glob("*.npz"))) < 4:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # like a power cut: the runner and its workers die at once
    proc.wait()
    before = fingerprints(out)
    assert 4 <= len(before) < N_UNITS
    finish(cli(out, "--jobs", "2"))
    after = fingerprints(out)
    assert len(after) == N_UNITS
    assert {k: after[k] for k in before} == before  # no finished unit was trained again
    assert not list(store_of(out).glob(".*"))  # no half-written files left behind
    assert (out / "summary.csv").read_text() == (reference / "summary.csv").read_text()


def test_folder_of_another_config_is_refused_and_left_alone(reference, capsys):
    before = fingerprints(reference)
    summary = (reference / "summary.csv").read_text()
    code = main([*ARGS, "--out", str(reference), "--lr", "0.05"])
    err = capsys.readouterr().err
    assert code == 2 and "different configuration" in err and "lr: 0.1 there, 0.05 now" in err
    assert fingerprints(reference) == before and (reference / "summary.csv").read_text() == summary


def test_folder_that_is_not_a_results_folder_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main([*ARGS, "--out", str(tmp_path)]) == 2
    assert "no config.json" in capsys.readouterr().err


def test_damaged_unit_file_is_named(reference, tmp_path):
    import shutil
    from lottery_np.paper.experiments import Unit
    from lottery_np.paper.folders import open_existing
    copy = tmp_path / "copy"
    shutil.copytree(reference, copy)
    shutil.copytree(store_of(reference), store_of(copy))
    folder = open_existing(copy)
    victim = folder.store.file(folder.key(Unit(1, "ticket", 0)))
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(ResultsError, match=f"{victim.name} is damaged.*Delete that file"):
        run([(copy, folder.config)], progress=False)


def test_diverging_configuration_is_recorded_and_completes(tmp_path):
    config = ExperimentConfig(experiment="oneshot", init_std=10.0, iterations=100,
                              eval_every=50, trials=1, controls=1, fractions=(0.5,))
    run([(tmp_path, config)], jobs=1, progress=False, on_finish=write_outputs)
    rows = read_summary(tmp_path)
    assert len(rows) == len(plan(config)) and any(r["diverged"] for r in rows)
    assert (tmp_path / "convergence_accuracy.png").exists() and "diverged" in (tmp_path / "summary.md").read_text()


def test_a_refused_folder_leaves_the_other_folders_of_the_run_unwritten(tmp_path):
    cfg = ExperimentConfig(sizes=(784, 20, 10), iterations=20, eval_every=10, trials=1, controls=0, fractions=(0.5,))
    run([(tmp_path / "b", cfg.replace(iterations=30))], progress=False)  # b holds other settings
    with pytest.raises(ResultsError, match="different configuration"):
        run([(tmp_path / "a", cfg), (tmp_path / "b", cfg)], progress=False)
    assert not (tmp_path / "a").exists()
