"""``lottery-np reproduce``: every experiment of the paper, in order, and a report beside the paper.

The plan, in the paper's order:

* §2 XOR — both tables (random initialization; pruned tickets);
* §3 one-shot and §4 iterative pruning of LeNet-300-100, tickets and both controls;
* §5 what the iterative tickets look like (initial values, connections per unit);
* §6 sweeps — init std, network size, pruning rate, reset vs. no reset — and late resetting.

Every MNIST training of every experiment goes through one runner call, so one
progress bar covers the plan, any number of jobs (or a Dask cluster) share it,
and an interrupted plan resumes where it stopped. ``--quick`` cuts iterations,
trials, controls and levels so that it finishes in about ten minutes on two
cores; ``--full`` is the paper's scale.

This module sequences a plan — run (or resume, or run in parts), then ``finish``: figures,
section 5, the report — and regenerates a report from a finished folder. Its other jobs live
beside it:

* ``plans``    — the plans' settings and their experiments and sweeps by folder;
* ``estimate`` — how long a plan takes on this machine, measured at each level's density;
* ``report``   — the text of REPORT.md;
* ``claims``   — every verdict, §2 to §6.
"""
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import llvmlite.binding as ll
import numba
import numpy as np

from .. import __version__
from ..errors import ConfigError
from .estimate import describe_estimate, duration as _duration, training_estimates
from .examine import examine_folder
from .experiments import plan
from .folders import open_existing, sweep_variant
from .plans import PLANS, SWEEP_ORDER, all_folders, in_part, make_plan, parts, plan_settings, unknown_parts
from .plots import finish_sweep, plot_folders, write_outputs
from .report import HEADLINE, headline_line, report, trainings_csv
from .runner import run, survey
from .store import STORE_NAME, atomic_write
from .sweeps import variant_order
from .xor import write_xor


def reproduce(out, mode="quick", jobs=1, executor=None, progress=True, seed=0, backend="fused", log=print,
              data_dir=None, overrides=None, only=None):
    """Run (or resume) the whole plan into ``out`` and write ``out/REPORT.md``. Returns its path.

    only : run just these parts of the plan (``parts``), e.g. ``["mnist-oneshot"]``, into the same
        folder and store: a long plan split into sittings. The report is written by the part that
        completes the plan; until then this returns None."""
    out = Path(out)
    start = time.time()
    experiments, sweeps = make_plan(mode, seed=seed, backend=backend, overrides=overrides)
    whole = all_folders(experiments, sweeps)
    unknown = unknown_parts(only, mode, overrides)
    if unknown:
        raise ConfigError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(parts(mode, overrides))}, "
                          f"or one variant of a sweep (e.g. {next((f for f, _ in whole if '/' in f), 'sweep-NAME/VARIANT')})")
    folders = [(f, cfg) for f, cfg in whole if in_part(f, only)]
    store = out / STORE_NAME  # one store for every experiment of the plan: each distinct training runs once
    planned = survey([(out / f, cfg) for f, cfg in folders], store)  # checks every folder, writes nothing
    per_training = training_estimates(folders, jobs, backend)
    est = sum(per_training.values()) / max(1, jobs)
    left = sum(per_training[t.key] for t in planned.todo) / max(1, jobs)
    log(describe_estimate(mode, folders, jobs, est, done=planned.done)
        + (f"; {_duration(left)} of it left" if planned.done else "") + f"; into {out}")
    out.mkdir(parents=True, exist_ok=True)  # only once the plan's settings are known to be good
    if only is None or not (out / PLAN_FILE).exists():  # a plan run in parts keeps its first part's record
        atomic_write(out / PLAN_FILE, json.dumps({"mode": mode, "seed": seed, "jobs": jobs, "estimated_seconds": est,
                                                   "machine": machine()}).encode())

    if in_part("xor", only):
        log("§2 XOR ...")
        run_xor_section(out / "xor", plan_settings(mode, overrides)["xor_trials"], seed)

    if folders:
        log("§3–§6 MNIST ...")
        run([(out / f, cfg) for f, cfg in folders], jobs=jobs, executor=executor, progress=progress,
            on_finish=write_outputs, data_dir=data_dir, store=store)
    _add_time(out, time.time() - start, "all" if only is None else " ".join(only), jobs, len(planned.todo), left)
    unfinished = ([] if (out / "xor" / "xor.json").is_file() else ["xor"]) + [
        p for p in parts(mode, overrides)[1:]
        if survey([(out / f, cfg) for f, cfg in whole if in_part(f, [p])], store).todo]
    if unfinished:
        log(f"part done ({' '.join(only or ['all'])}); still to run: {' '.join(unfinished)} (--only {' '.join(unfinished)}, "
            "or no --only); the report is written when every part is done")
        return None
    named = {name: [sweep_variant(open_existing(out / f"sweep-{name}" / v)) for v, _ in variants]
             for name, variants in sweeps.items()}
    if not plan_settings(mode, overrides)["sweeps"]:
        named = sweeps_in_folder(out, dict(experiments)["mnist-oneshot"])  # the training settings the plan shares
    return finish(out, mode, experiments, named, est, jobs, log)


