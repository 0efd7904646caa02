"""The paper's claims, checked against our numbers — with a verdict only where the run can decide.

Each check of sections 3, 4 and 6 takes summary rows (see ``runner.read_summary``), those of
section 2 the XOR tables and those of section 5 one ticket's rows (``examine``), and returns
a ``Claim``: the paper's statement, the paper's number, ours (with its spread beside it), a
verdict, and the reason in a sentence. ``xor_claims``, ``mnist_claims`` and ``examine_claims``
return them by name, which is how the report picks them. The module needs NumPy only. The verdicts:

* ``reproduced`` — the run shows what the paper says, clearly beyond the spread;
* ``partly``     — one part of the claim is shown and another is clearly not (or the
  effect is there but smaller than the paper's);
* ``not``        — the run clearly shows otherwise;
* ``undecided``  — the run cannot tell: the networks were still improving when training
  stopped, the difference is within the spread, or one trial leaves no spread at all;
* ``n/a``        — the run has no data for the claim (e.g. no level in the range it is about).

Two rules recur; every check below uses them, and its docstring says how.

**Rule 1 — numbers at convergence need networks that converged.** The convergence
iteration is the iteration of minimum validation loss, and the accuracy reported is the
test accuracy there. A group of networks whose mean convergence iteration is beyond
``CONVERGED_BY`` (80%) of the iterations is *still improving*: its convergence iteration
and its accuracy are only what it reached so far — lower bounds on the numbers it would
reach at convergence. So a comparison stands only if the group it places *lower* has
converged: a still-improving group may be called later or more accurate than one that
converged, never earlier or less accurate. Two still-improving groups cannot be compared
at all, and a claim measured against the unpruned network needs that network to have
converged.

**Rule 2 — a difference must exceed the spread.** The spread of a group is the range
(min to max) of its values over trials and control draws — the paper's error bars. A
difference between two means counts when it is larger than the larger of the two
spreads; otherwise it is "within the spread". With a single run on each side there is
no spread: an accuracy difference then counts only beyond ``SINGLE_RUN_GAP`` (2 points),
and a difference in convergence never counts. (For rates over many trials, as in the
XOR section, the spread is two standard errors of the difference: see ``rate_direction``.)

A part of a claim that covers several levels holds when the wanted direction is clear
at more than half of them and the opposite is clear at none; it fails when the opposite
is clear at least as often as the wanted direction (and at least once); anything else
is undecided. See ``part``.
"""
from dataclasses import dataclass

import numpy as np

from .stats import level_stats

CONVERGED_BY = 0.8     # still improving: mean convergence iteration beyond this fraction of the budget
SINGLE_RUN_GAP = 0.02  # with one run per side, an accuracy difference must exceed 2 points to count

# "Holds accuracy": mean test accuracy within half a point of the full network's. Looser
# than the paper's 0.15-point phrase for one-shot tickets, because with a few trials the
# mean of one level moves by 0.1–0.2 points from trial noise alone.
TOLERANCE = 0.005

# Outcomes of one comparison.
ABOVE, BELOW, WITHIN = "above", "below", "within the spread"
IMPROVING, NO_SPREAD, NO_BUDGET = "still improving", "one run, no spread", "budget unknown"
OPPOSITE = {ABOVE: BELOW, BELOW: ABOVE}
CONV, ACC = "convergence_iteration", "test_accuracy"


@dataclass
class Claim:
    section: str
    statement: str
    paper: str
    ours: str
    verdict: str  # reproduced | partly | not | undecided | n/a
    why: str
    decide: str = ""  # for an undecided or partly claim: what would decide it (see ``what_would_decide``)


@dataclass
class Group:
    """One quantity over a group of runs (trials, control draws): mean, min, max, number of runs,
    and whether the runs were still improving when training stopped (rule 1; ``None``: unknown)."""
    mean: float
    lo: float
    hi: float
    runs: int
    improving: object = False
    sd: float = np.nan  # standard deviation over the runs (NaN for fewer than two)

    @classmethod
    def of(cls, values, improving=False):
        v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
        if not v.size:
            return cls(np.nan, np.nan, np.nan, 0, improving)
        sd = float(v.std(ddof=1)) if v.size >= 2 else np.nan
        return cls(float(v.mean()), float(v.min()), float(v.max()), int(v.size), improving, sd)

    @property
    def spread(self):
        """Max − min over the runs; 0 for a single run (where ``compare`` knows it means "unknown")."""
        return self.hi - self.lo if self.runs >= 2 else 0.0


# ----------------------------------------------------------------------------
# Rules 1 and 2
# ----------------------------------------------------------------------------


def still_improving(mean_convergence, budget):
    """Rule 1: a mean convergence iteration beyond ``CONVERGED_BY`` of ``budget``; ``None`` if the
    budget is unknown."""
    return None if budget is None else bool(mean_convergence > CONVERGED_BY * budget)


def direction(diff, spread):
    """ABOVE or BELOW if ``|diff|`` exceeds ``spread``, else WITHIN."""
    if not np.isfinite(diff) or abs(diff) <= spread:
        return WITHIN
    return ABOVE if diff > 0 else BELOW


def compare(a, b, key):
    """Is group ``a`` above or below group ``b`` in ``key``, clearly (rules 1 and 2)?

    Returns ABOVE, BELOW or WITHIN (the spread), or why it cannot say: IMPROVING (both
    groups, or the one that would be lower, still improving), NO_BUDGET (not known whether
    they converged), NO_SPREAD (one run each and a question of convergence)."""
    if a.improving is None or b.improving is None:
        return NO_BUDGET
    if a.improving and b.improving:
        return IMPROVING
    if a.runs < 2 and b.runs < 2:
        if key != ACC:
            return NO_SPREAD
        outcome = direction(a.mean - b.mean, SINGLE_RUN_GAP)
    else:
        outcome = direction(a.mean - b.mean, max(a.spread, b.spread))
    lower = {ABOVE: b, BELOW: a}.get(outcome)
    return IMPROVING if lower is not None and lower.improving else outcome


def by_standard_error(a, b):
    """Not a rule of the verdicts, but what would decide a difference the range cannot: is ``a`` above or
    below ``b`` by more than two standard errors of the difference of their means, 2·√(sa²/na + sb²/nb)
    (with many runs chance alone exceeds it about one time in twenty; with 5 runs a side about one in twelve,
    with 2 about one in five, so it is a pointer, not a verdict)? Rule 1 applies as in ``compare``. The range
    of n runs widens as n grows, so rule 2 grows stricter with more trials; this margin shrinks as 1/√n."""
    if a.improving is None or b.improving is None:
        return NO_BUDGET
    if a.improving and b.improving:
        return IMPROVING
    if a.runs < 2 or b.runs < 2:
        return NO_SPREAD
    outcome = direction(a.mean - b.mean, 2 * np.sqrt(a.sd ** 2 / a.runs + b.sd ** 2 / b.runs))
    lower = {ABOVE: b, BELOW: a}.get(outcome)
    return IMPROVING if lower is not None and lower.improving else outcome


