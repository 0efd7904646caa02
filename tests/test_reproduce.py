"""The whole plan (``lottery-np reproduce``) on a tiny budget: end to end, resumed, and on a Dask cluster."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lottery_np.paper.cli import main
from lottery_np.paper.experiments import plan
from lottery_np.paper.estimate import estimate_seconds
from lottery_np.paper.folders import read_summary
from lottery_np.paper.plans import all_folders, make_plan
from lottery_np.paper.reproduce import reproduce

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(sizes=(784, 40, 20, 10), iterations=60, eval_every=20, trials=1, controls=1, fractions=(0.5, 0.1),
            rounds=3, sweep_trials=1, sweep_rounds=2, sweep_fractions=(0.5,), xor_trials=20,
            values={"init-std": (0.05, 0.1, 0.2), "size": ((30, 10), (60, 20)), "rate": (0.2, 0.5),
                    "late-reset": (0, 20)}, oneshot={}, iterative={}, sweeps=True, record_test_curve=True)


# Resuming and the Dask executor are checked on the main experiments alone: the sweeps go through the
# same runner, and the whole plan runs once, in `reference`.
TINY_MAIN = {**TINY, "sweeps": False}


def summaries(out):
    """Each experiment folder's summary.csv (not the plan's own, which lists the plan's distinct trainings)."""
    return {p.relative_to(out): p.read_text() for p in sorted(Path(out).rglob("summary.csv")) if p.parent != Path(out)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "reference"
    reproduce(out, jobs=2, overrides=TINY, progress=False, log=lambda *a: None)
    return out


def test_tiny_plan_writes_a_report_with_every_section(reference):
    text = (reference / "REPORT.md").read_text()
    assert "This is the quick version" in text
    for heading in ("## §2 XOR", "## §3 One-shot pruning", "## §4 Iterative pruning", "## §5 Examining",
                    "## §6 Exploring parameters",
                    "late resetting"):
        assert heading in text
    assert text.count("| 3 |") >= 3 and text.count("| 6 |") >= 4  # claims with verdicts
    top = text.split("## §2 XOR")[0]  # every verdict first, then the figure that carries the paper's message
    assert "## Verdicts" in top and top.count("| 4 |") == 5 and top.count("| 3 |") == 3
    assert "![tickets against both controls](mnist-iterative/convergence_accuracy.png)" in top
    for ref in [line.split("(")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]:
        assert (reference / ref).exists(), ref  # every embedded figure was drawn
    experiments, sweeps = make_plan("quick", overrides=TINY)
    folders = all_folders(experiments, sweeps)
    assert len(summaries(reference)) == len(folders)  # each folder's, and the plan's own:
    from lottery_np.paper.experiments import distinct  # each distinct training of the plan once
    plan_rows = (reference / "summary.csv").read_text().splitlines()[1:]
    assert len(plan_rows) == len({r.split(",")[0] for r in plan_rows}) == len(distinct(c for _, c in folders))
    from lottery_np.paper.stats import level_table
    for folder in ("mnist-oneshot", "mnist-iterative"):  # the level tables are made from the summary rows
        assert f"\n{level_table(read_summary(reference / folder))}\n" in text


def test_plan_resumes_after_kill(reference, tmp_path):
    out = tmp_path / "killed"
    code = (f"from lottery_np.paper.reproduce import reproduce\nif __name__ == '__main__':\n"
            f"    reproduce({str(out)!r}, jobs=2, overrides={TINY_MAIN!r}, progress=False)\n")
    script = tmp_path / "run_plan.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, start_new_session=True, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # this checkout, not an installed one
    deadline = time.time() + 300
    while len(list(out.glob("trainings/*.npz"))) < 6:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p: p.stat().st_mtime_ns for p in out.glob("trainings/*.npz")}
    assert not (out / "REPORT.md").exists()
    subprocess.run([sys.executable, str(script)], cwd=ROOT, check=True, capture_output=True, env=env)
    assert all(p.stat().st_mtime_ns == t for p, t in done_before.items())  # nothing redone
    assert summaries(out) == {k: v for k, v in summaries(reference).items() if k in summaries(out)}
    assert len(summaries(out)) == 2
    assert (out / "REPORT.md").exists()


