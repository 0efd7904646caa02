"""REPORT.md: the verdicts first, then each section of the paper with its claims, our numbers
beside the paper's, the tables and the figures.

Everything here renders what a finished plan folder holds; the verdicts themselves come from
``claims`` (picked by name, never by position) and the level tables from the summary rows
(``folders.read_summary``). Nothing here trains, and nothing here draws a figure.
"""
import csv
import io
import json
import os
import re
from pathlib import Path

from . import claims as C
from .estimate import duration as _duration
from .examine import summary_markdown
from .experiments import nan_to_none
from .experiments import plan, unit_key
from .folders import RECHECKS_FILE, open_existing, read_summary
from .plans import SWEEP_ORDER
from .stats import level_table
from .xor import tables_markdown

# The claims that carry the paper's message, printed when a plan ends (names as in ``claims.mnist_claims``).
HEADLINE = ("iterative_vs_oneshot", "controls_drop_earlier", "iterative_control1", "iterative_control2")


def headline_line(claim):
    """One terminal line for a claim: its verdict, section and statement."""
    return f"{C.ICONS[claim.verdict]:<14} §{claim.section} {claim.statement}"


PAPER_SCALE_REPORT = "docs/paper-scale/REPORT.md"  # the committed report of the --full run, from the checkout's top


def _paper_scale_link(out):
    """A link to the committed paper-scale report: relative to ``out`` when the report is written
    inside this checkout (e.g. ``results/reproduce-quick``), else the path in the repository."""
    root = Path(__file__).resolve().parents[2]  # the checkout: lottery_np/paper/report.py -> ../../..
    text = f"`{PAPER_SCALE_REPORT}`"
    try:
        Path(out).resolve().relative_to(root)
    except ValueError:
        return text
    return f"[{text}]({Path(os.path.relpath(root / PAPER_SCALE_REPORT, Path(out).resolve())).as_posix()})"


VERDICT_HEAD = "| § | claim of the paper | paper | ours: effect [95% interval] | verdict |"


def verdict_table(claims):
    """The short table at the top of a report (and the README's): section, claim, the paper's number, ours
    with its 95% interval, verdict."""
    lines = [VERDICT_HEAD, "|---|---|---|---|---|"]
    lines += [f"| {c.section} | {C.cell(c.statement)} | {C.cell(c.paper)} | {C.cell(c.short or c.ours)} "
              f"| {C.ICONS[c.verdict]} |" for c in claims]
    return "\n".join(lines)


PROCEDURE = (
    "**How a claim is decided** (declared 2026-12-05, before the committed runs were judged again by it; it "
    "replaced a rule that counted a difference only beyond the larger min–max range of two groups, which widens "
    "as trials are added and so decided fewer claims with 5 tickets than with 2). The ticket is the unit: control "
    "draws are averaged within their ticket. Per ticket, the claim's contrast — the log of a convergence ratio, or "
    "an accuracy difference in points — is averaged over the claim's levels where both groups converged (a group "
    "whose mean convergence iteration is beyond 80% of the budget is still improving). Its 95% paired t interval "
    "(df = tickets − 1) is set against the paper's own threshold: 0 for a direction, 1.33× for \"at least 25% "
    "faster\", −0.15 points for \"within 0.15 points\", and −0.5 points where the paper says a network keeps or "
    "loses its accuracy without a number. ✅ the interval lies wholly on the paper's side of the threshold; 🟡 "
    "one part holds and another clearly not, or the effect is clearly in the paper's direction but short of its "
    "threshold; ❌ wholly on the other side; ⚪ the interval contains the threshold, or the networks were still "
    "improving — and then the claim says how many tickets would be expected to decide it. Where the paper names "
    "a size, levels are tested one by one in an order fixed in advance, stopping at the first that fails (a "
    "fixed-sequence test). The rules are in `lottery_np/paper/claims.py`, the arithmetic in "
    "`lottery_np/paper/stats.py`; min–max ranges in the tables are description only.")


