"""After the paper: the follow-up questions' claims judged, their figures and report, and the command.

``after.py`` runs the experiments and returns one row per network; here each headline claim is judged
from those rows by the procedure of ``stats.py`` (one contrast per ticket, its 95% t interval against
the follow-up paper's own threshold), drawn, written to ``OUT/REPORT.md``, and run from the command
line: ``lottery-np after stability|signs|supermask|random``.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import load_mnist
from ..errors import ConfigError
from ..train import TrainConfig, train
from .after import (CHANCE, fast_trainer, find_tickets, random_pruning_experiment, signs_experiment,
                    stability_experiment, supermask_experiment)
from .claims import MARGIN
from .stats import judge, level_stats, paired_interval, tickets_to_decide
from .store import atomic_write

# ----------------------------------------------------------------------------
# The claims: one contrast per ticket, a 95% t interval, the follow-up paper's threshold
# ----------------------------------------------------------------------------


@dataclass
class Verdict:
    """A claim judged: the per-ticket contrast's interval against the threshold, and what it means."""
    name: str
    claim: str
    paper: str       # the follow-up paper's finding and number, in our words
    units: str       # what the contrast measures
    iv: object       # stats.Interval
    threshold: float
    side: int
    result: str      # yes | partly | no | undecided (stats.judge)
    decide: str = ""  # for an undecided claim: about how many tickets would decide it

    def line(self):
        return (f"{self.name}: {self.result} — {self.units} {self.iv.mean:.2f} [{self.iv.lo:.2f}, {self.iv.hi:.2f}] "
                f"over {self.iv.n} tickets, threshold {'>' if self.side > 0 else '<'} {self.threshold:g}"
                + (f"; {self.decide}" if self.decide else ""))


def decide(name, claim, paper, units, values, threshold, side=+1, null=0.0):
    """The verdict on per-ticket ``values`` (NaNs left out) by ``stats.judge``; undecided says how many would do."""
    iv = paired_interval(values)
    result = judge(iv, threshold, side, null) if iv.n >= 2 else "undecided"
    note = ""
    if result == "undecided":
        if iv.n < 2:
            note = f"{iv.n} ticket(s) give no interval: run at least 2 (--trials)"
        else:
            n = tickets_to_decide(iv, threshold)
            note = (f"about {n} tickets would decide it" if n is not None else
                    "more than 1,000 tickets would be needed: the effect is about the threshold")
    return Verdict(name, claim, paper, units, iv, threshold, side, result, note)


def per_level(rows, kind, key, levels=None):
    """``{trial: {level: mean of key over draws}}`` of the non-diverged rows of ``kind``."""
    out = {}
    for r in rows:
        if r["kind"] == kind and not r["diverged"] and (levels is None or r["level"] in levels):
            out.setdefault(r["trial"], {}).setdefault(r["level"], []).append(float(r[key]))
    return {t: {lv: float(np.mean(v)) for lv, v in by.items()} for t, by in out.items()}


def sparse_levels(rows, below=50.0):
    """The levels with less than ``below`` percent of the weights left (where controls are expected to fall)."""
    return {r["level"] for r in rows if r["percent_remaining"] < below}


def paired(a, b, trial, levels=None):
    """The levels that ticket ``trial`` has in both ``a`` and ``b`` (rule 1: both groups trained fine)."""
    both = set(a.get(trial, {})) & set(b.get(trial, {}))
    return sorted(both if levels is None else both & set(levels))


# Frankle et al. (2020) call a network stable when its instability is about zero; 2 percentage points is how this
# project reads "about zero" (a tolerance set here, before any run, not a number taken from their paper).
STABLE = 2.0


def ticket_means(rows, kind, key):
    """Per ticket, ``key`` of the rows of ``kind`` averaged over its levels, in points (×100)."""
    return [100 * np.mean(list(by.values())) for by in per_level(rows, kind, key).values()]


def stability_claim(rows, threshold=STABLE):
    """Tickets are stable at initialization: per ticket, the instability (points) averaged over its levels,
    wholly below ``threshold``."""
    values = ticket_means(rows, "ticket", "instability")
    return decide("stability", f"tickets found by iterative pruning are stable at initialization "
                  f"(instability below {threshold:g} points)",
                  'iterative-pruning subnetworks "only reach full accuracy when they are stable to SGD noise", '
                  'which for MNIST "occurs at initialization" (abstract); stable: instability about 0',
                  "instability (points)", values, threshold, side=-1, null=None)


