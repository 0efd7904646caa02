"""The paper's claims, checked against our numbers — with a verdict only where the run can decide.

Each check of sections 3 and 4 takes summary rows (see ``folders.read_summary``), those of section 6
a sweep's ``sweeps.Variant``s (their summary rows, and their configs, where the swept value is read:
a folder's name is only shown), those of section 2 the XOR tables and those of section 5 one
ticket's rows (``examine``), and returns
a ``Claim``: the paper's statement, the paper's number, ours (the effect and its 95% interval
beside the paper's threshold), a verdict, and the reason in a sentence. ``xor_claims``,
``mnist_claims`` and ``examine_claims`` return them by name, which is how the report picks them.
The module needs NumPy only. The verdicts:

* ``reproduced`` — the 95% interval lies wholly on the paper's side of the paper's threshold;
* ``partly``     — one part holds and another clearly does not, or the effect is clearly in the
  paper's direction but clearly short of its threshold (faster, but not 25% faster);
* ``not``        — the interval lies wholly on the other side of the threshold;
* ``undecided``  — the interval contains the threshold, or the networks were still improving
  when training stopped; the claim then says what would decide it (how many tickets, or
  longer training);
* ``n/a``        — the run has no data for the claim (e.g. no level in the range it is about).

How a claim of sections 3, 4 and 6 is decided (the procedure, declared 2026-12-05; its
arithmetic is in ``stats.py``). Until then a difference counted only beyond the larger min–max
range of the two groups: a range widens as trials are added, so that rule decided fewer claims
with 5 tickets than with 2, and it counted the 15 control runs of 5 tickets as 15.

**The ticket is the unit.** Control draws share their ticket's minibatch order and its mask or
initial values, so a ticket's draws are averaged first. Per ticket the claim's contrast — the log
of a convergence ratio, or an accuracy difference in points — is averaged over the claim's levels:
one number per ticket, and no multiplicity across levels. Its 95% paired t interval (df = n − 1)
is set against the paper's own threshold (``stats.judge``): a direction (0), 1.33× for "at least
25% faster", −0.15 points for "within 0.15 points", and ``MARGIN`` where the paper says a network
keeps or loses its accuracy without a number. A claim of several parts holds only if each does.

**Rule 1 — numbers at convergence need networks that converged.** The convergence iteration is
the iteration of minimum validation loss, and the accuracy reported is the test accuracy there.
A group whose mean convergence iteration is beyond ``CONVERGED_BY`` (80%) of the iterations is
*still improving*: its numbers are only what it reached so far. A level enters a contrast only
if both groups it compares converged; a claim whose every level is still improving is undecided,
and needs longer training.

**Sizes.** Where the paper names a size ("iterative tickets keep the accuracy to 1.8%, one-shot
ones lose it from 15%"), levels are tested one at a time in an order fixed in advance, stopping
at the first that does not pass (a fixed-sequence test, which needs no adjustment for the number
of levels): ``holds_to`` walks from large to small while the tickets' paired drop from their own
unpruned network stays above −``MARGIN`` (the interval's lower end); ``lost_from`` walks from small
to large while the drop is beyond −``MARGIN`` (the upper end). ``faster_to`` and ``slower_at`` do
the same for convergence against the unpruned network, against no difference. In a walk, rule 1
reads a still-improving level's numbers as bounds (its accuracy and its convergence iteration can
only grow): such a level can show that accuracy is kept or convergence is slower, never that
accuracy is lost (it is left out of that walk) or convergence faster (the walk stops there).

Per-level intervals, Holm-adjusted, are printed beside a verdict as description; the min–max
range stays in the tables, as description only. The XOR rates of section 2 are over 1,000
independent trials each and are compared by two standard errors of a difference of proportions
(``rate_direction``), a 95% interval too.
"""
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .stats import Interval, holm, judge, one_sided_p, paired_interval, tickets_to_decide

CONVERGED_BY = 0.8    # still improving: mean convergence iteration beyond this fraction of the budget
SPEEDUP = 4 / 3       # §3 "at least 25% faster": the unpruned network needs 1.33× the ticket's iterations
WITHIN = 0.15         # §3 "accuracy within 0.15 points" of the unpruned network, a non-inferiority margin

# "Keeps its accuracy" / "loses its accuracy", where the paper gives no number (§4, §6 size): within half a
# point of the ticket's own unpruned network. Half a point is this project's tolerance from before the
# interval procedure (set before any paper-scale run, kept, not tuned): about three times the paper's one stated
# accuracy margin (0.15 points, §3), and a sixth to a third of the drops the paper's figures call a drop-off.
MARGIN = 0.5

CONV, ACC = "convergence_iteration", "test_accuracy"
ABOVE, BELOW, WITHIN_SPREAD = "above", "below", "within the spread"  # outcomes of rate_direction (XOR, §5)


@dataclass
class Claim:
    section: str
    statement: str
    paper: str
    ours: str
    verdict: str  # reproduced | partly | not | undecided | n/a
    why: str
    decide: str = ""  # for an undecided or partly claim: what would decide it
    short: str = ""   # our number in a few words, for the verdict table at the top of a report (and the README's)
    parts: list = field(default_factory=list)  # the ``Part``s it was decided by (sections 3, 4, 6)


def verdict(parts):
    """A claim's verdict from its parts (yes / partly / no / undecided): all yes → reproduced; a no → partly
    beside a yes or partly, else not; otherwise an undecided part → undecided; else (yes and partly) → partly."""
    parts = list(parts)
    if all(p == "yes" for p in parts):
        return "reproduced"
    if "no" in parts:
        return "partly" if ("yes" in parts or "partly" in parts) else "not"
    return "undecided" if "undecided" in parts else "partly"