def test_plan_on_a_dask_cluster_gives_the_same_results(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        reproduce(tmp_path, jobs=2, executor=client.get_executor(pure=False), overrides=TINY_MAIN, progress=False,
                  log=lambda *a: None)
    assert len(summaries(tmp_path)) == 2
    assert summaries(tmp_path) == {k: v for k, v in summaries(reference).items() if k in summaries(tmp_path)}


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    import dask.distributed
    real = dask.distributed.Client  # the command waits 10 s for a scheduler that never answers; here 1 s
    monkeypatch.setattr(dask.distributed, "Client", lambda address, timeout=None, **kw: real(address, timeout="1s", **kw))
    assert main(["reproduce", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path)]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.mark.slow  # 40 s; the tiny plan checks the same report layout in the default run
def test_quick_plan_scaled_down_puts_verdicts_first_and_ends_with_the_headline(tmp_path):
    """The quick plan as it is (levels, rounds, controls where they decide), on a small network and a short
    training: the report opens with the verdict table and the headline figure, and the last lines the plan
    logs are the headline verdicts."""
    from lottery_np.paper.report import HEADLINE
    logged = []
    path = reproduce(tmp_path, jobs=2, overrides=dict(sizes=(784, 40, 20, 10), iterations=60, eval_every=20,
                                                      xor_trials=20), progress=False, log=logged.append)
    text = path.read_text()
    top = text.split("## §2 XOR")[0]
    assert "This is the quick version" in top and "## Verdicts" in top
    assert top.count("| 4 |") == 5 and top.count("| 3 |") == 3  # every §3 and §4 claim in the table at the top
    assert "![tickets against both controls](mnist-iterative/convergence_accuracy.png)" in top
    assert "none of its sweeps" in top
    assert len(logged) > len(HEADLINE) and all("§" in line for line in logged[-len(HEADLINE):])
    assert "§4 Iterative tickets keep" in logged[-len(HEADLINE)]
    iterative = read_summary(tmp_path / "mnist-iterative")
    assert {r["level"] for r in iterative if r["kind"] != "ticket"} == {11, 12}  # controls only where they decide
    assert {(r["kind"], r["level"]) for r in read_summary(tmp_path / "mnist-oneshot") if r["kind"] != "ticket"} == {
        ("shuffle", 1)}
    for ref in [line.split("(")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]:
        assert (tmp_path / ref).exists(), ref  # every embedded figure was drawn


def test_quick_plan_reaches_the_sizes_its_claims_look_at():
    """The quick plan can decide the §4 claims only if its iterative tickets go below 4%, its one-shot tickets
    reach 5% (where they lose accuracy) and its controls sit at the small sizes (≤ 35%) the claims compare."""
    from lottery_np.paper.levels import level_fractions
    (_, one), (_, it) = make_plan("quick")[0]
    percent = lambda cfg, lv: 100 * np.average(level_fractions(cfg, lv), weights=[784 * 300, 300 * 100, 100 * 10])  # noqa: E731
    assert percent(it, it.rounds) < 4 and min(one.fractions) <= 0.05
    assert all(percent(cfg, lv) <= 35 for cfg in (one, it) for lv in cfg.control_levels)
    assert one.iterations == it.iterations >= 30000 and one.controls >= 1
    assert one.trials == it.trials == 5  # the paper's 5 tickets: with 2, a 95% t interval is ±12.7 standard errors


def test_full_plan_is_the_papers_scale_and_estimated_longer():
    quick, full = (all_folders(*make_plan(m)) for m in ("quick", "full"))
    main_full = dict(full)["mnist-oneshot"]
    assert (main_full.trials, main_full.controls, main_full.iterations) == (5, 3, 50000)
    assert len(plan(main_full)) == 5 * (1 + 9 * (1 + 2 * 3))  # trials × (unpruned + levels × (ticket + 3+3 controls))
    # The main experiments only: the sweeps' many network sizes would each need a measurement.
    main_of = lambda folders: [(f, c) for f, c in folders if f.startswith("mnist-")]  # noqa: E731
    # 955 trainings of 50,000 iterations against the quick plan's 115 of 35,000, at every density against the
    # quick plan's choice of levels: about 8× the time (measured 8.3×); 5× leaves room for noisy timings
    assert estimate_seconds(main_of(full), 2, steps=20) > 5 * estimate_seconds(main_of(quick), 2, steps=20) > 0


def test_sweeps_run_into_a_plan_folder_are_found_only_when_finished_with_its_settings(reference, tmp_path):
    from lottery_np.paper.plans import SWEEP_ORDER
    from lottery_np.paper.reproduce import sweeps_in_folder
    experiments, sweeps = make_plan("quick", overrides=TINY)
    main_cfg = experiments[0][1]
    found = sweeps_in_folder(reference, main_cfg)
    assert list(found) == list(SWEEP_ORDER)
    assert [v.name for v in found["reset"]] == sorted(v for v, _ in sweeps["reset"])
    assert sweeps_in_folder(reference, main_cfg.replace(iterations=80)) == {}  # other training settings
    import shutil
    partial = tmp_path / "partial"
    shutil.copytree(reference / "sweep-reset", partial / "sweep-reset")
    shutil.copytree(reference / "trainings", partial / "trainings")
    from lottery_np.paper.folders import open_existing
    variant = open_existing(partial / "sweep-reset" / "oneshot-none")
    last = [u for u in plan(variant.config)][-1]
    variant.store.file(variant.key(last)).unlink()  # one training missing (one the main experiments do not share)
    assert sweeps_in_folder(partial, main_cfg) == {}


def test_report_is_regenerated_from_a_compact_folder_without_its_store(reference, tmp_path, capsys):
    """`lottery-np report` on a committed-style copy (every folder compact, no trainings store) writes
    the same REPORT.md the plan wrote, and redraws its figures."""
    import shutil
    from lottery_np.paper.compact import compact
    copy = tmp_path / "committed"
    shutil.copytree(reference, copy)
    for config in sorted(copy.rglob("config.json")):
        compact(config.parent)
    shutil.rmtree(copy / "trainings")
    (copy / "REPORT.md").unlink()
    (copy / "oneshot_vs_iterative.png").unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / "REPORT.md").read_text() == (reference / "REPORT.md").read_text()
    assert (copy / "oneshot_vs_iterative.png").exists()
    assert capsys.readouterr().out.strip().endswith(f"report: {copy / 'REPORT.md'}")
    assert "## Where ours differs from the paper\n\nNot written for this run" in (copy / "REPORT.md").read_text()
    (copy / "differences.md").write_text("- **Ours differs** by hand.\n")  # written by hand after the run
    assert main(["report", str(copy)]) == 0
    text = (copy / "REPORT.md").read_text()
    assert text.endswith("## Where ours differs from the paper\n\n- **Ours differs** by hand.\n")
    assert text.split("## Where ours differs")[0] == (reference / "REPORT.md").read_text().split("## Where ours")[0]