def signs_claim(rows, share=0.5, below=50.0):
    """Signs-only keeps most of the ticket's lead over control 1: per ticket, (signs − control 1) / (ticket −
    control 1) of the accuracies averaged over the sparse levels, above ``share``. A ticket that does not beat
    control 1 there has no lead to keep and is left out."""
    levels = sparse_levels(rows, below)
    t, r, s = (per_level(rows, k, "test_accuracy", levels) for k in ("ticket", "reinit", "signs"))
    values = []
    for trial in t:
        lv = [x for x in paired(t, r, trial, levels) if x in s.get(trial, {})]
        lead = np.mean([t[trial][x] - r[trial][x] for x in lv]) if lv else np.nan
        kept = np.mean([s[trial][x] - r[trial][x] for x in lv]) if lv else np.nan
        values.append(kept / lead if lead > 0 else np.nan)
    return decide("signs", f"signs-only keeps most (over {share:.0%}) of the ticket's accuracy lead over control 1 "
                  f"(levels below {below:g}% of the weights)",
                  '"signs are all you need to make the re-initialized network train" (abstract): θ0\'s signs with '
                  'fresh magnitudes train about as well as the ticket, fresh signs (control 1) do not',
                  "share of the lead kept", values, share, side=+1, null=0.0)


def supermask_claim(rows, threshold=0.40):
    """A supermask on untrained θ0 is far above chance: per ticket, its test accuracy averaged over the
    pruned levels, above ``threshold`` (four times chance, 10%)."""
    values = ticket_means(rows, "supermask", "test_accuracy")
    return decide("supermask", f"a supermask on untrained θ0 is far above chance ({100 * CHANCE:g}%): over "
                  f"{100 * threshold:g}% test accuracy",
                  'masks on untrained, randomly initialized networks perform "far better than chance (86% on '
                  'MNIST, 41% on CIFAR-10)" (abstract); "large final, same sign" is one of their mask criteria',
                  "test accuracy (%)", values, 100 * threshold, side=+1, null=100 * CHANCE)


def random_claim(rows, margin=MARGIN, below=50.0):
    """Random pruning loses accuracy earlier than tickets: per ticket, ticket − random accuracy (points)
    averaged over the sparse levels, above ``margin`` (the project's half point for 'loses its accuracy')."""
    levels = sparse_levels(rows, below)
    t, r = per_level(rows, "ticket", "test_accuracy", levels), per_level(rows, "random", "test_accuracy", levels)
    values = [100 * np.mean([t[k][x] - r[k][x] for x in paired(t, r, k, levels)]) if paired(t, r, k, levels) else np.nan
              for k in t]
    return decide("random", f"random pruning loses accuracy earlier than tickets (below {below:g}% of the weights, by "
                  f"more than {margin:g} points)",
                  "in our words: random pruning is their baseline that, unlike iterative pruning, stops reaching "
                  "full accuracy once the network is sparse",
                  "ticket − random (points)", values, margin, side=+1, null=0.0)


CLAIMS = {"stability": stability_claim, "signs": signs_claim, "supermask": supermask_claim, "random": random_claim}


# ----------------------------------------------------------------------------
# Figures (matplotlib, loaded only here) and REPORT.md
# ----------------------------------------------------------------------------

STYLE = {"ticket": dict(color="tab:blue", marker="o", ls="-", label="ticket (iterative pruning, θ0)"),
         "reinit": dict(color="tab:orange", marker="s", ls="--", label="control 1: fresh weights"),
         "signs": dict(color="tab:purple", marker="D", ls="-.", label="signs-only: θ0 signs, fresh magnitudes"),
         "random": dict(color="tab:red", marker="v", ls=":", label="random pruning: random mask, θ0 values"),
         "supermask": dict(color="tab:green", marker="^", ls="-", label="supermask on θ0, no training"),
         "supermask_signed": dict(color="tab:olive", marker="<", ls="-.",
                                  label="supermask on θ0's signs, one magnitude per layer, no training"),
         "ticket_untrained": dict(color="tab:gray", marker="x", ls="--", label="ticket's mask on θ0, no training")}