def _controls_note(cfg, rows):
    """Where ``cfg`` has controls, in words, e.g. "control 2 at 25.1%" ("" when every level has both)."""
    if cfg.control_levels is None and len(cfg.control_kinds) == 2:
        return ""
    kinds = " and ".join({"reinit": "control 1", "shuffle": "control 2"}[k] for k in cfg.control_kinds)
    pcts = sorted({r["percent_remaining"] for r in rows if r["kind"] != "ticket"}, reverse=True)
    where = "every pruned level" if cfg.control_levels is None else " and ".join(f"{p:.1f}%" for p in pcts)
    return f"{kinds} at {where}"


def _curves_figure(out, folder, cfg):
    """The training-curve figure of ``folder`` if its trainings recorded whole test curves (else a sentence)."""
    if cfg.record_test_curve and (out / folder / "training_curves.png").exists():
        return [f"![curves]({folder}/training_curves.png)", ""]
    return ["No training-curve figure: this plan evaluates the test set only at new validation minima.", ""]


def _machines(timing):
    return [r["machine"] for r in timing.get("runs", []) if r.get("machine")]


def how_it_was_run(timing):
    """For a plan run in several invocations (parts, or resumed): a table of each, and the core-hours."""
    runs = timing.get("runs", [])
    if len(runs) < 2:
        return []
    lines = ["How it was run:", "", "| part | finished | wall time | estimated | jobs | trainings | machine | code |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['part']} | {r['finished']} | {_duration(r['seconds'])}{_paused(r)} "
              f"| {_duration(r.get('estimated_seconds'))} | {r['jobs']} | {r['trainings']} | {r['machine']} "
              f"| {r.get('code', 'not recorded')} |" for r in runs]
    core_hours = sum((r["seconds"] - r.get("paused_seconds", 0)) * (r["jobs"] or 1) for r in runs) / 3600
    paused = sum(r.get("paused_seconds", 0) for r in runs)
    return lines + ["", f"{core_hours:.1f} core-hours in all" + (
        f", not counting {_duration(paused)} when a part was paused (SIGSTOP) to measure or test something else "
        "on its machine (`paused_seconds` in timing.json, written by hand, as the run cannot see it)" if paused else "")
        + ".", ""]


def still_running(running):
    """The sweeps of a plan still running in parts when the report was written (``lottery-np report`` on a
    folder whose run is not finished): named, with how many variants are in, and not judged."""
    if not running:
        return []
    parts = [f"sweep-{name}, {len(done)} of {len(planned)} variants in" + (f" ({', '.join(done)})" if done else "")
             for name, (done, planned) in running.items()]
    return [f"**Still running when this report was written**, so not judged here: {'; '.join(parts)}. "
            f"`lottery-np reproduce --full --only {' '.join(f'sweep-{n}' for n in running)}` runs the rest into "
            "this folder, and `lottery-np report` then writes this report again with "
            f"{'their verdicts' if len(parts) > 1 else 'its verdict'}.", ""]


def code_versions(out, timing):
    """For a plan whose parts were run by several commits of the code: which, and where the run's log
    (``README.md`` beside the report, written by hand) says what changed between them."""
    codes = list(dict.fromkeys(r["code"] for r in timing.get("runs", []) if r.get("code")))
    if len(codes) < 2:
        return []
    text = f"Its parts were run by {len(codes)} commits of the code ({', '.join(codes)}, in order)"
    if (Path(out) / "README.md").is_file():
        text += ("; [README.md](README.md) beside this report, the run's log, says what changed between them "
                 "that trains, and how it was checked that they give the same numbers")
    return [text + ".", ""]


def _paused(run):
    return f" ({_duration(run['paused_seconds'])} paused)" if run.get("paused_seconds") else ""