def what_would_decide(parts, budget):
    """The sentence a report gives an undecided (or partly) claim: for each undecided part, what the standard-
    error margin (``by_standard_error``) says of the same levels, and how many were still improving.

    parts : ``[(name, its part by the rules, its outcomes by standard error, the part they give, names of
    the outcomes)]``."""
    said, late, single = [], 0, False
    for name, by_range, se_out, se, names in parts:
        if by_range != "undecided":
            continue
        late = max(late, sum(o == IMPROVING for o in se_out))
        single = single or NO_SPREAD in se_out
        said.append(f"{name} would be {se} (" + tally(se_out, {**names, WITHIN: "within two standard errors"}) + ")")
    if not said:
        return ""
    if single:
        return ("Two or more trials per group: with one run there is no spread, so neither the range rule nor a "
                "standard error can judge a difference smaller than the noise between trials.")
    text = ("By the range rule more trials would not decide it: the range of n runs widens as n grows, and some "
            "of these differences are within the range of the runs here. By two standard errors of the difference "
            "of means, " + " and ".join(said) + ".")
    if late:
        text += (f" {late} level(s) still improving at {budget:,} iterations need longer training"
                 if budget is not None else f" {late} level(s) need a known budget")
        text += " before either rule can judge them."
    return text


def rate_direction(p, q, trials):
    """Rates in percent over ``trials`` independent trials each: is ``p`` clearly above or below
    ``q``? The spread is two standard errors of the difference, 2·√(p(1−p)/n + q(1−q)/n), which
    chance alone exceeds about one time in twenty. Returns ``(outcome, spread in points)``."""
    sp = 2 * 100 * np.sqrt(((p / 100) * (1 - p / 100) + (q / 100) * (1 - q / 100)) / trials)
    return direction(p - q, sp), sp


def part(outcomes, want):
    """Combine one part of a claim over several levels (or pairs) into ``"yes"``, ``"no"`` or
    ``"undecided"``: yes when ``want`` is clear at more than half of them and its opposite at
    none; no when the opposite is clear at least once and at least as often as ``want``."""
    w = sum(o == want for o in outcomes)
    o = sum(o == OPPOSITE[want] for o in outcomes)
    if w > len(outcomes) / 2 and o == 0:
        return "yes"
    if o > 0 and o >= w:
        return "no"
    return "undecided"


def verdict(parts):
    """A claim's verdict from its parts (each yes / no / undecided): all yes → reproduced;
    some yes and some no → partly; no yes and some no → not; otherwise (some undecided,
    none no) → undecided."""
    parts = list(parts)
    if all(p == "yes" for p in parts):
        return "reproduced"
    if "no" in parts:
        return "partly" if "yes" in parts else "not"
    return "undecided"


def tally(outcomes, names):
    """A short account of outcomes, e.g. "slower at 1 of 4, within the spread at 3"."""
    counts = [(names.get(o, o), sum(x == o for x in outcomes)) for o in dict.fromkeys(outcomes)]
    return ", ".join(f"{name} at {n}" + (f" of {len(outcomes)}" if i == 0 else "") for i, (name, n) in enumerate(counts))


# ----------------------------------------------------------------------------
# Groups from summary rows
# ----------------------------------------------------------------------------


def by_level(rows, kind, key, budget=None):
    """{level: (percent remaining, Group of ``key``)} for one kind; diverged runs left out. Each
    group knows whether it was still improving at ``budget`` iterations (rule 1)."""
    rows = [r for r in rows if r["kind"] == kind]
    conv = {p["level"]: p["mean"] for p in level_stats(rows, CONV).get(kind, [])}
    return {p["level"]: (p["x"], Group(p["mean"], p["lo"], p["hi"], p["n"] - p["diverged"],
                                       still_improving(conv[p["level"]], budget), p["sd"]))
            for p in level_stats(rows, key).get(kind, [])}


def ticket_means(rows, levels="pruned"):
    """Mean over trials and over pruned levels of the tickets' (convergence iteration, test accuracy)."""
    t = [r for r in rows if r["kind"] == "ticket" and (levels != "pruned" or r["level"] > 0) and not r["diverged"]]
    if not t:
        return np.nan, np.nan
    return float(np.mean([r["convergence_iteration"] for r in t])), float(np.nanmean([r["test_accuracy"] for r in t]))


def trial_group(rows, key, level=None, budget=None):
    """Group over trials of each ticket's ``key``: at ``level``, or averaged over the pruned levels
    (``level=None``). The spread is then between tickets, as rule 2 asks; the group is still
    improving if the mean convergence iteration of those runs is (rule 1)."""
    runs = [r for r in rows if r["kind"] == "ticket" and not r["diverged"]
            and (r["level"] == level if level is not None else r["level"] > 0)]
    per_trial = {}
    for r in runs:
        per_trial.setdefault(r["trial"], []).append(float(r[key]))
    conv = np.mean([r[CONV] for r in runs]) if runs else np.nan
    return Group.of([np.nanmean(v) for v in per_trial.values()], still_improving(conv, budget))


def budget_note(row_sets, budget):
    """Why a convergence comparison cannot be made, in words, e.g. "every network still improving
    at 1,500 iterations (convergence at 1,450–1,500)"."""
    if budget is None:
        return "the number of iterations is unknown, so convergence cannot be judged"
    means = [g.mean for rows in row_sets for kind in ("ticket", "reinit", "shuffle")
             for _, g in by_level(rows, kind, CONV).values() if np.isfinite(g.mean)]
    span = f"convergence at {min(means):,.0f}–{max(means):,.0f}" if means else "no convergence data"
    late = [m for m in means if m > CONVERGED_BY * budget]
    who = "every network" if len(late) == len(means) else f"{len(late)} of {len(means)} groups of networks"
    return f"{who} still improving at {budget:,} iterations ({span})"


def _reason(outcomes, row_sets, budget):
    """The most telling reason why a part is undecided."""
    if NO_BUDGET in outcomes or IMPROVING in outcomes:
        return budget_note(row_sets, budget)
    if NO_SPREAD in outcomes:
        return "one trial, so no spread to judge a difference in convergence by"
    if all(len({r["trial"] for r in rows if r["kind"] == "ticket"}) < 2 for rows in row_sets):
        return f"one trial, so no spread: accuracy differences under {100 * SINGLE_RUN_GAP:g} points do not count"
    return "the difference is within the spread between trials"