def draw_levels(ax, rows, key, kinds, scale=100.0):
    """Mean of ``key`` per level (min–max bars over tickets and draws) against percent of weights left."""
    tick_of = {}  # one tick per level, at the ticket's mean, else the first kind's (a supermask may keep less)
    for kind in kinds:
        pts = level_stats([r for r in rows if r["kind"] == kind], key).get(kind, [])
        if pts:
            x = np.array([p["x"] for p in pts])
            m, lo, hi = (scale * np.array([p[k] for p in pts]) for k in ("mean", "lo", "hi"))
            ax.errorbar(x, m, yerr=[m - lo, hi - m], capsize=3, markersize=4, **STYLE[kind])
            for p in pts:
                if kind == "ticket" or p["level"] not in tick_of:
                    tick_of[p["level"]] = round(p["x"], 2)
    ax.set_xscale("log")
    ticks = sorted(set(tick_of.values()))
    ax.set_xticks(ticks, labels=[f"{t:.3g}" for t in ticks])
    ax.set_xticks([], minor=True)
    ax.invert_xaxis()  # the full network on the left
    ax.set_xlabel("percent of weights remaining")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def plot_after(question, rows, path=None):
    """The figure a student reads first, for one question; returns the Figure (saved when given a path)."""
    import matplotlib.pyplot as plt  # optional: judging rows needs NumPy alone, only figures need matplotlib
    if question == "stability":
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        draw_levels(a, rows, "instability", ("ticket", "reinit", "random"))
        a.axhline(STABLE, color="k", lw=0.8, ls="--")
        a.set(ylabel="instability (percentage points)", title="instability to SGD noise, at initialization")
        sparsest = min(r["percent_remaining"] for r in rows)
        for kind in ("ticket", "reinit", "random"):
            paths = [r["errors"] for r in rows if r["kind"] == kind and r["percent_remaining"] == sparsest]
            if paths:
                b.plot(rows[0]["alphas"], 100 * np.mean(paths, axis=0), **STYLE[kind])
        b.set(xlabel="α: (1 − α)·copy A + α·copy B", ylabel="test error (%)",
              title=f"error along the path at {sparsest:.1f}% of the weights")
        b.grid(alpha=0.3)
        b.legend(fontsize=8)
    elif question == "supermask":
        fig, a = plt.subplots(figsize=(7, 4))
        draw_levels(a, [r for r in rows if r["percent_remaining"] < 100], "test_accuracy",
                    ("supermask", "supermask_signed", "ticket_untrained", "ticket"))
        a.axhline(100 * CHANCE, color="k", lw=0.8, ls="--")
        a.set(ylabel="test accuracy (%)", ylim=(0, 100), title="accuracy with no training (ticket: trained, for scale)")
    else:  # signs and random share one figure: every trained kind in the rows
        fig, a = plt.subplots(figsize=(7, 4))
        draw_levels(a, rows, "test_accuracy", ("ticket", "reinit", "signs", "random"))
        a.set(ylabel="test accuracy (%)", title="accuracy after training, by how the network starts")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


FIGURE = {"stability": "stability.png", "signs": "accuracy.png", "random": "accuracy.png", "supermask": "supermask.png"}
SOURCES = {
    "stability": "Frankle, Dziugaite, Roy & Carbin (2020), Linear Mode Connectivity and the Lottery Ticket Hypothesis",
    "signs": "Zhou, Lan, Liu & Yosinski (2019), Deconstructing Lottery Tickets",
    "supermask": "Zhou, Lan, Liu & Yosinski (2019), Deconstructing Lottery Tickets",
    "random": "Frankle, Dziugaite, Roy & Carbin (2020), the random-pruning baseline"}