def rate_direction(p, q, trials):
    """Rates in percent over ``trials`` independent trials each: is ``p`` clearly above or below
    ``q``? The spread is two standard errors of the difference, 2·√(p(1−p)/n + q(1−q)/n), a 95%
    interval of the difference. Returns ``(outcome, spread in points)``."""
    sp = 2 * 100 * np.sqrt(((p / 100) * (1 - p / 100) + (q / 100) * (1 - q / 100)) / trials)
    d = p - q
    return (WITHIN_SPREAD if not np.isfinite(d) or abs(d) <= sp else ABOVE if d > 0 else BELOW), sp


# ----------------------------------------------------------------------------
# Per-ticket numbers from summary rows
# ----------------------------------------------------------------------------


def per_ticket(rows, kind, key):
    """{level: {trial: value}}: each ticket's ``key`` at each level, the control draws of a ticket averaged
    first (the ticket is the unit), diverged runs left out."""
    runs = defaultdict(list)
    for r in rows:
        if r["kind"] == kind and not r["diverged"] and r[key] is not None and np.isfinite(float(r[key])):
            runs[(r["level"], r["trial"])].append(float(r[key]))
    out = defaultdict(dict)
    for (level, trial), v in sorted(runs.items()):
        out[level][trial] = float(np.mean(v))
    return dict(out)


def percents(rows, kind="ticket"):
    """{level: percent of weights remaining} of ``kind``'s rows."""
    return {r["level"]: float(r["percent_remaining"]) for r in rows if r["kind"] == kind}


def converged(rows, kind, level, budget):
    """Rule 1: did ``kind`` at ``level`` converge inside ``budget`` (mean convergence iteration at most
    ``CONVERGED_BY`` of it)? None if the budget is unknown or no run of it finished."""
    conv = [v for v in per_ticket(rows, kind, CONV).get(level, {}).values()]
    if budget is None or not conv:
        return None
    return bool(np.mean(conv) <= CONVERGED_BY * budget)


def contrast_of(key, a, b):
    """The contrast of two numbers of one ticket: log(a / b) of convergence iterations, a − b in points."""
    return math.log(a / b) if key == CONV else 100 * (a - b)


@dataclass
class Part:
    """One part of a claim: a per-ticket contrast, its interval, the paper's threshold and the result."""
    name: str          # e.g. "speed", "accuracy"
    key: str           # CONV (a log ratio, shown as ×) or ACC (a difference in points)
    iv: Interval
    threshold: float   # in the contrast's units
    side: int          # +1: the paper's side is above the threshold; −1: below
    null: object       # the value of no effect (None for a non-inferiority margin)
    result: str        # yes | partly | no | undecided
    levels: list       # percents remaining that entered
    improving: list    # percents left out: a group still improving there (rule 1)
    per_level: list = field(default_factory=list)  # [(percent, Interval, Holm-adjusted p)]: description

    def effect(self):
        return fmt(self.iv, self.key) if self.levels else "not judged (still improving)"

    def against(self):
        return f"{math.exp(self.threshold):.2f}×" if self.key == CONV else f"{self.threshold:+.2f} points"


def fmt(iv, key):
    """An effect and its 95% interval: "1.25× [1.09, 1.44]" (a ratio) or "−0.41 points [−0.64, −0.19]"."""
    if not np.isfinite(iv.mean):
        return "–"
    if key == CONV:
        ci = f"[{math.exp(iv.lo):.2f}, {math.exp(iv.hi):.2f}]" if np.isfinite(iv.lo) else "(one ticket, no interval)"
        return f"{math.exp(iv.mean):.2f}× {ci}"
    ci = f"[{iv.lo:+.2f}, {iv.hi:+.2f}]" if np.isfinite(iv.lo) else "(one ticket, no interval)"
    return f"{iv.mean:+.2f} points {ci}".replace("-", "−")


def contrast(name, key, pairs, budget, threshold, side=+1, null=0.0):
    """A ``Part`` from ``pairs`` of groups to compare, ``[(rows_a, kind_a, level_a, rows_b, kind_b, level_b)]``:
    per ticket, the contrast of a against b (``contrast_of``) averaged over the pairs whose two groups both
    converged (rule 1), then its 95% interval judged against ``threshold``."""
    by_ticket, levels, improving, per_level = defaultdict(list), [], [], []
    for rows_a, kind_a, level_a, rows_b, kind_b, level_b in pairs:
        pct = min(percents(rows_a, kind_a).get(level_a, np.nan), percents(rows_b, kind_b).get(level_b, np.nan))
        if not (converged(rows_a, kind_a, level_a, budget) and converged(rows_b, kind_b, level_b, budget)):
            improving.append(pct)
            continue
        a = per_ticket(rows_a, kind_a, key).get(level_a, {})
        b = per_ticket(rows_b, kind_b, key).get(level_b, {})
        here = {t: contrast_of(key, a[t], b[t]) for t in a if t in b}
        for t, d in here.items():
            by_ticket[t].append(d)
        levels.append(pct)
        per_level.append((pct, paired_interval(list(here.values()))))
    iv = paired_interval([np.mean(v) for v in by_ticket.values()])
    adjusted = holm([one_sided_p(lv, threshold, side) for _, lv in per_level]) if per_level else []
    result = judge(iv, threshold, side, null) if levels else "undecided"
    return Part(name, key, iv, threshold, side, null, result, levels, improving,
                [(pct, lv, p) for (pct, lv), p in zip(per_level, adjusted)])