def _fmt(group, key):
    """A value with its spread: "97.61% (97.50–97.70)" or "1,200 (1,100–1,300)"; "(1 run)" alone."""
    if not np.isfinite(group.mean):
        return "–"
    f = (lambda v: f"{100 * v:.2f}") if key == ACC else (lambda v: f"{v:,.0f}")
    unit = "%" if key == ACC else ""
    rng = f"{f(group.lo)}–{f(group.hi)}" if group.runs >= 2 else "1 run"
    return f"{f(group.mean)}{unit} ({rng})"


def _unpruned_unconverged(row_sets, budget):
    """Rule 1 for claims measured against the unpruned network: the note if it has not converged."""
    for rows in row_sets:
        if by_level(rows, "ticket", CONV, budget)[0][1].improving is not False:
            return budget_note(row_sets, budget)
    return None


# ----------------------------------------------------------------------------
# Section 2 (XOR)
# ----------------------------------------------------------------------------


def xor_claims(result):
    """The §2 claims, by name, from both XOR tables (``xor.write_xor``'s result).

    A rate is the percent of trials (of ``trials``, all independent) that found the decision
    boundary (DB). Two rates differ clearly when their difference exceeds two standard errors
    of the difference (``rate_direction``); that spread is printed beside each number.

    * ``xor_smaller_nets`` — smaller random networks find XOR less often: reproduced if DB at
      2 units is clearly below DB at 10 and no step down in width clearly raises it; not if a
      step clearly raises it; else undecided.
    * ``xor_tickets`` — 2-unit tickets beat random 2-unit networks: reproduced if every
      heuristic's tickets are clearly better and by more than 10 points; partly if some are
      clearly better; not if none is and one is clearly worse; else undecided.
    * ``xor_iterative`` — iterative beats one-shot pruning at 2 units: reproduced if clearly
      better, not if clearly worse, undecided within the spread.
    """
    ri, pr, n = result["random_init"], result["pruned"], result["settings"]["trials"]
    db = lambda table, units: table[units]["db"]  # noqa: E731

    widths = ["10", "8", "6", "4", "2"]
    steps = [rate_direction(db(ri, b), db(ri, a), n)[0] for a, b in zip(widths, widths[1:])]  # narrower minus wider
    ends, sp_ends = rate_direction(db(ri, "2"), db(ri, "10"), n)
    fewer = "not" if ABOVE in steps else "reproduced" if ends == BELOW else "undecided"

    gains = {k: rate_direction(db(pr[k], "2"), db(ri, "2"), n) for k in pr}
    better = [k for k, (o, _) in gains.items() if o == ABOVE]
    far = all(o == ABOVE and db(pr[k], "2") - db(ri, "2") > 10 for k, (o, _) in gains.items())
    tickets = ("reproduced" if far else "partly" if better else
               "not" if any(o == BELOW for o, _ in gains.values()) else "undecided")
    sp_gain = max(sp for _, sp in gains.values())

    it2, os2 = db(pr["iterative_product"], "2"), db(pr["one_shot_product"], "2")
    it_vs_os, sp_it = rate_direction(it2, os2, n)
    than = {ABOVE: "clearly better than", BELOW: "clearly worse than"}.get(it_vs_os, "within the spread of")
    best = max(pr, key=lambda k: db(pr[k], "2"))
    return {
        "xor_smaller_nets": Claim(
            "2", "Smaller randomly initialized networks learn XOR less often", "DB 98.5% (10 units) → 49.1% (2)",
            f"DB {db(ri, '10'):.1f}% → {db(ri, '2'):.1f}% (spread {sp_ends:.1f} points, {n} trials each)", fewer,
            {"reproduced": "DB is clearly lower at 2 units than at 10, and no narrower network is clearly better.",
             "not": "Some narrower network finds the boundary clearly more often than a wider one.",
             "undecided": "DB at 2 and 10 units differ by less than the spread."}[fewer]),
        "xor_tickets": Claim(
            "2", "2-unit tickets (pruned, reset to θ0) find the boundary far more often than random 2-unit nets",
            "82.4% one-shot product, 91.5% iterative vs 49.1%",
            f"{os2:.1f}% one-shot product, {it2:.1f}% iterative vs {db(ri, '2'):.1f}% "
            f"(spread up to {sp_gain:.1f} points)", tickets,
            f"Tickets of {len(better)} of {len(gains)} heuristics are clearly better than random 2-unit networks"
            + (", all by over 10 points." if far else ".")),
        "xor_iterative": Claim(
            "2", "Iterative pruning finds 2-unit tickets more often than one-shot pruning", "91.5% vs 82.4% (DB)",
            f"{it2:.1f}% vs {os2:.1f}% (spread {sp_it:.1f} points)",
            {ABOVE: "reproduced", BELOW: "not"}.get(it_vs_os, "undecided"),
            f"Iterative is {than} one-shot; the best strategy at 2 units is {best.replace('_', ' ')}."),
    }


# ----------------------------------------------------------------------------
# Sizes down to which tickets hold accuracy, or converge no later than the full network
# ----------------------------------------------------------------------------


def holds_accuracy_to(rows, kind, tolerance=TOLERANCE):
    """The smallest percent remaining down to which every level's mean test accuracy of
    ``kind`` stays within ``tolerance`` of the unpruned tickets' (levels taken from large to small)."""
    full = by_level(rows, "ticket", ACC)[0][1].mean
    held = 100.0
    for level, (pct, g) in sorted(by_level(rows, kind, ACC).items()):
        if level == 0:
            continue
        if not (np.isfinite(g.mean) and g.mean >= full - tolerance):
            break
        held = pct
    return held


def loses_accuracy_at(rows, kind, budget, tolerance=TOLERANCE):
    """The largest percent remaining at which ``kind`` has *clearly* lost accuracy: its mean is
    more than ``tolerance`` below the unpruned tickets' and the drop is beyond the spread,
    from networks that converged (rules 1 and 2). ``None`` if no level has."""
    full = by_level(rows, "ticket", ACC, budget)[0][1]
    lost = [pct for level, (pct, g) in by_level(rows, kind, ACC, budget).items() if level > 0 and
            (not np.isfinite(g.mean) or (full.mean - g.mean > tolerance and compare(full, g, ACC) == ABOVE))]
    return max(lost) if lost else None


def faster_to(rows):
    """The smallest percent remaining down to which the tickets' mean convergence iteration
    stays at or below the unpruned network's."""
    conv = by_level(rows, "ticket", CONV)
    full, held = conv[0][1].mean, 100.0
    for level in sorted(conv)[1:]:
        if not conv[level][1].mean <= full:
            break
        held = conv[level][0]
    return held


def slower_at(rows, budget):
    """The largest percent remaining at which tickets converge *clearly* later than the unpruned
    network (rules 1 and 2); ``None`` if at none."""
    conv = by_level(rows, "ticket", CONV, budget)
    late = [pct for level, (pct, g) in conv.items() if level > 0 and compare(g, conv[0][1], CONV) == ABOVE]
    return max(late) if late else None