def test_report_of_a_folder_that_is_not_a_plan_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "made by 'lottery-np reproduce'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_plan_run_in_parts_gives_the_same_results_and_says_how_it_was_run(reference, tmp_path):
    logged = []
    assert reproduce(tmp_path, jobs=2, overrides=TINY_MAIN, progress=False, log=logged.append,
                     only=["mnist-oneshot"]) is None
    assert "still to run: xor mnist-iterative" in logged[-1] and not (tmp_path / "REPORT.md").exists()
    logged = []
    path = reproduce(tmp_path, jobs=2, overrides=TINY_MAIN, progress=False, log=logged.append,
                     only=["xor", "mnist-iterative"])
    from lottery_np.paper.report import HEADLINE
    assert all("§4" in line for line in logged[-len(HEADLINE):])  # the plan ends with the headline verdicts
    assert summaries(tmp_path) == {k: v for k, v in summaries(reference).items() if k in summaries(tmp_path)}
    text = path.read_text()
    assert "How it was run:" in text and "| mnist-oneshot |" in text and "| xor mnist-iterative |" in text
    with pytest.raises(Exception, match="unknown part"):
        reproduce(tmp_path, overrides=TINY_MAIN, only=["sweep-size"], log=lambda *a: None)
    from lottery_np.paper.plans import unknown_parts
    assert unknown_parts(["sweep-size/iterative-60-20", "sweep-size/iterative-1-1"], "quick", TINY) == [
        "sweep-size/iterative-1-1"]  # one variant of a sweep is a part: a long sweep over several sittings