RESULT_WORDS = {"yes": "holds", "partly": "in the paper's direction but short of its threshold",
                "no": "does not hold", "undecided": "undecided"}


def part_line(p, budget):
    """A part in words: its effect and interval against the threshold, what it means, and the per-level
    description (Holm-adjusted, one-sided at 2.5%)."""
    if not p.levels:
        return f"{p.name}: undecided, {still_improving_note(p, budget)}"
    text = f"{p.name} {p.effect()} against {p.against()}: {RESULT_WORDS[p.result]}"
    if len(p.per_level) > 1:
        beyond = sum(adj < 0.025 for _, _, adj in p.per_level)
        text += f" (beyond the threshold at {beyond} of {len(p.per_level)} levels alone, Holm-adjusted)"
    if p.improving:
        text += f"; {len(p.improving)} level(s) left out, still improving ({still_improving_note(p, budget)})"
    return text


def still_improving_note(p, budget):
    where = ", ".join(f"{x:.1f}%" for x in p.improving)
    if budget is None:
        return "the number of iterations is unknown, so convergence cannot be judged"
    return f"a group still improving at {budget:,} iterations at {where}" if where else "no level to judge"


def decide_line(parts, budget):
    """What would decide a claim's undecided parts: longer training where every level was still improving,
    else about how many tickets (80% power at the effect and spread observed, ``stats.tickets_to_decide``)."""
    said = []
    for p in parts:
        if p.result != "undecided":
            continue
        if not p.levels:
            said.append(f"{p.name}: longer training, until the groups it compares converge "
                        f"({still_improving_note(p, budget)})")
        elif p.iv.n < 2:
            said.append(f"{p.name}: two or more tickets (one ticket gives no interval)")
        else:
            n = tickets_to_decide(p.iv, p.threshold)
            said.append(f"{p.name}: about {n} tickets (now {p.iv.n}), if the effect and spread stay as observed"
                        if n is not None else f"{p.name}: an effect this close to the threshold would need more than "
                        f"1,000 tickets; the interval says the effect is about the paper's threshold")
    return ("What would decide it — " + "; ".join(said) + ".") if said else ""


def claim_of(section, statement, paper, parts, budget, extra="", short_extra=""):
    """A claim decided by its parts: ours gives each part's effect and interval, n and the levels."""
    parts = list(parts)
    n = max((p.iv.n for p in parts), default=0)
    levels = sorted({x for p in parts for x in p.levels}, reverse=True)
    at = (f"{len(levels)} level(s), {levels[0]:.1f}–{levels[-1]:.1f}%" if len(levels) > 1 else
          f"at {levels[0]:.1f}%" if levels else "no level judged")
    ours = "; ".join(f"{p.name} {p.effect()} vs {p.against()}" for p in parts) + f" (n = {n} tickets, {at})" + extra
    why = "; ".join(part_line(p, budget) for p in parts) + "."
    short = "; ".join(f"{p.name} {p.effect()}" for p in parts) + short_extra
    return Claim(section, statement, paper, ours, verdict(p.result for p in parts), why[0].upper() + why[1:],
                 decide_line(parts, budget), short, parts)


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
             "undecided": "DB at 2 and 10 units differ by less than the spread."}[fewer],
            short=f"{db(ri, '10'):.1f}% → {db(ri, '2'):.1f}%"),
        "xor_tickets": Claim(
            "2", "2-unit tickets (pruned, reset to θ0) find the boundary far more often than random 2-unit nets",
            "82.4% one-shot product, 91.5% iterative vs 49.1%",
            f"{os2:.1f}% one-shot product, {it2:.1f}% iterative vs {db(ri, '2'):.1f}% "
            f"(spread up to {sp_gain:.1f} points)", tickets,
            f"Tickets of {len(better)} of {len(gains)} heuristics are clearly better than random 2-unit networks"
            + (", all by over 10 points." if far else "."),
            short=f"{min(db(pr[k], '2') for k in pr):.0f}–{max(db(pr[k], '2') for k in pr):.0f}% vs {db(ri, '2'):.0f}%"),
        "xor_iterative": Claim(
            "2", "Iterative pruning finds 2-unit tickets more often than one-shot pruning", "91.5% vs 82.4% (DB)",
            f"{it2:.1f}% vs {os2:.1f}% (spread {sp_it:.1f} points)",
            {ABOVE: "reproduced", BELOW: "not"}.get(it_vs_os, "undecided"),
            f"Iterative is {than} one-shot; the best strategy at 2 units is {best.replace('_', ' ')}.",
            short=f"{it2:.1f}% vs {os2:.1f}%"),
    }


# ----------------------------------------------------------------------------
# Sizes down to which tickets keep their accuracy, or converge sooner than the unpruned network
# ----------------------------------------------------------------------------


def drop_at(rows, kind, level, key=ACC):
    """The 95% interval of ``kind``'s paired difference at ``level`` from each ticket's own unpruned network:
    accuracy in points, or log of the convergence ratio."""
    a, full = per_ticket(rows, kind, key).get(level, {}), per_ticket(rows, "ticket", key).get(0, {})
    return paired_interval([contrast_of(key, a[t], full[t]) for t in a if t in full])