# ----------------------------------------------------------------------------
# Sections 3 and 4
# ----------------------------------------------------------------------------


def oneshot_speedup(rows, budget):
    """Section 3: one-shot tickets at 75–25% remaining converge at least 25% faster than the
    unpruned network, with accuracy within 0.15 points.

    Speed (rule 1 on the unpruned network, rule 2 at each level from 75% to 25%): yes if
    tickets are clearly faster at most of these levels and clearly slower at none, *and*
    their mean convergence iteration is at least 25% below the unpruned one's; no if they
    are clearly faster but by less than 25%, or clearly slower (``part``); else undecided.
    Accuracy: yes if no level's mean is more than 0.15 points below the unpruned network's
    and the unpruned network converged (rule 1); no if one is, beyond the spread, and that
    level converged; otherwise undecided. Verdict from the two parts (``verdict``)."""
    conv, acc = by_level(rows, "ticket", CONV, budget), by_level(rows, "ticket", ACC, budget)
    mid = [lv for lv, (pct, _) in conv.items() if 24 <= pct <= 76 and lv > 0]
    statement = "One-shot tickets pruned to 75–25% converge faster than the full network and keep its accuracy"
    paper = "≥ 25% faster; accuracy within 0.15 points"
    if not mid:
        return Claim("3", statement, paper, "no level between 75% and 25%", "n/a", "The run has no level in that range.")
    full_c, full_a = conv[0][1], acc[0][1]
    speedup = 1 - np.mean([conv[lv][1].mean for lv in mid]) / full_c.mean
    spread_c = max(conv[lv][1].spread for lv in mid + [0])
    worst = min(mid, key=lambda lv: acc[lv][1].mean)
    drop = full_a.mean - acc[worst][1].mean

    not_converged = _unpruned_unconverged([rows], budget)
    outcomes = [compare(conv[lv][1], full_c, CONV) for lv in mid]
    speed = "undecided" if not_converged else part(outcomes, BELOW)
    if speed == "yes" and speedup < 0.25:
        speed = "no"
    se_out = [by_standard_error(conv[lv][1], full_c) for lv in mid]
    se_faster = "undecided" if not_converged else part(se_out, BELOW)
    se_speed = "no" if se_faster == "yes" and speedup < 0.25 else se_faster
    se_lower = by_standard_error(full_a, acc[worst][1])
    lower = compare(full_a, acc[worst][1], ACC)
    if drop <= 0.0015:
        same = "undecided" if not_converged else "yes"
    else:
        same = "no" if lower == ABOVE else "undecided"

    ours = (f"{100 * speedup:.0f}% faster on average (unpruned {_fmt(full_c, CONV)}; spread up to {spread_c:,.0f}); "
            f"accuracy {-100 * drop:+.2f} points at worst ({_fmt(acc[worst][1], ACC)} vs {_fmt(full_a, ACC)})")
    speed_why = {"yes": "tickets converge at least 25% faster, beyond the spread",
                 "no": "tickets do not converge 25% faster (" + tally(outcomes, {BELOW: "faster", ABOVE: "slower"}) + ")",
                 "undecided": "speed undecided: " + (not_converged or _reason(outcomes, [rows], budget))}[speed]
    same_why = _say(same, "accuracy within 0.15 points", "accuracy more than 0.15 points lower, beyond the spread",
                    "accuracy undecided: " + (not_converged or _reason([lower], [rows], budget)))
    why = f"{speed_why[0].upper()}{speed_why[1:]}; {same_why}."
    if not_converged:
        decide = (f"What would decide it: longer training, so that the unpruned network converges within the "
                  f"budget ({not_converged}); until then neither rule can judge how much sooner the tickets converge.")
    else:
        decide = what_would_decide([
            ("speed", speed, se_out, se_speed, {BELOW: "faster", ABOVE: "slower"}),
            ("accuracy", same, [se_lower], "no" if se_lower == ABOVE and drop > 0.0015 else "undecided",
             {ABOVE: "lower at the worst level", BELOW: "higher at the worst level"})], budget)
    if speed == "undecided" and se_faster == "yes" and speedup < 0.25:
        decide += f" (Clearly faster is not enough: the paper says at least 25% faster; ours is {100 * speedup:.0f}%.)"
    return Claim("3", statement, paper, ours, verdict([speed, same]), why, decide)


def controls_worse(rows, kind, section, budget):
    """Tickets beat control ``kind`` at the small sizes (≤ 35%): the control converges later and
    is less accurate.

    Each part compares control and tickets level by level (rules 1 and 2) and is combined
    over the levels ≤ 35% with ``part``: speed holds if the control is clearly later at most
    of them and clearly earlier at none; accuracy likewise with "clearly less accurate".
    Verdict from the two parts."""
    name = {"reinit": "control 1 (random reinit)", "shuffle": "control 2 (shuffled structure)"}[kind]
    tc, ta = by_level(rows, "ticket", CONV, budget), by_level(rows, "ticket", ACC, budget)
    cc, ca = by_level(rows, kind, CONV, budget), by_level(rows, kind, ACC, budget)
    small = [lv for lv in cc if cc[lv][0] <= 36]
    statement = f"At small sizes {name} converges more slowly and less accurately than the tickets"
    paper = ("1.91× / 2.28× slower at 35% / 25% (control 1); lower accuracy" if kind == "reinit" else
             "slower; accuracy falls earlier than control 1's")
    if not small:
        return Claim(section, statement, paper, "no control at ≤ 35%", "n/a", "The run has no controls at small sizes.")
    ratio = np.mean([cc[lv][1].mean / tc[lv][1].mean for lv in small])
    gap = np.mean([ta[lv][1].mean - ca[lv][1].mean for lv in small])
    spread_c = max(max(cc[lv][1].spread, tc[lv][1].spread) for lv in small)
    spread_a = max(max(ca[lv][1].spread, ta[lv][1].spread) for lv in small)
    speed_out = [compare(cc[lv][1], tc[lv][1], CONV) for lv in small]
    acc_out = [compare(ta[lv][1], ca[lv][1], ACC) for lv in small]
    speed, less = part(speed_out, ABOVE), part(acc_out, ABOVE)
    se_speed = [by_standard_error(cc[lv][1], tc[lv][1]) for lv in small]
    se_acc = [by_standard_error(ta[lv][1], ca[lv][1]) for lv in small]
    decide = what_would_decide([
        ("speed", speed, se_speed, part(se_speed, ABOVE), {ABOVE: "slower", BELOW: "faster"}),
        ("accuracy", less, se_acc, part(se_acc, ABOVE), {ABOVE: "less accurate", BELOW: "more accurate"})], budget)

    runs = min(g.runs for lv in small for g in (cc[lv][1], tc[lv][1]))
    ours = (f"{ratio:.2f}× the tickets' convergence iteration (spread up to {spread_c:,.0f} iterations), "
            f"{100 * gap:.2f} points less accurate (spread up to {100 * spread_a:.2f}); mean over {len(small)} "
            f"levels ≤ 35%, {runs}+ runs per group")
    speed_why = ("slower: " + tally(speed_out, {ABOVE: "clearly later", BELOW: "clearly earlier"}) if speed != "undecided"
                 else "speed undecided: " + _reason(speed_out, [rows], budget))
    acc_why = ("accuracy: " + tally(acc_out, {ABOVE: "clearly less accurate", BELOW: "clearly more accurate"})
               + " levels" + ("" if less != "undecided" else " (" + _reason(acc_out, [rows], budget) + ")"))
    return Claim(section, statement, paper, ours, verdict([speed, less]), f"Control {speed_why}; {acc_why}.", decide)