def plan_rows(out):
    """Every finished training of every experiment folder of the plan folder ``out`` (``mnist-*``, each sweep's
    variants), folder by folder in the order of their names (``mnist-iterative`` first), each folder's in plan
    order: ``[(folder, unit, key, summary row)]``."""
    found = []
    for path in [p.parent for p in sorted([*Path(out).glob("*/config.json"), *Path(out).glob("sweep-*/*/config.json")])]:
        folder = open_existing(path)
        rows = {(r["kind"], r["trial"], r["draw"], r["level"]): r for r in read_summary(path)}
        for u in plan(folder.config):
            row = rows.get((u.kind, u.trial, u.draw, u.level))
            if row is not None:
                found.append((path.relative_to(out).as_posix(), u, unit_key(folder.config, u), row))
    return found


TRAINING_COLUMNS = ("key", "percent_remaining", "convergence_iteration", "test_accuracy", "min_val_loss", "diverged",
                    "used_by")


def _numbers(row):
    """What a training gave, comparable: convergence iteration, test accuracy, min. validation loss (None
    where it diverged, so that two records of one diverged training are equal)."""
    return tuple(nan_to_none([row[k] for k in ("convergence_iteration", "test_accuracy", "min_val_loss")]))


def trainings_csv(out):
    """``summary.csv`` of a plan folder: each distinct training once, by its key, with its numbers and every
    ``folder/unit`` of the plan that is it. A training trained twice with numbers that differ (on two CPU
    models, see ``trained_twice``) has a row for each, each naming the folders that hold those numbers."""
    by_run = {}
    for folder, u, key, row in plan_rows(out):
        by_run.setdefault((key, _numbers(row)), [row, []])[1].append(f"{folder}/{u.id}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRAINING_COLUMNS)
    for (key, _), (row, used) in by_run.items():
        values = nan_to_none([row[k] for k in TRAINING_COLUMNS[1:-1]])  # csv writes None as ""
        w.writerow([key, *(repr(v) if isinstance(v, float) else v for v in values), " ".join(used)])
    return buf.getvalue()


def trained_twice(out, timing):
    """Trainings of the plan folder ``out`` that were trained twice with numbers that differ — one key, two
    rows — grouped by the machines that made them, as ``{(machine, machine): [(numbers, numbers)]}``. A row
    is credited to the first folder (``plan_rows``' order) that holds it, and a folder to the machine of the part
    (``timing.json``) that ran it; a row a compact part lent to a later one is the same row, so it is one.
    Runs that gave the same numbers cannot be told from a lent copy, and are not counted."""
    seen, pairs = {}, {}
    for folder, _, key, row in plan_rows(out):
        numbers = _numbers(row)
        earlier = seen.setdefault(key, {})
        if numbers in earlier:
            continue
        machine = machine_of(folder, timing)
        for other, other_machine in earlier.items():
            pairs.setdefault(tuple(sorted((other_machine, machine))), []).append((other, numbers))
        earlier[numbers] = machine
    return pairs


def run_of(folder, timing):
    """The entry of ``timing.json`` of the first part that ran ``folder`` (an experiment, a sweep, or one
    variant): its machine, code, ...; ``{}`` where none is recorded."""
    return next((r for r in timing.get("runs", []) for part in r["part"].split()
                 if part == "all" or folder == part or folder.startswith(part + "/")), {})


def machine_of(folder, timing):
    """The machine of the first part that ran ``folder``, or "not recorded"."""
    return run_of(folder, timing).get("machine", "not recorded")


def recorded_rechecks(out):
    """``[(folder, entry)]``: the trainings ``lottery-np recheck FOLDER --record`` made again, from each experiment
    folder's ``rechecks.json``, folder by folder in the order of their names."""
    found = []
    for path in sorted([*Path(out).glob(f"*/{RECHECKS_FILE}"), *Path(out).glob(f"sweep-*/*/{RECHECKS_FILE}")]):
        folder = path.parent.relative_to(out).as_posix()
        found += [(folder, e) for e in json.loads(path.read_text())["rechecks"]]
    return found


def cpu_of(machine):
    """The CPU part of a ``reproduce.machine()`` line: its name and, in brackets, the architecture and
    what the sums were compiled for (``AMD EPYC (x86_64, znver3, OpenBLAS Haswell)``)."""
    return machine.split("), ", 1)[0] + ")" if "), " in machine else machine.split(" (")[0]


def host_of(machine):
    """``cpu_of`` with the CPU the sums ran on, not the target Numba was told to compile for (``NUMBA_CPU_NAME``:
    ``AMD EPYC (x86_64, Numba generic on znver4)`` ran on ``AMD EPYC (x86_64, znver4)``)."""
    return re.sub(r"Numba \S+ on ", "", cpu_of(machine))


def reproducibility(out, timing):
    """The section that says how reproducible the run is, measured on trainings it ran twice."""
    pairs, checks = trained_twice(out, timing), recorded_rechecks(out)
    if not pairs and not checks:
        return []
    lines = ["### How reproducible it is", ""]
    if pairs:
        lines += differing(pairs)
    if checks:
        lines += rechecked(checks, timing)
    return lines


def differing(pairs):
    """The paragraph and table of trainings made twice with numbers that differ (``trained_twice``)."""
    lines = ["Some trainings of this run were trained twice (a later part on another machine needed the trained "
             "weights that a committed compact part does not keep), and gave numbers that differ:", "",
             "| machines | trainings | same convergence iteration | largest differences: convergence, "
             "test accuracy, min. val. loss (relative) |", "|---|---|---|---|"]
    for (m1, m2), ps in sorted(pairs.items()):
        same = sum(a[0] == b[0] for a, b in ps)
        both = [(a, b) for a, b in ps if None not in a + b]  # a training that diverged on one side has no difference
        d_conv = max((abs(a[0] - b[0]) for a, b in both), default=0)
        d_acc = max((abs(a[1] - b[1]) for a, b in both), default=0)
        d_loss = max((abs(a[2] - b[2]) / abs(a[2]) for a, b in both), default=0)
        cpu = [cpu_of(m) for m in (m1, m2)]  # the CPU; the rest of the line is in "How it was run"
        where = cpu[0] if m1 == m2 else f"{cpu[0]} and {cpu[1]}"
        lines.append(f"| {where} | {len(ps)} | {same} of {len(ps)} | "
                     f"{d_conv:,} iterations, {100 * d_acc:.2f} points, {100 * d_loss:.2f}% |")
    lines += ["", "On one CPU model, with the same Python, NumPy and Numba, a training gives the same numbers bit for "
              "bit; across CPU models float32 rounding (BLAS picks its kernels by CPU) moves a 50,000-step "
              "training by differences like these. An iterative chain amplifies them: once a weight falls on the other "
              "side of a pruning threshold the masks differ, and every later round with them (a fresh quick run on "
              "another AMD EPYC model matched its committed run to round 6 and differed from round 7 on). A "
              "verdict whose 95% interval ends near the paper's threshold is one a rerun on another CPU could move; "
              "each claim's interval is in the tables below. `lottery-np recheck FOLDER` trains a few committed "
              "trainings again on your machine and compares.", ""]
    return lines


def rechecked(checks, timing):
    """The table of trainings made again by ``lottery-np recheck --record``: where each was made, where it was
    made again, and whether the numbers are the same bit for bit."""
    lines = ["`lottery-np recheck FOLDER --record` trained these committed trainings again, from what the compact "
             "folders keep (θ0 and the minibatch order from the seed, the tickets' masks), and compared their "
             "convergence iteration, test accuracy and minimum validation loss with the committed ones (a CPU is "
             "named with the target its sums were compiled for):", "",
             "| training | made on (code) | trained again on (code, date) | numbers |", "|---|---|---|---|"]
    same, other_cpu, other_target = 0, 0, 0
    for folder, e in checks:
        made = run_of(folder, timing)
        c, n = _numbers(e["committed"]), _numbers(e["now"])
        identical = c == n
        same += identical
        if identical and "machine" in made:  # another CPU, or this one with the engine compiled for another
            same_host = host_of(made["machine"]) == host_of(e["machine"])
            other_cpu += not same_host
            other_target += same_host and cpu_of(made["machine"]) != cpu_of(e["machine"])
        numbers = "identical, bit for bit" if identical else "; ".join(f"{a} → {b}" for a, b in zip(c, n) if a != b)
        where = f"{cpu_of(made['machine'])} ({made.get('code', 'code not recorded')})" if made else "not recorded"
        lines.append(f"| {folder}/{e['id']} | {where} | {cpu_of(e['machine'])} ({e['code']}, {e['date']}) | {numbers} |")
    target = (f", {other_target} on the same CPU model with the engine compiled for another target "
              "(`NUMBA_CPU_NAME`: other vector instructions)" if other_target else "")
    lines += ["", f"{same} of {len(checks)} identical, {other_cpu} of them on a CPU other than the one that made "
              f"them{target}. The training engine since code 7de5d0a sums in a fixed order with no BLAS and no fused "
              "multiply-add, so with the same versions of Python, NumPy and Numba a training it made gives the "
              "same bits on any CPU (`tests/test_same_bits.py` holds this under other BLAS kernels, another Numba "
              "target and a C library without FMA, and pins the bits); other versions are not guaranteed to, nor "
              "trainings made by an earlier engine, which used BLAS. `lottery-np recheck FOLDER --record` adds "
              "your machine's.", ""]
    return lines


def report(out, mode, experiments, named, xor_result, examine_result, wall, estimate, jobs, made_on, running=None):
    """The text of REPORT.md and the claims by name. The verdicts come first (one table, then the
    figure that carries the paper's message), then each section with its claims, tables and figures.

    experiments : the plan's main experiments, ``[(folder, config)]`` with folders ``mnist-oneshot``
        and ``mnist-iterative``; named : the sweeps to judge, ``{name: [sweeps.Variant]}``; running : the
        plan's sweeps not finished yet, ``{name: (variants done, variants planned)}``, said so and not judged."""
    running = running or {}
    one = read_summary(out / "mnist-oneshot")
    it = read_summary(out / "mnist-iterative")
    configs = dict(experiments)
    cfg, it_cfg = configs["mnist-oneshot"], configs["mnist-iterative"]
    budget = cfg.iterations  # convergence claims need it (claims.py, rule 1); the sweeps share it
    mnist = C.mnist_claims(one, it, budget)
    section3 = [mnist[k] for k in ("oneshot_speedup", "oneshot_control1", "oneshot_control2")]
    section4 = [mnist[k] for k in ("iterative_vs_oneshot", "iterative_convergence", "controls_drop_earlier",
                                   "iterative_control1", "iterative_control2")]
    rules6 = {"init-std": C.init_std_claims, "size": C.size_claim, "rate": C.rate_claim, "reset": C.reset_claim}
    claims6 = [c for name in SWEEP_ORDER if name in named and name in rules6 for c in rules6[name](named[name], budget)]
    (xor_claims, xor_lines), (examine_claims, examine_lines) = xor_section(xor_result), examine_section(
        examine_result, first_layer=(Path(out) / "examine" / "first_layer.png").exists())
    everything = [*xor_claims.values(), *section3, *section4, *examine_claims.values(), *claims6]
    quick = mode == "quick"
    notes = [n for n in (_controls_note(cfg, one) and f"one-shot: {_controls_note(cfg, one)}",
                         _controls_note(it_cfg, it) and f"iterative: {_controls_note(it_cfg, it)}") if n]
    lines = [
        "# Reproduction report: The Lottery Ticket Hypothesis (Frankle & Carbin, 2018)", "",
        ("> **This is the quick version** (`lottery-np reproduce --quick`), made to decide the headline claims of "
         f"section 4 in under half an hour on 2 cores: {cfg.iterations:,} iterations per training instead of 50,000, "
         + (f"{cfg.trials} tickets instead of 5, " if cfg.trials != 5 else "the paper's 5 tickets, ")
         + f"{cfg.controls} draw of each control instead of 3, fewer levels "
         f"(one-shot {', '.join(f'{100 * f:g}' for f in cfg.fractions)}%; iterative {it_cfg.rounds} rounds) and "
         f"controls only where they can decide a claim ({'; '.join(notes)}), no section 6 sweeps. A claim it "
         "cannot decide is marked undecided, with the reason; the paper-scale run "
         f"(`lottery-np reproduce --full`, committed at {_paper_scale_link(out)}) decides the rest, and alone "
         "judges section 6.") if quick else
        ("> **The standard plan** (`lottery-np reproduce --standard`): the paper's training — "
         f"{cfg.iterations:,} iterations, validation every {cfg.eval_every}, every one-shot level and all "
         f"{cfg.rounds} rounds — with {cfg.trials} tickets instead of 5 and {cfg.controls} draw(s) of each control "
         "instead of 3. The section 6 sweeps are not part of this plan (at 50,000 iterations they would double "
         "its time); `lottery-np sweep` runs each of them"
         + (f", and those run into this folder are judged here: {', '.join(named)}." if named else "."))
        if mode == "standard" else
        (f"> **The paper's scale** (`lottery-np reproduce --full`): {cfg.iterations:,} iterations per training, "
         f"validation every {cfg.eval_every}, {cfg.trials} tickets and {cfg.controls} draws of each control at every "
         f"one-shot level and all {it_cfg.rounds} rounds, section 5 on ticket 0, and every section 6 sweep "
         "at the same training settings."), "",
        PROCEDURE, "",
        "## Verdicts", "",
        "✅ reproduced · 🟡 partly · ❌ not · ⚪ undecided. Each section below gives each claim's parts with their "
        "intervals, the reason, and for an undecided claim what would decide it.", "",
        verdict_table(everything), "",
    ]
    if cfg.trials < 3:
        lines += [f"**With {cfg.trials} ticket(s) a 95% interval is wide** (with 2, ±12.7 standard errors of the "
                  "mean): this run decides only what its tickets show by a wide margin, and leaves the rest "
                  "undecided rather than fall back to a weaker rule. The paper-scale run, 5 tickets "
                  f"({_paper_scale_link(out)}), decides them.", ""]
    if not claims6 and not running:
        lines += ["Section 6 (initialization, network size, pruning rate, resetting) is not judged: this plan runs "
                  "none of its sweeps.", ""]
    lines += still_running(running)
    lines += [
        "![tickets against both controls](mnist-iterative/convergence_accuracy.png)", "",
        "*Iterative pruning: convergence iteration (left) and test accuracy at it (right) against the percent of "
        "weights remaining — the tickets (reset to θ0) against control 1 (same mask, fresh weights) and control 2 "
        "(survivors moved to random positions). Mean over trials, bars from min to max.*", "",
        (f"Machines: {len(set(_machines(wall)))} kinds over {len(_machines(wall))} invocations (see 'How it was run'). "
         if len(set(_machines(wall))) > 1
         else f"Machine: {made_on}. ")
        +
        f"Jobs: {jobs or 'not recorded'}. Wall time: {_duration(wall['seconds'])} over {wall['invocations']} invocation(s) "
        f"(estimated up front: {_duration(estimate)}).", "",
    ]
    lines += how_it_was_run(wall)
    lines += code_versions(out, wall)
    lines += reproducibility(out, wall)
    lines += [
        f"Settings: LeNet {'-'.join(map(str, cfg.sizes))}, N(0, {cfg.init_std}²) init, SGD lr {cfg.lr}, batch "
        f"{cfg.batch_size}, {cfg.iterations:,} iterations, validation every {cfg.eval_every}; one-shot levels "
        f"{', '.join(f'{100 * f:g}' for f in cfg.fractions)}% of hidden weights; iterative {it_cfg.rounds} rounds "
        f"of {100 * it_cfg.rate:g}% (output {50 * it_cfg.rate:g}%). Every setting is in each folder's "
        "`config.json`.", "",
    ]
    lines += xor_lines
    lines += ["## §3 One-shot pruning", "", C.markdown(section3), "",
              "![one-shot](mnist-oneshot/convergence_accuracy.png)", "",
              level_table(one), ""]
    lines += _curves_figure(out, "mnist-oneshot", cfg)
    lines += ["## §4 Iterative pruning", "", C.markdown(section4), "",
              "![one-shot vs iterative](oneshot_vs_iterative.png)", "",
              level_table(it), ""]
    lines += _curves_figure(out, "mnist-iterative", it_cfg)
    lines += examine_lines
    missing = [name for name in rules6 if name not in named and name not in running]
    lines += ["## §6 Exploring parameters", ""]
    if claims6:
        lines += [C.markdown(claims6), ""]
    lines += still_running(running)
    if missing:
        lines += [f"Not run for this report, so not judged here: {', '.join(missing)}. `lottery-np sweep NAME` runs "
                  "each sweep at the paper's training settings.", ""]
    for name in named:
        lines += [f"### Sweep: {name}", "", f"![{name}](sweep-{name}/sweep.png)", ""]
    late = named.get("late-reset", [])
    if late:
        lines += ["### Beyond the paper: late resetting", "",
                  "Survivors reset to the unpruned network's weights at iteration k instead of θ0 (k = 0 is the "
                  "paper). Tickets, mean over pruned levels:", "",
                  "| k | convergence iteration | test accuracy % |", "|---|---|---|"]
        for v in late:
            c, a = C.ticket_means(v.rows)
            lines.append(f"| {v.config.reset_iteration} | {c:.0f} | {100 * a:.2f} |")
        lines.append("")
    lines += differences_section(out)
    return "\n".join(lines) + "\n", {**xor_claims, **mnist, **examine_claims}


DIFFERENCES_FILE = "differences.md"


def differences_section(out):
    """"Where ours differs from the paper": written by hand after a run, from its tables, into
    ``out/differences.md``, which the report takes in as it is. It is kept beside the run's results
    so that ``lottery-np report`` writes the same REPORT.md again; a rule cannot say why a number
    differs from the paper's, so no code writes it."""
    path = Path(out) / DIFFERENCES_FILE
    lines = ["## Where ours differs from the paper", ""]
    if not path.is_file():
        return lines + [f"Not written for this run: it is written by hand, into `{DIFFERENCES_FILE}` beside "
                        f"REPORT.md, which `lottery-np report` then takes in here. The committed paper-scale report "
                        f"({_paper_scale_link(out)}) says where that run differs from the paper, by how much, and "
                        f"the most likely reason."]
    return lines + [path.read_text().strip()]  # the report's last section: it ends the file


def xor_section(result):
    """The §2 claims (``claims.xor_claims``, by name) and the report's lines for them and both XOR
    tables: ``(claims, lines)``."""
    claims = C.xor_claims(result)
    s = result["settings"]
    return claims, ["## §2 XOR", "", C.markdown(claims.values()), "",
                    f"{s['trials']} trials per configuration; init N(0, {s['init_std']}²), lr {s['lr']}, zero loss = "
                    f"loss < {s['zero_loss_threshold']}, {s['iterations']} iterations (constants fixed once in "
                    "`lottery_np/paper/xor.py`).", "", tables_markdown(result), ""]


def examine_section(result, first_layer=True):
    """The §5 claims (``claims.examine_claims``, by name) and the report's lines for them and the
    table of one ticket (trial 0 of the iterative experiment): ``(claims, lines)``."""
    rows, _ = result
    claims = C.examine_claims(rows)
    return claims, ["## §5 Examining winning tickets (ticket 0 of the iterative experiment)", "",
                    C.markdown(claims.values()), "",
                    "![initial values](examine/initial_values.png)", "", "![connections](examine/connections.png)", "",
                    *(["![first layer](examine/first_layer.png)", ""] if first_layer else []),
                    summary_markdown(rows), ""]