PLAN_FILE = "plan.json"  # the plan a folder was made with: mode, seed, jobs, the estimate printed up front, machine


def cpu_model():
    """The processor's name (float32 results differ in the last bits between CPU models, so a report
    says which one made them), or the architecture where the system does not tell."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def kernel_targets():
    """What the float32 sums are compiled for, which the CPU's name alone does not tell: the CPU Numba's
    LLVM compiles the engine for (``Numba generic on znver4`` where ``NUMBA_CPU_NAME`` names another), and the
    kernel set OpenBLAS picked for NumPy's products (named if threadpoolctl is installed). The engine's numbers
    depend on neither any more (``tests/test_same_bits.py``); the readable path's (XOR) still use NumPy's BLAS.
    ``[]`` where neither can be asked."""
    out = []
    try:
        host = ll.get_host_cpu_name()
        told = numba.config.CPU_NAME  # NUMBA_CPU_NAME: compile for that CPU, not this one (tests/test_same_bits.py)
        out.append(f"Numba {told} on {host}" if told and told != host else host)
    except Exception:  # noqa: BLE001 - only a label: a machine without it is still described
        pass
    try:
        from threadpoolctl import threadpool_info  # optional (the test extra): only names OpenBLAS's kernels
        arch = {i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"} - {None}
        out += [f"OpenBLAS {a}" for a in sorted(arch)]
    except Exception:  # noqa: BLE001
        pass
    return out


def machine():
    """This machine and the versions that make the numbers, in one line of the report."""
    targets = "".join(f", {t}" for t in kernel_targets())
    return (f"{cpu_model()} ({platform.machine()}{targets}), {os.cpu_count()} cores, {platform.system()}; Python "
            f"{platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}")


def code_version():
    """The code that made the numbers: the git commit of this checkout (with "+changes" when files
    differ from it), or the package version where there is no git checkout."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
                               cwd=here.parent, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"lottery_np {__version__}"
    return commit + ("+changes" if dirty else "")


def _add_time(out, seconds, what="all", jobs=None, trained=None, estimate=None):
    """Add one invocation to ``out/timing.json``: its part, wall time, jobs, machine and how many
    trainings it ran, and the total over every invocation, so that a plan resumed or run in parts
    reports how it was run."""
    path = Path(out) / "timing.json"
    try:
        timing = json.loads(path.read_text())
    except (OSError, ValueError):
        timing = {"seconds": 0.0, "invocations": 0}
    entry = {"part": what, "seconds": round(seconds, 1), "estimated_seconds": estimate, "jobs": jobs,
             "trainings": trained, "machine": machine(), "code": code_version(), "finished": time.strftime("%Y-%m-%d %H:%M")}
    timing = {"seconds": timing["seconds"] + seconds, "invocations": timing["invocations"] + 1,
              "runs": timing.get("runs", []) + [entry]}
    atomic_write(path, json.dumps(timing, indent=1).encode())
    return timing