def iterative_vs_oneshot(it_rows, os_rows, budget):
    """Section 4: iterative tickets hold the full network's accuracy (within 0.5 points) to far
    smaller sizes than one-shot ones.

    Reproduced if the iterative tickets still hold it at a size *below* the largest at which
    one-shot tickets have clearly lost it (``loses_accuracy_at``: more than 0.5 points down
    and beyond the spread), and that size is ≤ 4% (the paper: ≈ 1.8%); partly if so but at a
    larger size. Not if one-shot tickets still hold it below a size at which iterative ones
    have clearly lost it. Otherwise (no clear loss where it matters) undecided. Holding the
    unpruned accuracy means something only if the unpruned networks converged (rule 1)."""
    a_it, a_os = holds_accuracy_to(it_rows, "ticket"), holds_accuracy_to(os_rows, "ticket")
    lost_it, lost_os = loses_accuracy_at(it_rows, "ticket", budget), loses_accuracy_at(os_rows, "ticket", budget)
    smallest = min(pct for pct, _ in by_level(it_rows, "ticket", ACC).values())
    show = lambda p: "nowhere" if p is None else f"{p:.1f}%"  # noqa: E731
    ours = (f"held down to: iterative {a_it:.1f}% (smallest tried {smallest:.1f}%), one-shot {a_os:.1f}%; "
            f"clearly lost (beyond the spread) at: iterative {show(lost_it)}, one-shot {show(lost_os)}")
    not_converged = _unpruned_unconverged([it_rows, os_rows], budget)
    if not_converged:
        v, why = "undecided", not_converged[0].upper() + not_converged[1:] + "."
    elif lost_os is not None and a_it < lost_os:
        v = "reproduced" if a_it <= 4 else "partly"
        why = "Iterative tickets stay accurate at sizes where one-shot tickets have clearly lost accuracy" + (
            "." if v == "reproduced" else ", but not down to 4%.")
    elif lost_it is not None and a_os < lost_it:
        v, why = "not", "One-shot tickets stay accurate at sizes where iterative tickets have clearly lost accuracy."
    else:
        v, why = "undecided", ("Neither kind clearly loses accuracy (beyond 0.5 points and the spread) where "
                               "the other holds it.")
    return Claim("4", "Iterative tickets keep the full network's accuracy (within 0.5 points) far below one-shot ones",
                 "iterative ≈ 1.8%; one-shot drops from 15%", ours, v, why)


def iterative_convergence(it_rows, os_rows, budget):
    """Section 4: iterative tickets converge no later than the unpruned network down to smaller
    sizes than one-shot tickets.

    Needs both unpruned networks to have converged (rule 1). Reproduced if iterative tickets
    are still no later at a size below the largest at which one-shot tickets converge clearly
    later (``slower_at``, rules 1 and 2), and that size is ≤ 4% (the paper: ≈ 1.8%); partly if
    at a larger size. Not if it is the other way round. Otherwise undecided."""
    statement = "Iterative tickets stay faster than the full network to smaller sizes than one-shot tickets"
    paper = "iterative until ≈ 1.8%; one-shot until 5–10%"
    f_it, f_os = faster_to(it_rows), faster_to(os_rows)
    ours = f"no later than the full network down to: iterative {f_it:.1f}%, one-shot {f_os:.1f}%"
    not_converged = _unpruned_unconverged([it_rows, os_rows], budget)
    if not_converged:
        return Claim("4", statement, paper, ours, "undecided", not_converged[0].upper() + not_converged[1:] + ".")
    s_it, s_os = slower_at(it_rows, budget), slower_at(os_rows, budget)
    ours += (f"; clearly later at: iterative {'nowhere' if s_it is None else f'{s_it:.1f}%'}, "
             f"one-shot {'nowhere' if s_os is None else f'{s_os:.1f}%'}")
    if s_os is not None and f_it < s_os:
        v = "reproduced" if f_it <= 4 else "partly"
        why = "Iterative tickets are still no later at sizes where one-shot tickets are clearly later" + (
            "." if v == "reproduced" else ", but not down to 4%.")
    elif s_it is not None and f_os < s_it:
        v, why = "not", "One-shot tickets are still no later at sizes where iterative tickets are clearly later."
    else:
        v, why = "undecided", "Neither kind converges clearly later (beyond the spread) where the other is no later."
    return Claim("4", statement, paper, ours, v, why)


def controls_drop_earlier(rows, budget, section="4"):
    """Both controls lose accuracy at much larger sizes than the tickets.

    For each control: yes if it has clearly lost accuracy (``loses_accuracy_at``) at a size
    larger than the smallest at which the tickets still hold it (``holds_accuracy_to``); no if
    it holds accuracy down to a size as small as the tickets do; otherwise undecided. All of
    it needs the unpruned networks to have converged (rule 1). Verdict from the two controls'
    parts."""
    t = holds_accuracy_to(rows, "ticket")
    not_converged = _unpruned_unconverged([rows], budget)
    parts, notes = [], []
    for kind, name in (("reinit", "control 1"), ("shuffle", "control 2")):
        held, lost = holds_accuracy_to(rows, kind), loses_accuracy_at(rows, kind, budget)
        p = ("undecided" if not_converged else "yes" if lost is not None and lost > t else
             "no" if held <= t else "undecided")
        parts.append(p)
        notes.append(f"{name} held to {held:.1f}%, clearly lost at {'no size' if lost is None else f'{lost:.1f}%'}")
    ours = f"accuracy held down to: tickets {t:.1f}%; " + "; ".join(notes)
    why = ("Held: mean test accuracy within 0.5 points of the full network's; clearly lost: more than 0.5 points "
           f"lower and beyond the spread, by networks that converged. Control 1: {parts[0]}, control 2: {parts[1]}"
           + (f" ({not_converged})." if not_converged else "."))
    return Claim(section, "Both controls lose accuracy at much larger sizes than the tickets",
                 "control 1 from ≈ 37%, control 2 from ≈ 52%, tickets ≈ 1.5%", ours, verdict(parts), why)