def test_how_it_was_run_counts_core_hours_without_the_time_a_part_was_paused():
    from lottery_np.paper.report import how_it_was_run
    run = {"finished": "2026-12-03", "estimated_seconds": 3000, "jobs": 2, "trainings": 95, "machine": "CPU A",
           "code": "abc1234"}
    timing = {"runs": [{**run, "part": "sweep-rate", "seconds": 3600},
                       {**run, "part": "sweep-reset", "seconds": 5400, "paused_seconds": 1800}]}
    text = "\n".join(how_it_was_run(timing))
    assert "4.0 core-hours in all, not counting 30.0 min when a part was paused" in text
    assert "| sweep-reset | 2026-12-03 | 1.5 h (30.0 min paused) |" in text and "| sweep-rate | 2026-12-03 | 60.0 min |" in text


def test_a_plan_run_by_several_commits_names_them_and_points_to_its_log(tmp_path):
    from lottery_np.paper.report import code_versions
    run = {"finished": "2026-12-03", "seconds": 60, "jobs": 2, "trainings": 1, "machine": "CPU A"}
    one = {"runs": [{**run, "part": "xor", "code": "abc1234"}, {**run, "part": "sweep-rate", "code": "abc1234"}]}
    assert code_versions(tmp_path, one) == []  # one commit: the table's code column says it
    two = {"runs": [*one["runs"], {**run, "part": "sweep-size", "code": "def5678"}]}
    assert code_versions(tmp_path, two)[0].startswith("Its parts were run by 2 commits of the code (abc1234, def5678, in order).")
    (tmp_path / "README.md").write_text("the run's log")
    assert "[README.md](README.md) beside this report" in code_versions(tmp_path, two)[0]


def test_a_report_written_before_a_run_in_parts_ends_names_the_sweeps_still_running(tmp_path):
    import shutil
    from lottery_np.paper.report import still_running
    from lottery_np.paper.reproduce import sweeps_running
    (tmp_path / "plan.json").write_text(json.dumps({"mode": "full", "seed": 0}))
    shutil.copytree(ROOT / "docs" / "paper-scale" / "sweep-size" / "oneshot-100-33", tmp_path / "sweep-size" / "oneshot-100-33")
    running = sweeps_running(tmp_path, {"mode": "full", "seed": 0})
    _, sweeps = make_plan("full")
    assert set(running) == set(sweeps)  # none is complete, one has a variant in
    done, planned = running["size"]
    assert done == ["oneshot-100-33"] and planned == [v for v, _ in sweeps["size"]] and len(planned) == 10
    assert running["rate"] == ([], [v for v, _ in sweeps["rate"]])
    text = still_running({"size": running["size"]})[0]
    assert "not judged here: sweep-size, 1 of 10 variants in (oneshot-100-33)." in text
    assert "`lottery-np reproduce --full --only sweep-size`" in text and "with its verdict" in text
    assert sweeps_running(tmp_path, {"mode": "standard"}) == {} == sweeps_running(tmp_path, {"mode": "quick"})