def finish(out, mode, experiments, named, estimate, jobs, log=print, made_on=None, running=None):
    """Everything after the trainings, from what ``out`` holds: the sweep and comparison figures,
    section 5, ``out/REPORT.md``; logs the headline verdicts last. Returns the report's path."""
    for name, variants in named.items():
        finish_sweep(name, out / f"sweep-{name}", variants)
    plot_folders([out / "mnist-oneshot", out / "mnist-iterative"], out)
    log("§5 examining tickets ...")
    examine_result = run_examine_section(out)
    xor_result = json.loads((out / "xor" / "xor.json").read_text())
    timing = json.loads((out / "timing.json").read_text())
    text, claims = report(out, mode, experiments, named, xor_result, examine_result, timing, estimate, jobs,
                          made_on or machine(), running=running)
    path = out / "REPORT.md"
    atomic_write(out / "summary.csv", trainings_csv(out).encode())  # each distinct training of the plan once
    atomic_write(path, text.encode())
    for name in HEADLINE:
        log(headline_line(claims[name]))
    return path


def regenerate(out, log=print):
    """``lottery-np report OUT``: REPORT.md and every figure again from a finished plan folder — its
    summaries, compact ticket masks, XOR tables and timing — without training anything."""
    out = Path(out)
    experiments = [(name, open_existing(out / name).config) for name in ("mnist-oneshot", "mnist-iterative")]
    try:
        meta = json.loads((out / PLAN_FILE).read_text())
    except (OSError, ValueError):  # made before plan.json: the plan is told by its settings
        cfg = dict(experiments)["mnist-oneshot"]
        meta = {"mode": "full" if cfg.trials >= 5 else "standard" if cfg.iterations == 50000 else "quick",
                "jobs": None, "estimated_seconds": None, "machine": None}
    for folder, _ in experiments:
        write_outputs(open_existing(out / folder))
    named = sweeps_in_folder(out, dict(experiments)["mnist-oneshot"])
    running = sweeps_running(out, meta)
    named = {name: variants for name, variants in named.items() if name not in running}
    return finish(out, meta["mode"], experiments, named, meta["estimated_seconds"], meta["jobs"], log,
                  made_on=meta.get("machine") or "not recorded", running=running)


def sweeps_running(out, meta):
    """The sweeps of a plan with sweeps (``--full``) whose variants are not all in ``out`` and finished yet,
    as ``{name: (variants done, variants planned)}``: a run in parts whose report is written before its end."""
    if meta["mode"] not in PLANS or not plan_settings(meta["mode"])["sweeps"]:
        return {}
    _, sweeps = make_plan(meta["mode"], seed=meta.get("seed", 0))
    running = {}
    for name, variants in sweeps.items():
        planned = [v for v, _ in variants]
        done = [v for v in planned if _finished(out / f"sweep-{name}" / v)]
        if len(done) < len(planned):
            running[name] = (done, planned)
    return running


def _finished(path):
    if not (path / "config.json").is_file():
        return False
    folder = open_existing(path)
    return all(folder.done(u) for u in plan(folder.config))


def sweeps_in_folder(out, main):
    """For a plan without sweeps: the sweeps that `lottery-np sweep NAME --out OUT/sweep-NAME` ran into
    ``out`` with the plan's training settings (iterations, validation interval, network), as
    ``{name: [sweeps.Variant]}`` in ``variant_order``, so that its report judges them too. Unfinished ones
    are left out."""
    named = {}
    for name in SWEEP_ORDER:
        folder = out / f"sweep-{name}"
        paths = [p for p in folder.glob("*") if (p / "config.json").is_file()] if folder.is_dir() else []
        opened = sorted((open_existing(p) for p in paths), key=lambda f: variant_order(f.config))
        same = all((f.config.iterations, f.config.eval_every, f.config.seed) == (main.iterations, main.eval_every, main.seed)
                   for f in opened)
        finished = all(f.done(u) for f in opened for u in plan(f.config))
        if opened and same and finished:
            named[name] = [sweep_variant(f) for f in opened]
    return named


# ----------------------------------------------------------------------------
# Sections that are not runner experiments (filled in by their own modules)
# ----------------------------------------------------------------------------


def run_xor_section(out, trials, seed):
    """Both XOR tables, written to ``out/xor.json`` (reused if already there with the same settings)."""
    path = Path(out) / "xor.json"
    if path.exists():
        try:
            done = json.loads(path.read_text())
            if done["settings"]["trials"] == trials and done["settings"]["seed"] == seed:
                return done
        except (ValueError, KeyError):
            pass  # unreadable: compute again (it takes seconds)
    return write_xor(out, trials, seed)


def run_examine_section(out):
    """Section 5 on the first ticket of the plan's iterative experiment."""
    return examine_folder(out / "mnist-iterative", out / "examine", trial=0)