def mnist_claims(one, it, budget):
    """The claims of sections 3 and 4, by name, from the one-shot and iterative summary rows."""
    return {"oneshot_speedup": oneshot_speedup(one, budget),
            "oneshot_control1": controls_worse(one, "reinit", "3", budget),
            "oneshot_control2": controls_worse(one, "shuffle", "3", budget),
            "iterative_vs_oneshot": iterative_vs_oneshot(it, one, budget),
            "iterative_convergence": iterative_convergence(it, one, budget),
            "controls_drop_earlier": controls_drop_earlier(it, budget),
            "iterative_control1": controls_worse(it, "reinit", "4", budget),
            "iterative_control2": controls_worse(it, "shuffle", "4", budget)}


# ----------------------------------------------------------------------------
# Section 5
# ----------------------------------------------------------------------------


def examine_claims(rows):
    """The §5 claims, by name, from the rows of one ticket (``examine.examine_folder``: per
    level and layer, survivors, the share of them beyond 2σ at initialization, units removed).

    * ``bimodal`` — among the first hidden layer's survivors, the share whose initial value is
      beyond 2σ. Reproduced if it more than doubles from the first level to the last and the
      rise exceeds two standard errors of the difference of the two shares (counted over the
      survivors, ``rate_direction``); partly if it rises clearly but less than double; not if
      it clearly falls; undecided if the change is within the spread.
    * ``few_units_removed`` — reproduced if fewer than half of each hidden layer's units lost
      every incoming connection at the last level, else partly. This is a count on one ticket,
      not a difference, so it needs no spread.
    """
    first = [r for r in rows if r["layer"] == "first hidden"]
    start, end = min(first, key=lambda r: r["level"]), max(first, key=lambda r: r["level"])
    share = lambda r: 100 * r["beyond_2_sigma"]  # noqa: E731
    # Survivors differ in number between levels; the spread of two shares uses the smaller count (conservative).
    change, spread = rate_direction(share(end), share(start), min(start["survivors"], end["survivors"]))
    doubles = share(end) > 2 * share(start)
    bimodal = ("reproduced" if change == ABOVE and doubles else "partly" if change == ABOVE else
               "not" if change == BELOW else "undecided")
    hidden_end = [r for r in rows if r["level"] == end["level"] and r["layer"] != "output"]
    few_gone = all(r["units_removed"] < 0.5 * r["units"] for r in hidden_end)
    return {
        "bimodal": Claim(
            "5", "Survivors' initial values turn bimodal: large |w0| survive", "bimodal by 5.5% remaining",
            f"first hidden layer: {share(start):.1f}% of survivors beyond 2σ at "
            f"{start['percent_remaining']:.0f}%, {share(end):.1f}% at {end['percent_remaining']:.1f}% "
            f"(spread {spread:.1f} points)", bimodal,
            {"reproduced": "The share of large initial values among survivors more than doubles.",
             "partly": "The share of large initial values rises clearly, but less than double.",
             "not": "The share of large initial values clearly falls.",
             "undecided": "The share of large initial values changes by less than the spread."}[bimodal]),
        "few_units_removed": Claim(
            "5", "Tickets are sparse in connections, but only a fraction of units is removed entirely",
            "few units fully removed", "; ".join(f"{r['layer']}: {r['units_removed']} of {r['units']} units"
                                                 for r in hidden_end) + f" at {end['percent_remaining']:.1f}%",
            "reproduced" if few_gone else "partly", "Fewer than half of each hidden layer's units lost every input."
            if few_gone else "Half or more of a hidden layer's units lost every input."),
    }


# ----------------------------------------------------------------------------
# Section 6
# ----------------------------------------------------------------------------


def trend(groups, want, key, judge=None):
    """Does the quantity move in direction ``want`` (ABOVE: up) along ``groups``, clearly?
    no if some step goes clearly the other way; yes if the first and last groups differ
    clearly in the wanted direction; otherwise undecided. Returns ``(part, outcome of the ends)``.
    ``judge``: how two groups compare (default ``compare``; ``by_standard_error`` for ``decide``)."""
    judge = judge or (lambda a, b: compare(a, b, key))
    steps = [judge(b, a) for a, b in zip(groups, groups[1:])]
    ends = judge(groups[-1], groups[0])
    if OPPOSITE[want] in steps or ends == OPPOSITE[want]:
        return "no", ends
    return ("yes" if ends == want else "undecided"), ends


STD_SIDES = (  # σ on one side of 0.1: (which σ, direction of convergence iteration as σ grows, statement, paper)
    (lambda s: s >= 0.1, ABOVE, "Larger initial std (≥ 0.1): tickets converge more slowly and less accurately",
     "slower, less accurate as σ grows"),
    (lambda s: s <= 0.1, BELOW, "Smaller initial std (≤ 0.1): tickets more accurate but slower",
     "accuracy up, convergence slower as σ shrinks"),
)


def _say(result, yes, no, undecided):
    """The words for a part's result."""
    return {"yes": yes, "no": no}.get(result, undecided)


def init_std_claims(named_rows, budget):
    """Section 6: with larger initial std (≥ 0.1) tickets converge more slowly and are less
    accurate; with smaller std (≤ 0.1) they are more accurate but slower. On both sides,
    accuracy falls as σ grows; convergence comes later as σ grows above 0.1, earlier below.

    The quantities are each ticket's mean over the pruned levels, grouped over trials, so the
    spread is between tickets. Each part is a ``trend`` along σ (rules 1 and 2): yes if the
    smallest and largest σ differ clearly in the paper's direction and no step goes clearly
    the other way. Verdict from the convergence and accuracy parts."""
    stds = sorted((float(n.split("-", 1)[1]), rows) for n, rows in named_rows)
    out = []
    for side, conv_way, statement, paper in STD_SIDES:
        pick = [(s, rows) for s, rows in stds if side(s)]
        if len(pick) < 2:
            continue
        conv = [trial_group(rows, CONV, budget=budget) for _, rows in pick]
        acc = [trial_group(rows, ACC, budget=budget) for _, rows in pick]
        (pc, ends_c), (pa, ends_a) = trend(conv, conv_way, CONV), trend(acc, BELOW, ACC)
        here = [rows for _, rows in pick]
        ours = "; ".join(f"σ={s:g}: it {_fmt(c, CONV)}, {_fmt(a, ACC)}" for (s, _), c, a in zip(pick, conv, acc))
        why_c = _say(pc, "matches", "goes the other way", f"undecided ({_reason([ends_c], here, budget)})")
        why_a = _say(pa, "matches", "goes the other way", f"undecided ({_reason([ends_a], here, budget)})")
        (sc, se_c), (sa, se_a) = trend(conv, conv_way, CONV, by_standard_error), trend(acc, BELOW, ACC, by_standard_error)
        decide = what_would_decide([("the convergence trend", pc, [se_c], sc, {ABOVE: "later at the largest σ",
                                                                           BELOW: "earlier at the largest σ"}),
                                    ("the accuracy trend", pa, [se_a], sa, {ABOVE: "higher at the largest σ",
                                                                         BELOW: "lower at the largest σ"})], budget)
        out.append(Claim("6", statement, paper, ours + " (per ticket, mean over pruned levels)", verdict([pc, pa]),
                         f"Convergence trend {why_c}; accuracy trend {why_a}.", decide))
    return out