def _walk(rows, kind, budget, passes, largest_first, key=ACC, improving="stop"):
    """Fixed-sequence test over the pruned levels of ``kind``, in order of size (declared before any number is
    read): the percents that pass (``passes(interval)``) before the first that does not. A level where ``kind``
    is still improving (rule 1) is tested as it stands (``improving="test"``: its numbers are bounds that can
    only pass such a test), left out of the sequence (``"skip"``) or fails it (``"stop"``)."""
    pct = percents(rows, kind)
    passed = []
    for level in sorted((lv for lv in pct if lv > 0), key=lambda lv: pct[lv], reverse=largest_first):
        if not converged(rows, kind, level, budget) and improving != "test":
            if improving == "skip":
                continue
            break
        if not passes(drop_at(rows, kind, level, key)):
            break
        passed.append(pct[level])
    return passed


def holds_to(rows, kind, budget):
    """The smallest percent remaining down to which ``kind`` keeps its accuracy: at every level from the
    largest down, the paired drop from the tickets' unpruned network lies above −``MARGIN`` (its interval's
    lower end). 100 if the first level already does not."""
    held = _walk(rows, kind, budget, lambda iv: iv.lo > -MARGIN, largest_first=True, improving="test")
    return held[-1] if held else 100.0


def lost_from(rows, kind, budget):
    """The largest percent remaining at which ``kind`` has clearly lost its accuracy, with every smaller level
    too: walking up from the smallest level, the paired drop lies below −``MARGIN`` (its interval's upper
    end). None if the smallest level has not."""
    lost = _walk(rows, kind, budget, lambda iv: iv.hi < -MARGIN, largest_first=False, improving="skip")
    return lost[-1] if lost else None


def faster_to(rows, budget):
    """The smallest percent remaining down to which tickets converge clearly sooner than their unpruned
    network (the interval of the log ratio below 0 at every level from the largest down); 100 if none."""
    fast = _walk(rows, "ticket", budget, lambda iv: iv.hi < 0, largest_first=True, key=CONV)
    return fast[-1] if fast else 100.0


def slower_at(rows, budget):
    """The largest percent remaining at which tickets converge clearly later than their unpruned network,
    with every smaller level too (walking up from the smallest); None if the smallest is not."""
    slow = _walk(rows, "ticket", budget, lambda iv: iv.lo > 0, largest_first=False, key=CONV, improving="test")
    return slow[-1] if slow else None


def _unpruned_note(row_sets, budget):
    """Rule 1 for claims measured against the unpruned network: why it cannot be judged, or None."""
    if budget is None:
        return "the number of iterations is unknown, so convergence cannot be judged"
    for rows in row_sets:
        if not converged(rows, "ticket", 0, budget):
            return f"the unpruned network is still improving at {budget:,} iterations"
    return None


def _show(p):
    return "nowhere" if p is None else f"{p:.1f}%"


def _to(p):
    """A size down to which something holds: ``holds_to`` and ``faster_to`` give 100 when no pruned level does."""
    return "no pruned level" if p >= 100 else f"{p:.1f}%"


# ----------------------------------------------------------------------------
# Sections 3 and 4
# ----------------------------------------------------------------------------


def oneshot_speedup(rows, budget):
    """Section 3: one-shot tickets at 75–25% remaining converge at least 25% faster than the unpruned
    network, with accuracy within 0.15 points.

    Speed: per ticket, log(unpruned network's convergence iteration / the ticket's), averaged over the levels
    from 75% to 25%, against log 1.33 (``SPEEDUP``); partly if clearly faster but not 1.33×. Accuracy: per
    ticket, the ticket's accuracy minus its unpruned network's, in points, averaged likewise, against −0.15
    (``WITHIN``, a non-inferiority margin). Verdict from the two parts."""
    pct = percents(rows)
    mid = [lv for lv, p in pct.items() if 24 <= p <= 76 and lv > 0]
    statement = "One-shot tickets pruned to 75–25% converge faster than the full network and keep its accuracy"
    paper = "≥ 25% faster (1.33×); accuracy within 0.15 points"
    if not mid:
        return Claim("3", statement, paper, "no level between 75% and 25%", "n/a", "The run has no level in that range.")
    speed = contrast("speed", CONV, [(rows, "ticket", 0, rows, "ticket", lv) for lv in mid], budget,
                     math.log(SPEEDUP))
    acc = contrast("accuracy", ACC, [(rows, "ticket", lv, rows, "ticket", 0) for lv in mid], budget, -WITHIN,
                   null=None)
    return claim_of("3", statement, paper, [speed, acc], budget)


def controls_worse(rows, kind, section, budget):
    """Tickets beat control ``kind`` at the small sizes (≤ 35%): the control converges later and is less
    accurate.

    Speed: per ticket, log(control's convergence iteration / the ticket's), the control's draws averaged first,
    over the levels ≤ 35% where both converged, against 0. Accuracy: per ticket, ticket minus control in
    points, against 0. Verdict from the two parts."""
    name = {"reinit": "control 1 (random reinit)", "shuffle": "control 2 (shuffled structure)"}[kind]
    pct = percents(rows, kind)
    small = [lv for lv, p in pct.items() if p <= 36 and lv > 0]
    statement = f"At small sizes {name} converges more slowly and less accurately than the tickets"
    paper = ("1.91× / 2.28× slower at 35% / 25% (control 1); lower accuracy" if kind == "reinit" else
             "slower; accuracy falls earlier than control 1's")
    if not small:
        return Claim(section, statement, paper, "no control at ≤ 35%", "n/a", "The run has no controls at small sizes.")
    speed = contrast("slower", CONV, [(rows, kind, lv, rows, "ticket", lv) for lv in small], budget, 0.0)
    acc = contrast("less accurate", ACC, [(rows, "ticket", lv, rows, kind, lv) for lv in small], budget, 0.0)
    at = [(p, iv) for p, iv, _ in speed.per_level if round(p) in (35, 25)]
    extra = ("; at " + ", ".join(f"{p:.0f}%: {math.exp(iv.mean):.2f}×" for p, iv in at) + " slower") if at else ""
    return claim_of(section, statement, paper, [speed, acc], budget, extra=extra)