def level_lines(rows, key, kinds, scale=100.0):
    """A Markdown table: per level, the mean of ``key`` (min–max) of each kind."""
    kinds = [k for k in kinds if any(r["kind"] == k for r in rows)]
    stats = {k: {p["level"]: p for p in level_stats([r for r in rows if r["kind"] == k], key).get(k, [])} for k in kinds}
    levels = sorted({lv for s in stats.values() for lv in s})
    lines = ["| level | % weights left | " + " | ".join(kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for lv in levels:
        x = next(s[lv]["x"] for s in stats.values() if lv in s)
        cells = [f"{scale * s[lv]['mean']:.2f} ({scale * s[lv]['lo']:.2f}–{scale * s[lv]['hi']:.2f})" if lv in s else ""
                 for s in stats.values()]
        lines.append(f"| {lv} | {x:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report_markdown(results):
    """REPORT.md from the finished questions of a folder (``{question: its JSON}``)."""
    lines = ["# After the paper", "",
             "Three questions later papers asked of lottery tickets, on LeNet-300-100 and MNIST, judged with the project's "
             "procedure (`paper/stats.py`): one contrast per ticket, its 95% t interval against the follow-up paper's "
             "threshold. Words in quotation marks are the follow-up papers' own (from their abstracts); the rest is ours.", "",
             "| question | claim | the follow-up paper | ours: mean [95% interval] | verdict | to decide |",
             "|---|---|---|---|---|---|"]
    for q, res in results.items():
        v = res["verdict"]
        lines.append(f"| {q} | {v['claim']} | {SOURCES[q]}: {v['paper']} | {v['units']} {v['mean']:.2f} "
                     f"[{v['lo']:.2f}, {v['hi']:.2f}], {v['n']} tickets | {v['result']} | {v['decide']} |")
    for q, res in results.items():
        s, rows = res["settings"], res["rows"]
        lines += ["", f"## {q}", "",
                  f"{s['trials']} tickets, {s['iterations']} iterations per training, levels {s['levels']}, "
                  f"{s['draws']} draw(s) per control, trainer {s['trainer']}, seed {s['seed']}; the last run took "
                  f"{res['seconds']:.0f} s (trainings saved by an earlier run are read, not trained again).", "",
                  f"![{q}]({FIGURE[q]})", ""]
        if q == "stability":
            lines += ["Instability (percentage points; mean and min–max over tickets):", "",
                      level_lines(rows, "instability", ("ticket", "reinit", "random"))]
        else:
            lines += ["Test accuracy (%; mean and min–max over tickets and draws):", "",
                      level_lines(rows, "test_accuracy", ("ticket", "reinit", "signs", "random", "supermask",
                                                           "supermask_signed", "ticket_untrained"))]
    return "\n".join(lines) + "\n"


def verdict_dict(v):
    return dict(name=v.name, claim=v.claim, paper=v.paper, units=v.units, n=v.iv.n, mean=v.iv.mean, sd=v.iv.sd,
                lo=v.iv.lo, hi=v.iv.hi, threshold=v.threshold, side=v.side, result=v.result, decide=v.decide)


def write_results(out, question, rows, verdict, settings, seconds):
    """OUT/<question>.json and .csv, then the figures and REPORT.md of every finished question of OUT."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res = dict(settings=settings, seconds=seconds, rows=rows, verdict=verdict_dict(verdict))
    atomic_write(out / f"{question}.json", json.dumps(res, indent=1, default=float).encode())
    keys = list(dict.fromkeys(k for r in rows for k in r if k not in ("errors", "alphas")))
    csv = [",".join(keys)] + [",".join(str(r.get(k, "")) for k in keys) for r in rows]
    atomic_write(out / f"{question}.csv", ("\n".join(csv) + "\n").encode())
    write_report(out)


def is_after_folder(folder):
    """Whether ``folder`` holds the results of at least one question of ``lottery-np after``."""
    return any((Path(folder) / f"{q}.json").is_file() for q in QUESTIONS)


def finished_questions(out):
    """``{question: its JSON}`` for the questions whose results are in the folder ``out``."""
    return {q: json.loads((Path(out) / f"{q}.json").read_text()) for q in QUESTIONS if (Path(out) / f"{q}.json").exists()}


def write_report(out):
    """REPORT.md and every figure of the folder ``out``, from its ``<question>.json`` files alone (so that
    ``lottery-np report OUT`` writes them again, without the trainings); returns the report's path."""
    out = Path(out)
    results = finished_questions(out)
    for question in results:
        figure_rows = results[question]["rows"]
        if question in ("signs", "random"):  # one accuracy figure for both
            both = [r for q in ("signs", "random") if q in results for r in results[q]["rows"]]
            figure_rows = list({(r["kind"], r["trial"], r["level"], r.get("draw", 0)): r for r in both}.values())
        plot_after(question, figure_rows, out / FIGURE[question])
    atomic_write(out / "REPORT.md", report_markdown(results).encode())
    return out / "REPORT.md"


# ----------------------------------------------------------------------------
# The command: lottery-np after stability|signs|supermask|random
# ----------------------------------------------------------------------------

QUESTIONS = ("stability", "signs", "supermask", "random")
EXPERIMENTS = {"stability": stability_experiment, "signs": signs_experiment, "supermask": supermask_experiment,
               "random": random_pruning_experiment}
MODES = {"quick": dict(trials=2, iterations=2000, levels=(0, 3, 7)),
         "full": dict(trials=5, iterations=50000, levels=(0, 3, 7, 12, 15))}


def add_parser(subparsers):
    """The ``after`` command on ``subparsers`` (of ``lottery-np``)."""
    a = subparsers.add_parser(
        "after", help="after the paper: stability to SGD noise, signs and supermasks, random pruning",
        description="Questions later papers asked of the tickets: 'stability' (two trainings of one ticket on two "
                    "minibatch orders, the error on the line between them), 'signs' (θ0's signs, fresh magnitudes), "
                    "'supermask' (a mask on untrained θ0) and 'random' (random pruning). Resumable: the same command "
                    "again trains only what is missing.")
    a.add_argument("question", choices=QUESTIONS, help="stability | signs | supermask | random")
    size = a.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="2 tickets, 2,000 iterations, levels 0 3 7 (default)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="5 tickets, the paper's 50,000 iterations, levels 0 3 7 12 15")
    a.set_defaults(mode="quick")
    a.add_argument("--out", default="results/after", help="results folder (default results/after)")
    a.add_argument("--trials", type=int, default=None, help="tickets (overrides the mode's)")
    a.add_argument("--iterations", type=int, default=None, help="iterations per training (overrides the mode's)")
    a.add_argument("--levels", type=int, nargs="+", default=None, metavar="ROUND",
                   help="rounds of iterative pruning to examine (0 = unpruned; overrides the mode's)")
    a.add_argument("--points", type=int, default=11,
                   help="stability: evenly spaced α from 0 to 1 on the path between two trainings (default 11)")
    a.add_argument("--draws", type=int, default=1, help="draws of each control per ticket and level (default 1)")
    a.add_argument("--seed", type=int, default=0, help="the root of every random number (default 0)")
    a.add_argument("--data-dir", default=None, help="default: $LOTTERY_NP_DATA or the checkout's data/")
    a.add_argument("--readable", action="store_true", help="train with train.train, not the fused engine")
    return a


def settings_of(args):
    """The run's settings from the options, or a ConfigError naming the option and what to do."""
    mode = MODES[args.mode]
    s = dict(question=args.question, mode=args.mode, seed=args.seed, draws=args.draws, points=args.points,
             trials=mode["trials"] if args.trials is None else args.trials,
             iterations=mode["iterations"] if args.iterations is None else args.iterations,
             levels=sorted(set(mode["levels"] if args.levels is None else args.levels)),
             trainer="train" if args.readable else "fast_trainer")
    for name, least in (("trials", 1), ("iterations", 1), ("draws", 1), ("seed", 0), ("points", 2)):
        if s[name] < least:
            raise ConfigError(f"--{name} must be a whole number ≥ {least}; got {s[name]}")
    if min(s["levels"]) < 0 or max(s["levels"]) > 40:
        raise ConfigError(f"--levels are rounds of pruning from 0 to 40, e.g. --levels 0 3 7; got {s['levels']}")
    if args.question != "stability" and max(s["levels"]) == 0:
        raise ConfigError(f"--levels: '{args.question}' compares pruned networks; add a pruned round, e.g. --levels 0 3 7")
    if args.question == "supermask" and 0 not in s["levels"]:
        s["levels"] = [0] + s["levels"]  # the supermask is read from the trained unpruned network
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {args.out} is a file; give a folder (it is made if missing)")
    return s


def main(args):
    """Run one question into ``args.out``, print its verdict and where the results are."""
    s = settings_of(args)
    data = load_mnist(args.data_dir)
    config = TrainConfig(iterations=s["iterations"], eval_every=min(100, s["iterations"]))
    trainer = train if args.readable else fast_trainer
    start = time.time()
    print(f"after {s['question']}: {s['trials']} tickets, levels {s['levels']}, {s['iterations']} iterations per "
          f"training, into {args.out}", flush=True)
    tickets = find_tickets(data, config, s["levels"], s["trials"], seed=s["seed"], trainer=trainer, out=args.out)
    kw = dict(seed=s["seed"], trainer=trainer, out=args.out)
    if s["question"] != "supermask":
        kw["draws"] = s["draws"]
    if s["question"] == "stability":
        kw["alphas"] = np.linspace(0.0, 1.0, s["points"])
    rows = EXPERIMENTS[s["question"]](tickets, data, config, **kw)
    verdict = CLAIMS[s["question"]](rows)
    write_results(args.out, s["question"], rows, verdict, s, time.time() - start)
    print(verdict.line())
    print(f"done: {args.out}/REPORT.md, {args.out}/{s['question']}.json, .csv and {args.out}/{FIGURE[s['question']]}")