def _as_fast_as_the_fastest(rows, budget):
    """Percents remaining of the ticket levels not clearly slower (rule 2) than the fastest level, the one
    of lowest mean convergence iteration: where the curve is flat near its minimum, any of them could be
    the winning ticket by convergence."""
    conv = by_level(rows, "ticket", CONV, budget)
    fastest = min(conv.values(), key=lambda pg: (pg[1].mean if np.isfinite(pg[1].mean) else np.inf, pg[0]))[1]
    return [pct for pct, g in conv.values() if np.isfinite(g.mean) and compare(g, fastest, CONV) != ABOVE]


def _ticket_weights(name, pct):
    """Weights in a ticket of the network named like ``oneshot-300-100`` at ``pct`` percent remaining."""
    h = [int(v) for v in name.split("-")[1:]]
    return (784 * h[0] + h[0] * h[1] + h[1] * 10) * pct / 100


def size_claim(named_rows, budget):
    """Section 6: the winning ticket has more weights in larger networks.

    Two readings of "the winning ticket", one part each:

    * by convergence — the level of lowest mean convergence iteration (``sweeps.ticket_size``).
      Needs every network's unpruned run to have converged (rule 1) and two or more trials per
      network (with one, nothing tells the fastest level from its neighbours). Where the curve is
      flat near its minimum, the levels that are not clearly slower than the fastest (rule 2,
      ``_as_fast_as_the_fastest``) could each be the ticket, so a network's ticket is known to an
      interval of weights. A step up in network size clearly grows the ticket if the larger
      network's interval lies above the smaller's, clearly shrinks it if below; yes if every step
      clearly grows, no if one clearly shrinks, else undecided.
    * by accuracy — the smallest level that holds the unpruned accuracy within 0.5 points
      (``holds_accuracy_to``). The ticket lies between that level and the next one down, which does
      not hold (the levels are a grid: a size between them was not tried); a network that still
      holds it at the smallest size tried gives only an upper bound. A step up in network size
      clearly grows the ticket if the larger network's interval lies above the smaller's, clearly
      shrinks it if below. Yes if every step clearly grows, no if one clearly shrinks, else
      undecided; undecided too if an unpruned network is still improving (rule 1), as its
      accuracy is not yet the one to hold.
    """
    from .sweeps import ticket_size
    out = []
    for exp in ("oneshot", "iterative"):
        nets = [(name, rows) for name, rows in named_rows if name.startswith(exp)]
        if len(nets) < 2:
            continue
        by_conv = [_ticket_weights(name, ticket_size(rows)[0]) for name, rows in nets]
        as_fast = [[_ticket_weights(name, pct) for pct in _as_fast_as_the_fastest(rows, budget)] for name, rows in nets]
        spans = [(min(w), max(w)) for w in as_fast]
        one_trial = min(trial_group(rows, ACC).runs for _, rows in nets) < 2
        unpruned_improving = _unpruned_unconverged([rows for _, rows in nets], budget)
        not_converged = unpruned_improving or ("one trial per network" if one_trial else None)
        conv_steps = ["up" if b[0] > a[1] else "down" if b[1] < a[0] else "?" for a, b in zip(spans, spans[1:])]
        pc = ("undecided" if not_converged else "no" if "down" in conv_steps else
              "yes" if all(st == "up" for st in conv_steps) else "undecided")
        flat = None if not_converged or pc != "undecided" else (
            "the levels within the spread of the fastest overlap between networks a step apart")

        held = []  # (weights of the next level down, which does not hold, or 0; weights of the smallest that holds)
        for name, rows in nets:
            pct = holds_accuracy_to(rows, "ticket")
            below = [p for p, _ in by_level(rows, "ticket", ACC).values() if p < pct]
            held.append((_ticket_weights(name, max(below)) if below else 0.0, _ticket_weights(name, pct)))
        bound = [lo == 0 for lo, _ in held]
        steps = ["up" if b[0] >= a[1] else "down" if b[1] <= a[0] else "?" for a, b in zip(held, held[1:])]
        pa = ("undecided" if unpruned_improving else "no" if "down" in steps else
              "yes" if all(s == "up" for s in steps) else "undecided")
        undecided_steps = [i for i, st in enumerate(steps) if st == "?"]
        bounded = ("a network holds accuracy at its smallest size tried, so its ticket is only bounded"
                   if any(bound[i] or bound[i + 1] for i in undecided_steps) else
                   "each ticket lies between the smallest level that holds and the next, which does not, and "
                   "these overlap between networks a step apart")

        names = [name.split("-", 1)[1] for name, _ in nets]
        span = lambda lo, hi: "" if lo == hi else f" (as fast: {lo:,.0f}–{hi:,.0f})"  # noqa: E731
        ours = ("weights in the ticket by convergence — " + ", ".join(f"{n}: {w:,.0f}{span(*sp)}"
                                                                     for n, w, sp in zip(names, by_conv, spans))
                + "; by accuracy — " + ", ".join(f"{n}: ≤ {hi:,.0f}" if b else f"{n}: {lo:,.0f}–{hi:,.0f}"
                                                for n, (lo, hi), b in zip(names, held, bound)))
        why_c = _say(pc, "grows", "shrinks at some step", f"is undecided ({not_converged or flat})")
        why_a = _say(pa, "grows", "shrinks at some step", f"is undecided ({unpruned_improving or bounded})")
        decide = []
        if pc == "undecided":
            decide.append("by convergence, " + (
                "two or more trials per network" if one_trial and not unpruned_improving else
                "longer training, until every unpruned network converges" if unpruned_improving else
                "convergence curves that single out their fastest level: near their minimum the levels are within "
                "the spread of the tickets (by the range rule more trials widen it rather than narrow it)"))
        if pa == "undecided":
            decide.append("by accuracy, " + ("longer training, until every unpruned network converges" if unpruned_improving
                                             else "pruning further (more rounds or smaller levels) the networks that still "
                                                  "hold their accuracy at the smallest size tried, so that their ticket is "
                                                  "found, not only bounded" if bounded.startswith("a network") else
                                             "finer levels between the last that holds accuracy and the first that does "
                                             "not, so that each ticket's size is known more closely"))
        out.append(Claim("6", f"{exp}: the winning ticket has more weights in larger networks",
                         "grows gradually with network size", ours, verdict([pc, pa]),
                         f"By convergence the ticket {why_c}; by accuracy it {why_a}."
                         + (" One trial per network." if one_trial else ""),
                         ("What would decide it: " + "; ".join(decide) + ".") if decide else ""))
    return out