def iterative_vs_oneshot(it_rows, os_rows, budget):
    """Section 4: iterative tickets keep the unpruned network's accuracy to far smaller sizes than one-shot
    ones.

    Reproduced if the iterative tickets still keep it (``holds_to``, within ``MARGIN`` by the interval) at a
    size below the largest at which one-shot tickets have clearly lost it (``lost_from``), and that size is
    ≤ 4% (the paper: ≈ 1.8%); partly if so but at a larger size. Not if one-shot tickets keep it below a size
    at which iterative ones have clearly lost it. Otherwise undecided. Needs the unpruned networks to have
    converged (rule 1)."""
    a_it, a_os = holds_to(it_rows, "ticket", budget), holds_to(os_rows, "ticket", budget)
    lost_it, lost_os = lost_from(it_rows, "ticket", budget), lost_from(os_rows, "ticket", budget)
    smallest = min(p for lv, p in percents(it_rows).items())
    last = [lv for lv, p in percents(it_rows).items() if p == a_it]
    ours = (f"kept (drop above −{MARGIN} points, 95% interval) down to: iterative {_to(a_it)} (smallest tried "
            f"{smallest:.1f}%), one-shot {_to(a_os)}; clearly lost (below −{MARGIN}) from: iterative "
            f"{_show(lost_it)}, one-shot {_show(lost_os)}")
    if last and a_it < 100:
        ours += f"; iterative drop at {a_it:.1f}%: {fmt(drop_at(it_rows, 'ticket', last[0]), ACC)}"
    short = f"kept to {_to(a_it)} (iterative) vs lost from {_show(lost_os)} (one-shot)"
    note = _unpruned_note([it_rows, os_rows], budget)
    if note:
        v, why = "undecided", note[0].upper() + note[1:] + "."
    elif lost_os is not None and a_it < lost_os:
        v = "reproduced" if a_it <= 4 else "partly"
        why = "Iterative tickets keep the accuracy at sizes where one-shot tickets have clearly lost it" + (
            "." if v == "reproduced" else ", but not down to 4%.")
    elif lost_it is not None and a_os < lost_it:
        v, why = "not", "One-shot tickets keep the accuracy at sizes where iterative tickets have clearly lost it."
    else:
        v, why = "undecided", (f"Neither kind clearly loses its accuracy (by more than {MARGIN} points, by the "
                               "interval) where the other keeps it.")
    return Claim("4", f"Iterative tickets keep the full network's accuracy (within {MARGIN} points) far below "
                 "one-shot ones", "iterative ≈ 1.8%; one-shot drops from 15%", ours, v, why,
                 "" if v != "undecided" else "What would decide it — more tickets, or levels where one kind "
                 "clearly loses what the other keeps.", short)


def iterative_convergence(it_rows, os_rows, budget):
    """Section 4: iterative tickets converge sooner than the unpruned network down to smaller sizes than
    one-shot tickets.

    Reproduced if iterative tickets are still clearly faster (``faster_to``) at a size below the largest at
    which one-shot tickets are clearly slower (``slower_at``), and that size is ≤ 4% (the paper: ≈ 1.8%);
    partly if at a larger size. Not if it is the other way round. Otherwise undecided. Rule 1 throughout."""
    statement = "Iterative tickets stay faster than the full network to smaller sizes than one-shot tickets"
    paper = "iterative until ≈ 1.8%; one-shot until 5–10%"
    f_it, f_os = faster_to(it_rows, budget), faster_to(os_rows, budget)
    s_it, s_os = slower_at(it_rows, budget), slower_at(os_rows, budget)
    ours = (f"clearly faster (95% interval of the ratio below 1) down to: iterative {_to(f_it)}, one-shot "
            f"{_to(f_os)}; clearly slower from: iterative {_show(s_it)}, one-shot {_show(s_os)}")
    short = f"faster to {_to(f_it)} (iterative) vs {_to(f_os)} (one-shot)"
    note = _unpruned_note([it_rows, os_rows], budget)
    if note:
        return Claim("4", statement, paper, ours, "undecided", note[0].upper() + note[1:] + ".",
                     "What would decide it — longer training.", short)
    if s_os is not None and f_it < s_os:
        v = "reproduced" if f_it <= 4 else "partly"
        why = "Iterative tickets are still clearly faster at sizes where one-shot tickets are clearly slower" + (
            "." if v == "reproduced" else ", but not down to 4%.")
    elif s_it is not None and f_os < s_it:
        v, why = "not", "One-shot tickets are still clearly faster at sizes where iterative tickets are clearly slower."
    else:
        v, why = "undecided", ("Neither kind is clearly slower where the other is clearly faster: the sizes where "
                               "each turns from faster to slower than the unpruned network overlap.")
    decide = ""
    if v == "undecided":
        pct = percents(it_rows)
        nxt = [lv for lv in pct if 0 < pct[lv] < f_it]
        if nxt:
            lv = max(nxt, key=lambda lv: pct[lv])
            iv = drop_at(it_rows, "ticket", lv, CONV)
            n = tickets_to_decide(iv, 0.0)
            decide = (f"What would decide it — iterative tickets at {pct[lv]:.1f}% are {fmt(iv, CONV)} the unpruned "
                      f"network's convergence iteration: " + (f"about {n} tickets (now {iv.n}) would tell whether "
                      "they are faster." if n else "more than 1,000 tickets would be needed to tell."))
    return Claim("4", statement, paper, ours, v, why, decide, short)