def test_sweep_variants_are_listed_in_the_order_of_their_swept_values():
    from lottery_np.paper.settings import ExperimentConfig
    from lottery_np.paper.sweeps import sweep_configs, variant_order
    base = ExperimentConfig(experiment="iterative", iterations=5000)

    def order(sweep, values):
        return [n for n, _ in sorted(sweep_configs(sweep, base, values)[::-1], key=lambda nc: variant_order(nc[1]))]
    assert order("late-reset", (2000, 0, 500, 100)) == ["k-0", "k-100", "k-500", "k-2000"]
    assert order("size", ((500, 166), (100, 33), (200, 66))) == [
        "iterative-100-33", "iterative-200-66", "iterative-500-166", "oneshot-100-33", "oneshot-200-66", "oneshot-500-166"]
    assert order("reset", None) == ["iterative-init", "iterative-none", "oneshot-init", "oneshot-none"]


def test_renaming_the_variants_of_a_sweep_changes_no_verdict(tmp_path):
    """The committed paper-scale sweeps with each variant's folder renamed to another's (the names reversed)
    are judged as before: every swept value is read from the variant's config.json, not its folder's name."""
    import shutil
    from lottery_np.paper import claims as C
    from lottery_np.paper.folders import open_existing
    from lottery_np.paper.reproduce import sweeps_in_folder
    src = ROOT / "docs" / "paper-scale"
    main_cfg = open_existing(src / "mnist-oneshot").config
    rules = {"init-std": C.init_std_claims, "size": C.size_claim, "rate": C.rate_claim, "reset": C.reset_claim}
    for name in rules:
        names = sorted(p.name for p in (src / f"sweep-{name}").iterdir() if (p / "config.json").is_file())
        for old, new in zip(names, names[::-1]):
            shutil.copytree(src / f"sweep-{name}" / old, tmp_path / f"sweep-{name}" / new)
    right, misnamed = sweeps_in_folder(src, main_cfg), sweeps_in_folder(tmp_path, main_cfg)
    for name, rule in rules.items():
        assert [v.name for v in misnamed[name]] != [v.name for v in right[name]]
        said = [[(c.verdict, c.ours) for c in rule(named[name], main_cfg.iterations)] for named in (right, misnamed)]
        assert said[0] == said[1], name


def test_the_machine_line_says_what_the_sums_were_compiled_for():
    from lottery_np.paper.report import cpu_of
    from lottery_np.paper.reproduce import kernel_targets, machine
    line = machine()
    assert all(t in cpu_of(line) for t in kernel_targets()) and ", cores" not in cpu_of(line)
    assert cpu_of("AMD EPYC (x86_64, znver3, OpenBLAS Haswell), 2 cores, Linux") == "AMD EPYC (x86_64, znver3, OpenBLAS Haswell)"
    assert cpu_of("Intel(R) Xeon(R) Processor (x86_64), 2 cores, Linux") == "Intel(R) Xeon(R) Processor (x86_64)"


def test_the_machine_line_says_when_numba_was_told_to_compile_for_another_cpu(monkeypatch):
    import llvmlite.binding as ll
    import numba
    from lottery_np.paper.reproduce import kernel_targets
    monkeypatch.setattr(numba.config, "CPU_NAME", "generic")  # what NUMBA_CPU_NAME=generic sets; read at each call
    assert kernel_targets()[0] == f"Numba generic on {ll.get_host_cpu_name()}"


@pytest.mark.parametrize("name", ["quick", "paper-scale"])
def test_a_committed_report_is_written_again_the_same_from_its_committed_folder(tmp_path, name, capsys):
    """`lottery-np report` on a copy of a committed plan folder, as on a fresh clone, trains nothing and
    writes the committed REPORT.md again (its link to the paper-scale report is the one a folder outside
    the checkout gets)."""
    import shutil
    root = Path(__file__).resolve().parent.parent / "docs" / name
    clone = tmp_path / name
    shutil.copytree(root, clone)
    assert main(["report", str(clone)]) == 0
    relative = re.compile(r"\[(`docs/paper-scale/REPORT\.md`)\]\([^)]*\)")
    assert (clone / "REPORT.md").read_text() == relative.sub(r"\1", (root / "REPORT.md").read_text())