def _final(rows, budget):
    """Tickets at the smallest size of an experiment: (percent remaining, convergence Group, accuracy Group)."""
    acc = by_level(rows, "ticket", ACC)
    level = max(acc)
    return acc[level][0], trial_group(rows, CONV, level, budget), trial_group(rows, ACC, level, budget)


def rate_claim(named_rows, budget):
    """Section 6: tickets from aggressive iterative rates (≥ 50% per round) converge more
    slowly and are less accurate than tickets from gentle rates (≤ 20%), at about the same
    final size.

    Every aggressive rate is compared with every gentle rate at each one's smallest size
    (rules 1 and 2, combined with ``part``): accuracy holds if the aggressive one is clearly
    less accurate in most pairs and clearly more accurate in none; convergence likewise with
    "clearly later". Verdict from the two parts."""
    rates = [(float(n.split("-", 1)[1]), _final(rows, budget), rows) for n, rows in sorted(
        named_rows, key=lambda nr: float(nr[0].split("-", 1)[1]))]
    ours = "; ".join(f"{100 * r:g}%: {p:.1f}% left, it {_fmt(c, CONV)}, {_fmt(a, ACC)}" for r, (p, c, a), _ in rates)
    gentle = [x for x in rates if x[0] <= 0.2]
    harsh = [x for x in rates if x[0] >= 0.5]
    if not gentle or not harsh:
        return [Claim("6", "Aggressive pruning rates give worse tickets", "50–70% worse than 20%", ours, "n/a",
                      "Needs rates ≤ 20% and ≥ 50%.")]
    acc_out = [compare(g[1][2], h[1][2], ACC) for g in gentle for h in harsh]
    conv_out = [compare(h[1][1], g[1][1], CONV) for g in gentle for h in harsh]
    pa, pc = part(acc_out, ABOVE), part(conv_out, ABOVE)
    rows_here = [r for *_, r in rates]
    why_a = _say(pa, "is clearly lower", "is not lower", f"is undecided ({_reason(acc_out, rows_here, budget)})")
    why_c = _say(pc, "clearly later", "not later", f"undecided ({_reason(conv_out, rows_here, budget)})")
    se_acc = [by_standard_error(g[1][2], h[1][2]) for g in gentle for h in harsh]
    se_conv = [by_standard_error(h[1][1], g[1][1]) for g in gentle for h in harsh]
    decide = what_would_decide([
        ("convergence", pc, se_conv, part(se_conv, ABOVE), {ABOVE: "later", BELOW: "earlier"}),
        ("accuracy", pa, se_acc, part(se_acc, ABOVE), {ABOVE: "less accurate", BELOW: "more accurate"})], budget)
    return [Claim("6", "Tickets from aggressive rates (50%, 70%) converge more slowly and are less accurate",
                  "worse than 20% per round", ours + " (at each rate's final size)", verdict([pc, pa]),
                  f"For the aggressive rates, accuracy {why_a}; convergence {why_c}.",
                  decide.replace("levels", "pairs of rates").replace("level(s)", "pair(s) of rates"))]


def reset_claim(named_rows, budget):
    """Section 6: at small sizes, resetting the survivors to θ0 gives tickets that converge
    faster and are more accurate than continuing to train the pruned weights (Han et al.).

    Compared at each experiment's smallest size, over trials (rules 1 and 2): accuracy holds
    if reset is clearly more accurate, fails if it is clearly less; convergence holds if reset
    is clearly earlier, fails if clearly later; otherwise undecided. Verdict from the two parts."""
    d = dict(named_rows)
    out = []
    for exp in ("iterative", "oneshot"):
        if f"{exp}-init" not in d or f"{exp}-none" not in d:
            continue
        (p, ci, ai), (_, cn, an) = _final(d[f"{exp}-init"], budget), _final(d[f"{exp}-none"], budget)
        oa, oc = compare(ai, an, ACC), compare(cn, ci, CONV)
        pa, pc = part([oa], ABOVE), part([oc], ABOVE)
        rows_here = [d[f"{exp}-init"], d[f"{exp}-none"]]
        why_a = _say(pa, "clearly more accurate", "clearly less accurate",
                     f"not clearly more accurate ({_reason([oa], rows_here, budget)})")
        why_c = _say(pc, "clearly faster", "clearly slower", f"speed undecided ({_reason([oc], rows_here, budget)})")
        sa, sc = by_standard_error(ai, an), by_standard_error(cn, ci)
        decide = what_would_decide([
            ("accuracy", pa, [sa], part([sa], ABOVE), {ABOVE: "more accurate with reset", BELOW: "less accurate with reset"}),
            ("speed", pc, [sc], part([sc], ABOVE), {ABOVE: "faster with reset", BELOW: "slower with reset"})], budget)
        out.append(Claim("6", f"{exp}: resetting to θ0 beats continuing to train without reset (Han et al.) "
                         "at small sizes",
                         "faster and more accurate, only at very small sizes",
                         f"at {p:.1f}%: reset it {_fmt(ci, CONV)}, {_fmt(ai, ACC)}; no reset it {_fmt(cn, CONV)}, "
                         f"{_fmt(an, ACC)}", verdict([pc, pa]), f"Reset is {why_a}; {why_c}.", decide))
    return out


# ----------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------

ICONS = {"reproduced": "✅ reproduced", "partly": "🟡 partly", "not": "❌ not", "undecided": "⚪ undecided",
         "n/a": "– n/a"}


def cell(text):
    """Text made safe for a Markdown table cell: a ``|`` would start a new column, so it is escaped."""
    return str(text).replace("|", "\\|")


def markdown(claims):
    lines = ["| § | claim | paper | ours | verdict | why |", "|---|---|---|---|---|---|"]
    for c in claims:
        cells = (c.section, c.statement, c.paper, c.ours, ICONS[c.verdict], c.why)
        lines.append("| " + " | ".join(cell(v) for v in cells) + " |")
    decide = [c for c in claims if c.decide and c.verdict in ("undecided", "partly")]
    if decide:
        lines += ["", "What would decide " + ("it" if len(decide) == 1 else "them") + ":", ""]
        lines += [f"- *{c.statement}*: {c.decide}" for c in decide]
    return "\n".join(lines)