def controls_drop_earlier(rows, budget, section="4"):
    """Both controls lose accuracy at much larger sizes than the tickets.

    For each control: yes if it has clearly lost its accuracy (``lost_from``, by the interval, against the
    tickets' unpruned network) at a size larger than the smallest at which the tickets still keep it
    (``holds_to``); no if it is shown to keep it (at some pruned level) down to a size as small
    as the tickets do; otherwise undecided. Needs
    the unpruned networks to have converged (rule 1). Verdict from the two controls' parts."""
    t = holds_to(rows, "ticket", budget)
    note = _unpruned_note([rows], budget)
    parts, notes, shorts = [], [], []
    for kind, name in (("reinit", "control 1"), ("shuffle", "control 2")):
        held, lost = holds_to(rows, kind, budget), lost_from(rows, kind, budget)
        parts.append("undecided" if note else "yes" if lost is not None and lost > t else
                     "no" if held <= t and held < 100 else "undecided")
        notes.append(f"{name} kept to {_to(held)}, clearly lost from {_show(lost)}")
        shorts.append(f"{name} lost from {_show(lost)}")
    ours = f"kept (drop above −{MARGIN} points, 95% interval) down to: tickets {_to(t)}; " + "; ".join(notes)
    why = (f"Kept: the paired drop from the tickets' unpruned network above −{MARGIN} points at every level down "
           f"to it; clearly lost: below −{MARGIN} points at it and every smaller level (95% intervals, the ticket "
           f"as the unit). Control 1: {parts[0]}, control 2: {parts[1]}" + (f" ({note})." if note else "."))
    return Claim(section, "Both controls lose accuracy at much larger sizes than the tickets",
                 "control 1 from ≈ 37%, control 2 from ≈ 52%, tickets ≈ 1.5%", ours, verdict(parts), why,
                 "What would decide it — more tickets, or controls at more levels." if verdict(parts) == "undecided"
                 else "", "; ".join(shorts) + f"; tickets kept to {_to(t)}")


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
             "undecided": "The share of large initial values changes by less than the spread."}[bimodal],
            short=f"{share(start):.1f}% → {share(end):.1f}% of survivors beyond 2σ at {end['percent_remaining']:.1f}%"),
        "few_units_removed": Claim(
            "5", "Tickets are sparse in connections, but only a fraction of units is removed entirely",
            "few units fully removed", "; ".join(f"{r['layer']}: {r['units_removed']} of {r['units']} units"
                                                 for r in hidden_end) + f" at {end['percent_remaining']:.1f}%",
            "reproduced" if few_gone else "partly", "Fewer than half of each hidden layer's units lost every input."
            if few_gone else "Half or more of a hidden layer's units lost every input.",
            short=" and ".join(f"{r['units_removed']} of {r['units']}" for r in hidden_end)
            + f" at {end['percent_remaining']:.1f}%"),
    }


# ----------------------------------------------------------------------------
# Section 6
# ----------------------------------------------------------------------------


def _pruned_pairs(rows_a, rows_b):
    """Pairs of ticket groups at each pruned level two sweep variants share (same level index)."""
    shared = sorted(set(percents(rows_a)) & set(percents(rows_b)) - {0})
    return [(rows_a, "ticket", lv, rows_b, "ticket", lv) for lv in shared]


STD_SIDES = (  # σ on one side of 0.1: (pick, direction of convergence as σ moves away from 0.1, of accuracy, ...)
    (lambda s: s >= 0.1, +1, -1, "Larger initial std (≥ 0.1): tickets converge more slowly and less accurately",
     "slower, less accurate as σ grows"),
    (lambda s: s <= 0.1, +1, +1, "Smaller initial std (≤ 0.1): tickets more accurate but slower",
     "accuracy up, convergence slower as σ shrinks"),
)


def init_std_claims(variants, budget):
    """Section 6: with larger initial std (≥ 0.1) tickets converge more slowly and are less accurate; with
    smaller std (≤ 0.1) they are more accurate but slower.

    On each side the σ furthest from 0.1 is set against σ = 0.1, ticket by ticket (trial i of one variant
    against trial i of the other), each contrast averaged over the pruned levels where both converged: the
    log of the convergence ratio against 0 (slower away from 0.1 on both sides), the accuracy difference in
    points against 0 (lower above 0.1, higher below). Verdict from the two parts."""
    stds = sorted(((v.config.init_std, v.rows) for v in variants), key=lambda sr: sr[0])
    base = dict(stds).get(0.1)
    out = []
    for side, conv_way, acc_way, statement, paper in STD_SIDES:
        pick = [(s, rows) for s, rows in stds if side(s)]
        if base is None or len(pick) < 2:
            continue
        far_s, far = max(pick, key=lambda sr: abs(math.log(sr[0] / 0.1)))
        pairs = _pruned_pairs(far, base)
        speed = contrast(f"convergence at σ={far_s:g} vs 0.1", CONV, pairs, budget, 0.0, side=conv_way)
        acc = contrast(f"accuracy at σ={far_s:g} vs 0.1", ACC, pairs, budget, 0.0, side=acc_way)
        means = "; ".join(f"σ={s:g}: {ticket_means(r)[0]:,.0f} it, {100 * ticket_means(r)[1]:.2f}%" for s, r in pick)
        out.append(claim_of("6", statement, paper, [speed, acc], budget,
                            extra=f"; means over pruned levels: {means}"))
    return out


def _ticket_weights(config, pct):
    """Weights in a ticket of the network of ``config`` (its layer widths, ``sizes``) at ``pct`` percent remaining."""
    return sum(a * b for a, b in zip(config.sizes, config.sizes[1:])) * pct / 100


def _slope(x, y):
    """Least-squares slope of y on x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())


def size_claim(variants, budget):
    """Section 6: the winning ticket has more weights in larger networks.

    Per ticket (trial i of each network size), its winning ticket's size in weights, by the paper's two
    readings: by convergence, the level of its lowest convergence iteration; by accuracy, the smallest level
    down to which it keeps its own unpruned network's accuracy within ``MARGIN``. Per ticket, the slope of
    log(ticket weights) on log(network weights) across the network sizes is one number; its 95% interval is
    judged against 0 (grows with the network). By accuracy, a ticket that keeps the accuracy at the smallest
    size tried has only an upper bound, so the part is undecided while any does. Needs every unpruned network
    to have converged (rule 1)."""
    out = []
    for exp in ("oneshot", "iterative"):
        nets = [v for v in variants if v.config.experiment == exp]
        if len(nets) < 2:
            continue
        note = _unpruned_note([v.rows for v in nets], budget)
        full = [math.log(_ticket_weights(v.config, 100)) for v in nets]
        by_conv, by_acc, bounded = defaultdict(dict), defaultdict(dict), []
        for i, (name, cfg, rows) in enumerate(nets):
            pct = percents(rows)
            conv, acc = per_ticket(rows, "ticket", CONV), per_ticket(rows, "ticket", ACC)
            for t in conv.get(0, {}):
                levels = [lv for lv in sorted(pct, key=lambda lv: -pct[lv]) if t in conv.get(lv, {})]
                fastest = min(levels, key=lambda lv: (conv[lv][t], pct[lv]))
                by_conv[t][i] = math.log(_ticket_weights(cfg, pct[fastest]))
                kept = levels[0]
                for lv in levels[1:]:
                    if t not in acc.get(lv, {}) or 100 * (acc[lv][t] - acc[0][t]) < -MARGIN:
                        break
                    kept = lv
                by_acc[t][i] = math.log(_ticket_weights(cfg, pct[kept]))
                if kept == levels[-1]:
                    bounded.append(f"{name} ticket {t}")
        slopes = lambda by: [_slope([full[i] for i in d], list(d.values())) for d in by.values() if len(d) >= 2]  # noqa: E731
        parts = []
        for pname, by in (("by convergence", by_conv), ("by accuracy", by_acc)):
            iv = paired_interval(slopes(by))
            result = "undecided" if note or (pname == "by accuracy" and bounded) else judge(iv, 0.0)
            parts.append(Part(f"{pname}, slope", "slope", iv, 0.0, +1, 0.0, result,
                              [100.0] if not note else [], [] if not note else [100.0]))
        ours = "; ".join(f"{p.name} {_slope_fmt(p.iv)}" for p in parts) + (
            f" (log ticket weights on log network weights, per ticket across {len(nets)} networks; "
            f"n = {parts[0].iv.n} tickets)")
        why = "; ".join(f"{p.name} {RESULT_WORDS[p.result]}" for p in parts)
        if note:
            why += f" ({note})"
        elif bounded:
            why += (f"; by accuracy {len(bounded)} ticket(s) still keep the accuracy at the smallest size tried "
                    f"({', '.join(bounded[:3])}{', …' if len(bounded) > 3 else ''}), so their tickets are only bounded")
        decide = ""
        if any(p.result == "undecided" for p in parts):
            wants = []
            if note:
                wants.append("longer training, until every unpruned network converges")
            if not note and parts[0].result == "undecided":
                n = tickets_to_decide(parts[0].iv, 0.0)
                wants.append(f"by convergence, about {n} tickets (now {parts[0].iv.n})" if n else
                             "by convergence, a slope this near 0 would need more than 1,000 tickets")
            if not note and parts[1].result == "undecided":
                wants.append("by accuracy, pruning further the networks whose tickets keep the accuracy at the "
                             "smallest size tried" if bounded else
                             f"by accuracy, about {tickets_to_decide(parts[1].iv, 0.0)} tickets")
            decide = "What would decide it — " + "; ".join(wants) + "."
        short = "; ".join(f"{p.name.split(',')[0]} slope {_slope_fmt(p.iv)}" for p in parts)
        out.append(Claim("6", f"{exp}: the winning ticket has more weights in larger networks",
                         "grows gradually with network size", ours, verdict(p.result for p in parts),
                         why[0].upper() + why[1:] + ".", decide, short, parts))
    return out


def _slope_fmt(iv):
    return f"{iv.mean:.2f} [{iv.lo:.2f}, {iv.hi:.2f}]" if np.isfinite(iv.lo) else f"{iv.mean:.2f} (no interval)"


def _at_size(rows, key, size):
    """Per ticket, ``key`` at ``size`` percent remaining, interpolated in log(percent) between the two levels
    that bracket it (log of the convergence iteration, accuracy as it is), and whether both converged."""
    pct = percents(rows)
    order = sorted(pct, key=lambda lv: pct[lv])
    hi = next(lv for lv in order if pct[lv] >= size - 1e-9)
    lo = next((lv for lv in reversed(order) if pct[lv] <= size + 1e-9), hi)
    values = per_ticket(rows, "ticket", key)
    w = 0.0 if lo == hi else (math.log(pct[hi]) - math.log(size)) / (math.log(pct[hi]) - math.log(pct[lo]))
    f = math.log if key == CONV else (lambda v: v)
    g = math.exp if key == CONV else (lambda v: v)
    out = {t: g((1 - w) * f(values[hi][t]) + w * f(values[lo][t])) for t in values.get(hi, {}) if t in values.get(lo, {})}
    return out, [lo, hi]


def rate_claim(variants, budget):
    """Section 6: tickets from aggressive iterative rates (≥ 50% per round) converge more slowly and are less
    accurate than tickets from gentle rates (≤ 20%), at the same size.

    The rates' levels differ, so every rate is read at one size: the largest of their smallest sizes (no rate
    is extrapolated), interpolated per ticket in log(percent) between the two levels that bracket it. Per
    ticket, the mean over the aggressive rates minus the mean over the gentle ones: the log of the convergence
    ratio against 0 (slower), the accuracy difference in points against 0 (lower). Rule 1 on the bracketing
    levels. Verdict from the two parts."""
    rates = sorted(((v.config.rate, v.rows) for v in variants), key=lambda x: x[0])
    gentle = [x for x in rates if x[0] <= 0.2]
    harsh = [x for x in rates if x[0] >= 0.5]
    statement = "Tickets from aggressive rates (50%, 70%) converge more slowly and are less accurate"
    if not gentle or not harsh:
        return [Claim("6", statement, "50–70% worse than 20%", "", "n/a", "Needs rates ≤ 20% and ≥ 50%.")]
    size = max(min(percents(rows).values()) for _, rows in rates)
    reads = {r: {key: _at_size(rows, key, size) for key in (CONV, ACC)} for r, rows in gentle + harsh}
    ok = all(converged(rows, "ticket", lv, budget) for r, rows in gentle + harsh for lv in reads[r][CONV][1])
    shown = "; ".join(f"{100 * r:g}%: {np.mean(list(reads[r][CONV][0].values())):,.0f} it, "
                      f"{100 * np.mean(list(reads[r][ACC][0].values())):.2f}%" for r, _ in gentle + harsh)
    parts = []
    for name, key, side in (("slower", CONV, +1), ("less accurate", ACC, -1)):
        per = {r: reads[r][key][0] for r in reads}
        value = lambda r, t: math.log(per[r][t]) if key == CONV else 100 * per[r][t]  # noqa: E731
        trials = sorted(set.intersection(*(set(v) for v in per.values())))
        iv = paired_interval([np.mean([value(r, t) for r, _ in harsh]) - np.mean([value(r, t) for r, _ in gentle])
                              for t in trials])
        parts.append(Part(name, key, iv, 0.0, side, 0.0, judge(iv, 0.0, side) if ok else "undecided",
                          [size] if ok else [], [] if ok else [size]))
    return [claim_of("6", statement, "worse than 20% per round", parts, budget,
                     extra=f"; aggressive minus gentle rates, each read at {size:.2f}% remaining: {shown}")]


def reset_claim(variants, budget):
    """Section 6: at small sizes, resetting the survivors to θ0 gives tickets that converge faster and are
    more accurate than continuing to train the pruned weights (Han et al.).

    At each experiment's smallest size, ticket by ticket (trial i with reset against trial i without): the log
    of the convergence ratio (no reset / reset) against 0, the accuracy difference (reset − no reset) in points
    against 0. Rule 1 on both. Verdict from the two parts."""
    d = {(v.config.experiment, v.config.reset): v.rows for v in variants}
    out = []
    for exp in ("iterative", "oneshot"):
        if (exp, "init") not in d or (exp, "none") not in d:
            continue
        init, none = d[exp, "init"], d[exp, "none"]
        last = max(percents(init))
        speed = contrast("faster", CONV, [(none, "ticket", last, init, "ticket", last)], budget, 0.0)
        acc = contrast("more accurate", ACC, [(init, "ticket", last, none, "ticket", last)], budget, 0.0)
        out.append(claim_of("6", f"{exp}: resetting to θ0 beats continuing to train without reset (Han et al.) "
                            "at small sizes", "faster and more accurate, only at very small sizes", [speed, acc],
                            budget))
    return out


def ticket_means(rows, levels="pruned"):
    """Mean over trials and over pruned levels of the tickets' (convergence iteration, test accuracy)."""
    t = [r for r in rows if r["kind"] == "ticket" and (levels != "pruned" or r["level"] > 0) and not r["diverged"]]
    if not t:
        return np.nan, np.nan
    return float(np.mean([r["convergence_iteration"] for r in t])), float(np.nanmean([r["test_accuracy"] for r in t]))


# ----------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------

ICONS = {"reproduced": "✅ reproduced", "partly": "🟡 partly", "not": "❌ not", "undecided": "⚪ undecided",
         "n/a": "– n/a"}


def cell(text):
    """Text made safe for a Markdown table cell: a ``|`` would start a new column, so it is escaped."""
    return str(text).replace("|", "\\|")


def markdown(claims):
    lines = ["| § | claim | paper | ours: effect [95% interval] vs the paper's threshold | verdict | why |",
             "|---|---|---|---|---|---|"]
    for c in claims:
        cells = (c.section, c.statement, c.paper, c.ours, ICONS[c.verdict], c.why)
        lines.append("| " + " | ".join(cell(v) for v in cells) + " |")
    decide = [c for c in claims if c.decide and c.verdict in ("undecided", "partly")]
    if decide:
        lines += ["", "What would decide " + ("it" if len(decide) == 1 else "them") + ":", ""]
        lines += [f"- *{c.statement}*: {c.decide}" for c in decide]
    return "\n".join(lines)
