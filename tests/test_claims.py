"""Each verdict rule of ``lottery_np.paper.claims`` (and the §2 and §5 claims of the report) on rows built by hand:
one case per outcome — reproduced, partly or not, and undecided (budget too short, difference within the spread)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lottery_np.paper import claims as C
from lottery_np.paper.report import _paper_scale_link, examine_section, xor_section
from lottery_np.paper.xor import PAPER

LONG = 50_000  # a budget inside which every network below has converged
SHORT = 1_500  # a budget the networks of ``improving`` have not converged inside


def runs(conv, acc, d_conv=100, d_acc=0.001, n=2):
    """``n`` runs around (conv, acc) whose min–max ranges are d_conv and d_acc (one run: exactly the value)."""
    if n == 1:
        return [(conv, acc)]
    return [(conv - d_conv / 2 + d_conv * i / (n - 1), acc - d_acc / 2 + d_acc * i / (n - 1)) for i in range(n)]


def rows(table, experiment="oneshot"):
    """Summary rows as ``runner.read_summary`` returns them, from ``{kind: {percent: [(conv, acc) per run]}}``.
    Level 0 is 100%, the others follow in decreasing percent; run i is trial i (controls: draw 0 of trial i)."""
    percents = sorted({p for by_pct in table.values() for p in by_pct}, reverse=True)
    out = []
    for kind, by_pct in table.items():
        for pct, rs in by_pct.items():
            for trial, (conv, acc) in enumerate(rs):
                out.append(dict(experiment=experiment, kind=kind, trial=trial, draw=0, level=percents.index(pct),
                                percent_remaining=float(pct), convergence_iteration=int(conv),
                                test_accuracy=float(acc), min_val_loss=0.05, diverged=False))
    return out


def tickets(by_pct, **kw):
    """Ticket rows from {percent: (conv, acc)}, two trials each (``runs`` keyword arguments pass through)."""
    return rows({"ticket": {p: runs(c, a, **kw) for p, (c, a) in by_pct.items()}})


def improving(percents, n=2):
    """Tickets at every percent, all still improving at SHORT iterations, all equally accurate."""
    return tickets({p: (1470, 0.95) for p in percents}, d_conv=20, n=n)


ONESHOT = (100, 75, 55, 35, 25, 15)


# ----------------------------------------------------------------------------
# The two rules
# ----------------------------------------------------------------------------


def test_compare_needs_a_difference_beyond_the_larger_spread():
    a, b = C.Group.of([0.97, 0.98]), C.Group.of([0.950, 0.951])
    assert C.compare(a, b, C.ACC) == C.ABOVE and C.compare(b, a, C.ACC) == C.BELOW
    assert C.compare(C.Group.of([0.95, 0.98]), b, C.ACC) == C.WITHIN  # difference 0.0145 < spread 0.03


def test_compare_needs_the_lower_group_to_have_converged():
    early, late = C.Group.of([1000, 1100]), C.Group.of([1450, 1500], improving=True)
    assert C.compare(late, early, C.CONV) == C.ABOVE  # the still-improving one can only be later still
    assert C.compare(late, C.Group.of([1300, 1310], improving=True), C.CONV) == C.IMPROVING
    assert C.compare(late, C.Group.of([1000, 1100], improving=None), C.CONV) == C.NO_BUDGET
    accurate, improving = C.Group.of([0.98, 0.981]), C.Group.of([0.95, 0.951], improving=True)
    assert C.compare(accurate, improving, C.ACC) == C.IMPROVING  # it may catch up
    assert C.compare(improving, C.Group.of([0.90, 0.901]), C.ACC) == C.ABOVE  # already more accurate


def test_groups_know_whether_they_were_still_improving():
    table = rows({"ticket": {100: runs(1000, 0.98), 50: runs(1480, 0.97, d_conv=20)}})
    assert [g.improving for _, g in C.by_level(table, "ticket", C.ACC, SHORT).values()] == [False, True]
    assert [g.improving for _, g in C.by_level(table, "ticket", C.ACC).values()] == [None, None]
    assert C.trial_group(table, C.ACC, budget=SHORT).improving is True


def test_one_run_has_no_spread_only_large_accuracy_gaps_count():
    one = lambda v: C.Group.of([v])  # noqa: E731
    assert C.compare(one(0.98), one(0.975), C.ACC) == C.WITHIN
    assert C.compare(one(0.98), one(0.95), C.ACC) == C.ABOVE
    assert C.compare(one(5000), one(1000), C.CONV) == C.NO_SPREAD


def test_rate_direction_uses_two_standard_errors_of_the_difference():
    assert C.rate_direction(50.0, 46.0, 1000) == (C.WITHIN, pytest.approx(4.465, abs=0.001))  # 2·√((.25 + .2484)/1000)
    assert C.rate_direction(50.0, 40.0, 1000)[0] == C.ABOVE
    assert C.rate_direction(91.5, 82.4, 20)[0] == C.WITHIN


@pytest.mark.parametrize("outcomes, result", [
    ([C.ABOVE, C.ABOVE, C.WITHIN], "yes"), ([C.ABOVE, C.WITHIN, C.WITHIN], "undecided"),
    ([C.ABOVE, C.ABOVE, C.BELOW], "undecided"), ([C.ABOVE, C.BELOW], "no"), ([C.IMPROVING, C.IMPROVING], "undecided")])
def test_part_combines_levels(outcomes, result):
    assert C.part(outcomes, C.ABOVE) == result


@pytest.mark.parametrize("parts, result", [
    (["yes", "yes"], "reproduced"), (["yes", "no"], "partly"), (["no", "undecided"], "not"),
    (["yes", "undecided"], "undecided")])
def test_verdict_from_parts(parts, result):
    assert C.verdict(parts) == result


# ----------------------------------------------------------------------------
# Section 3
# ----------------------------------------------------------------------------


def oneshot(mid, others=(5000, 0.98), **kw):
    """One-shot tickets: ``mid`` (conv, acc) at 75–25%, ``others`` at 100% and 15%."""
    return tickets({p: (mid if 24 <= p <= 76 else others) for p in ONESHOT}, **kw)


def test_oneshot_speedup_reproduced():
    c = C.oneshot_speedup(oneshot((3000, 0.98)), LONG)
    assert c.verdict == "reproduced", c
    assert "40% faster" in c.ours and "4,950–5,050" in c.ours  # the spread beside the number


def test_oneshot_speedup_partly_when_faster_by_less_than_a_quarter():
    assert C.oneshot_speedup(oneshot((4500, 0.98)), LONG).verdict == "partly"


def test_oneshot_speedup_not_when_slower_and_less_accurate():
    assert C.oneshot_speedup(oneshot((7000, 0.96)), LONG).verdict == "not"


def test_oneshot_speedup_undecided_while_every_network_still_improves():
    c = C.oneshot_speedup(improving(ONESHOT), SHORT)
    assert c.verdict == "undecided"
    assert "every network still improving at 1,500 iterations (convergence at 1,470–1,470" in c.why
    assert "accuracy undecided" in c.why  # equal accuracy so far says nothing of accuracy at convergence
    assert C.oneshot_speedup(improving(ONESHOT), None).verdict == "undecided"


def test_oneshot_speedup_undecided_within_the_spread():
    c = C.oneshot_speedup(oneshot((4000, 0.98), d_conv=3000), LONG)
    assert c.verdict == "undecided" and "within the spread" in c.why


def with_controls(control, ticket=(3000, 0.98), kind="reinit", **kw):
    """Tickets at every one-shot level and one control ``kind`` at the pruned ones, two runs each."""
    return rows({"ticket": {p: runs(*((5000, 0.98) if p == 100 else ticket), **kw) for p in ONESHOT},
                 kind: {p: runs(*control, **kw) for p in ONESHOT[1:]}})


@pytest.mark.parametrize("kind", ["reinit", "shuffle"])
def test_controls_worse_reproduced(kind):
    assert C.controls_worse(with_controls((6000, 0.96), kind=kind), kind, "3", LONG).verdict == "reproduced"


def test_controls_worse_not_when_the_control_is_faster_and_more_accurate():
    assert C.controls_worse(with_controls((2000, 0.99)), "reinit", "3", LONG).verdict == "not"


def test_controls_worse_partly_when_only_less_accurate():
    assert C.controls_worse(with_controls((2000, 0.96)), "reinit", "3", LONG).verdict == "partly"


def test_controls_worse_undecided_while_still_improving_even_if_less_accurate():
    c = C.controls_worse(with_controls((1480, 0.93), ticket=(1470, 0.96), d_conv=20), "reinit", "3", SHORT)
    assert c.verdict == "undecided" and "still improving at 1,500 iterations" in c.why  # the control may catch up
    c = C.controls_worse(with_controls((1000, 0.93), ticket=(1470, 0.96), d_conv=20), "reinit", "3", SHORT)
    assert "clearly less accurate at 3 of 3" in c.why  # a control that converged cannot catch up


def test_controls_worse_undecided_within_the_spread():
    c = C.controls_worse(with_controls((3300, 0.975), d_conv=1000, d_acc=0.02), "reinit", "3", LONG)
    assert c.verdict == "undecided"
    assert "spread up to 1,000 iterations" in c.ours and "spread up to 2.00" in c.ours


def test_an_undecided_claim_says_what_would_decide_it_and_a_decided_one_says_nothing():
    # 15 runs a side: differences inside each group's range, but beyond two standard errors of the difference
    wide = with_controls((3300, 0.975), d_conv=1000, d_acc=0.01, n=15)
    c = C.controls_worse(wide, "reinit", "3", LONG)
    assert c.verdict == "undecided"
    assert "speed would be yes (slower at 3 of 3)" in c.decide and "accuracy would be yes (less accurate at 3 of 3)" in c.decide
    assert "the range of n runs widens" in c.decide and "What would decide it:" in C.markdown([c])
    close = with_controls((3050, 0.9795), d_conv=1000, d_acc=0.01, n=15)  # within two standard errors too
    said = C.controls_worse(close, "reinit", "3", LONG).decide
    assert "speed would be undecided (within two standard errors at 3 of 3)" in said
    decided = C.controls_worse(with_controls((6000, 0.96)), "reinit", "3", LONG)
    assert decided.verdict == "reproduced" and decided.decide == "" and "What would decide" not in C.markdown([decided])


def test_standard_errors_keep_rule_1():
    late, early = C.Group.of([1490, 1495, 1500], improving=True), C.Group.of([900, 950, 1000])
    assert C.by_standard_error(late, early) == C.ABOVE  # a still-improving group may be called later
    assert C.by_standard_error(early, late) == C.BELOW
    assert C.by_standard_error(C.Group.of([0.9, 0.91], improving=True), C.Group.of([0.95, 0.96])) == C.IMPROVING
    assert C.by_standard_error(C.Group.of([0.9]), C.Group.of([0.95, 0.96])) == C.NO_SPREAD


# ----------------------------------------------------------------------------
# Section 4
# ----------------------------------------------------------------------------

ITERATIVE = (100, 80, 51.2, 21, 7, 3.5)
ONESHOT_ALL = (100, 75, 55, 35, 25, 15, 10, 5)


def accuracy(percents, drop_below, to=0.95, **kw):
    """Tickets at 0.98, except ``to`` at every percent below ``drop_below``; convergence 5000 everywhere."""
    return tickets({p: (5000, to if p < drop_below else 0.98) for p in percents}, **kw)


def test_iterative_vs_oneshot_reproduced():
    c = C.iterative_vs_oneshot(accuracy(ITERATIVE, 0), accuracy(ONESHOT_ALL, 20), LONG)
    assert c.verdict == "reproduced", c


def test_iterative_vs_oneshot_partly_when_not_down_to_four_percent():
    assert C.iterative_vs_oneshot(accuracy(ITERATIVE, 5), accuracy(ONESHOT_ALL, 20), LONG).verdict == "partly"


def test_iterative_vs_oneshot_not_when_oneshot_holds_longer():
    assert C.iterative_vs_oneshot(accuracy(ITERATIVE, 30), accuracy(ONESHOT_ALL, 0), LONG).verdict == "not"


def test_iterative_vs_oneshot_undecided_when_the_drop_is_within_the_spread():
    c = C.iterative_vs_oneshot(accuracy(ITERATIVE, 0), accuracy(ONESHOT_ALL, 20, to=0.97, d_acc=0.03), LONG)
    assert c.verdict == "undecided", c


def test_iterative_vs_oneshot_undecided_while_still_improving():
    c = C.iterative_vs_oneshot(accuracy(ITERATIVE, 0), accuracy(ONESHOT_ALL, 20), 5000)  # 5000 > 80% of 5000
    assert c.verdict == "undecided" and "still improving at 5,000 iterations" in c.why


def convergence(percents, later_below, late=8000, **kw):
    """Tickets converging at 4000 (5000 unpruned), ``late`` below ``later_below`` percent; all at 0.98."""
    return tickets({p: (5000 if p == 100 else late if p < later_below else 4000, 0.98) for p in percents}, **kw)


def test_iterative_convergence_reproduced():
    assert C.iterative_convergence(convergence(ITERATIVE, 0), convergence(ONESHOT_ALL, 12), LONG).verdict == "reproduced"


def test_iterative_convergence_not_when_oneshot_stays_faster_longer():
    assert C.iterative_convergence(convergence(ITERATIVE, 60), convergence(ONESHOT_ALL, 0), LONG).verdict == "not"


def test_iterative_convergence_undecided_while_the_unpruned_network_still_improves():
    c = C.iterative_convergence(convergence(ITERATIVE, 0), convergence(ONESHOT_ALL, 12), 6000)
    assert c.verdict == "undecided" and "still improving at 6,000 iterations" in c.why


def test_iterative_convergence_undecided_within_the_spread():
    c = C.iterative_convergence(convergence(ITERATIVE, 0), convergence(ONESHOT_ALL, 12, late=5500, d_conv=1000), LONG)
    assert c.verdict == "undecided"


def drop_table(reinit_from, shuffle_from, low=0.95, **kw):
    """Iterative tickets that hold 0.98 everywhere; controls that fall to ``low`` below the given percents."""
    control = lambda start: {p: runs(5000, low if p < start else 0.98, **kw) for p in ITERATIVE[1:]}  # noqa: E731
    return rows({"ticket": {p: runs(5000, 0.98, **kw) for p in ITERATIVE},
                 "reinit": control(reinit_from), "shuffle": control(shuffle_from)}, experiment="iterative")


def test_controls_drop_earlier_reproduced():
    assert C.controls_drop_earlier(drop_table(40, 60), LONG).verdict == "reproduced"


def test_controls_drop_earlier_partly_when_one_control_holds():
    assert C.controls_drop_earlier(drop_table(40, 0), LONG).verdict == "partly"


def test_controls_drop_earlier_not_when_both_hold():
    assert C.controls_drop_earlier(drop_table(0, 0), LONG).verdict == "not"


def test_controls_drop_earlier_undecided_within_the_spread():
    assert C.controls_drop_earlier(drop_table(40, 60, low=0.97, d_acc=0.03), LONG).verdict == "undecided"


def test_controls_drop_earlier_undecided_while_still_improving():
    c = C.controls_drop_earlier(drop_table(40, 60), 5000)
    assert c.verdict == "undecided" and "still improving" in c.why


# ----------------------------------------------------------------------------
# Section 6
# ----------------------------------------------------------------------------

SWEEP = (100, 51.2, 21)


def variant(conv, acc, n=2, **kw):
    """A sweep variant: unpruned tickets at (5000, 0.98) (or still improving if conv is), pruned ones at (conv, acc)."""
    full = (min(conv, 5000), 0.98)
    return tickets({p: full if p == 100 else (conv, acc) for p in SWEEP}, n=n, **kw)


def test_init_std_reproduced_on_both_sides():
    named = [("std-0.025", variant(6000, 0.985)), ("std-0.1", variant(3000, 0.98)), ("std-0.4", variant(6000, 0.95))]
    assert [c.verdict for c in C.init_std_claims(named, LONG)] == ["reproduced", "reproduced"]


def test_init_std_not_when_larger_std_is_faster_and_more_accurate():
    named = [("std-0.1", variant(6000, 0.95)), ("std-0.4", variant(3000, 0.98))]
    assert [c.verdict for c in C.init_std_claims(named, LONG)] == ["not"]


def test_init_std_undecided_while_still_improving():
    named = [("std-0.1", variant(1470, 0.98, d_conv=20)), ("std-0.4", variant(1480, 0.95, d_conv=20))]
    c, = C.init_std_claims(named, SHORT)
    assert c.verdict == "undecided" and "accuracy trend undecided (every network still improving" in c.why


def test_init_std_with_one_trial_small_differences_stay_undecided():
    named = [("std-0.1", variant(3000, 0.98, n=1)), ("std-0.4", variant(6000, 0.975, n=1))]
    c, = C.init_std_claims(named, LONG)
    assert c.verdict == "undecided" and "one trial" in c.why and "1 run" in c.ours


def test_trend_with_one_trial_decides_a_large_accuracy_gap():
    one = lambda v: C.Group.of([v])  # noqa: E731
    assert C.trend([one(0.98), one(0.97), one(0.90)], C.BELOW, C.ACC) == ("yes", C.BELOW)
    assert C.trend([one(0.98), one(0.975)], C.BELOW, C.ACC) == ("undecided", C.WITHIN)
    assert C.trend([one(0.98), one(0.95), one(0.99)], C.BELOW, C.ACC)[0] == "no"  # a step clearly back up


def sized(name, fastest, holds_to, percents=(100, 55, 25, 10, 5)):
    """A size-sweep network: fastest convergence at ``fastest`` percent, accuracy held down to ``holds_to``."""
    return name, tickets({p: (3000 if p == fastest else 5000, 0.98 if p >= holds_to else 0.95) for p in percents})


def test_size_claim_reproduced():
    named = [sized("oneshot-100-33", 55, 25), sized("oneshot-300-100", 25, 25)]
    c, = C.size_claim(named, LONG)
    assert c.verdict == "reproduced", c
    # by accuracy each ticket lies between the last level that holds and the next: 82,030 × (10%, 25%],
    # 266,200 × (10%, 25%]; the larger network's lower end is above the smaller's upper end
    assert "100-33: 8,203–20,508" in c.ours and "300-100: 26,620–66,550" in c.ours
    one_trial = [(n, [r for r in rs if r["trial"] == 0]) for n, rs in named]
    c, = C.size_claim(one_trial, LONG)  # the accuracy part still grows; the fastest level needs a spread
    assert c.verdict == "undecided" and "one trial per network" in c.why


def test_size_claim_not_when_the_larger_networks_ticket_is_smaller():
    named = [sized("oneshot-100-33", 55, 55), sized("oneshot-300-100", 10, 10)]
    assert C.size_claim(named, LONG)[0].verdict == "not"


def test_size_claim_undecided_when_a_ticket_is_only_bounded_and_networks_still_improve():
    named = [sized("iterative-100-33", 55, 25), sized("iterative-300-100", 25, 10, percents=(100, 55, 25, 10))]
    c, = C.size_claim(named, LONG)
    assert c.verdict == "undecided" and "≤ 26,620" in c.ours  # 300-100 holds at 10%, the smallest it tried
    assert "pruning further" in c.decide
    shrinks = [sized("iterative-100-33", 55, 55), sized("iterative-300-100", 25, 5)]  # ≤ 13,310 ≤ 20,508: clear
    assert C.size_claim(shrinks, LONG)[0].verdict == "partly"
    within_the_grid = [sized("iterative-100-33", 55, 25), sized("iterative-300-100", 25, 5)]  # ≤ 13,310 vs (8,203, 20,508]
    assert C.size_claim(within_the_grid, LONG)[0].verdict != "partly"
    still = [(n, [dict(r, convergence_iteration=1490) for r in rs]) for n, rs in named]
    assert "still improving" in C.size_claim(still, SHORT)[0].why


def test_size_claim_undecided_where_convergence_is_flat_near_its_minimum_or_the_levels_too_coarse():
    flat = lambda name, fastest: (name, tickets({p: (3000 if p == fastest else 3040, 0.98)  # noqa: E731
                                                  for p in (100, 55, 25, 10, 5)}, d_conv=100))
    c, = C.size_claim([flat("oneshot-100-33", 55), flat("oneshot-300-100", 10)], LONG)
    # the argmin says the ticket shrinks (45,116 → 26,620 weights), but every level is within the spread
    assert c.verdict == "undecided" and "as fast: 4,102–82,030" in c.ours  # 82,030 × 5%, rounded
    assert "the levels within the spread of the fastest overlap" in c.why and "single out their fastest level" in c.decide
    coarse = [sized("oneshot-100-33", 55, 25), sized("oneshot-300-100", 25, 10)]  # (8,203, 20,508] vs (13,310, 26,620]
    c, = C.size_claim(coarse, LONG)
    assert c.verdict == "undecided" and "finer levels" in c.decide


def final(conv, acc, n=2, **kw):
    """An experiment whose smallest size (21%) has tickets at (conv, acc)."""
    return variant(conv, acc, n=n, **kw)


def test_rate_claim_reproduced():
    named = [("rate-0.2", final(3000, 0.98)), ("rate-0.5", final(6000, 0.96)), ("rate-0.7", final(7000, 0.95))]
    c, = C.rate_claim(named, LONG)
    assert c.verdict == "reproduced" and "(2,950–3,050)" in c.ours


def test_rate_claim_partly_when_aggressive_rates_are_less_accurate_but_faster():
    named = [("rate-0.2", final(3000, 0.98)), ("rate-0.7", final(2000, 0.95))]
    assert C.rate_claim(named, LONG)[0].verdict == "partly"


def test_rate_claim_undecided_while_still_improving():
    named = [("rate-0.2", final(1470, 0.98, d_conv=20)), ("rate-0.7", final(1480, 0.95, d_conv=20))]
    c, = C.rate_claim(named, SHORT)
    assert c.verdict == "undecided" and "still improving" in c.why


def test_rate_claim_undecided_within_the_spread():
    named = [("rate-0.2", final(3000, 0.97, d_conv=2000, d_acc=0.02)), ("rate-0.7", final(3500, 0.965))]
    c, = C.rate_claim(named, LONG)
    assert c.verdict == "undecided" and "within the spread" in c.why
    assert "By two standard errors of the difference of means" in c.decide


def test_reset_claim_reproduced_and_not():
    good = [("iterative-init", final(3000, 0.98)), ("iterative-none", final(5000, 0.96))]
    bad = [("iterative-init", final(5000, 0.96)), ("iterative-none", final(3000, 0.98))]
    assert C.reset_claim(good, LONG)[0].verdict == "reproduced"
    assert C.reset_claim(bad, LONG)[0].verdict == "not"


def test_reset_claim_undecided_with_one_trial():
    named = [("oneshot-init", final(3000, 0.955, n=1)), ("oneshot-none", final(5000, 0.95, n=1))]
    c, = C.reset_claim(named, LONG)
    assert c.verdict == "undecided" and "under 2 points do not count" in c.why and "no spread" in c.why
    assert c.decide.startswith("Two or more trials per group")


def test_reset_claim_undecided_with_a_short_budget():
    named = [("oneshot-init", final(1470, 0.98, d_conv=20)), ("oneshot-none", final(1490, 0.95, d_conv=20))]
    c, = C.reset_claim(named, SHORT)
    assert c.verdict == "undecided" and "still improving" in c.why


# ----------------------------------------------------------------------------
# Markdown, and the §2 and §5 claims of the report
# ----------------------------------------------------------------------------

UNESCAPED_BAR = re.compile(r"(?<!\\)\|")


def verdicts(lines, section):
    """The verdict column of the claim rows of ``section`` in Markdown ``lines``."""
    table = [line for text in lines for line in text.splitlines()
             if line.startswith(f"| {section} |") and any(icon in line for icon in C.ICONS.values())]
    return [UNESCAPED_BAR.split(line)[5].strip() for line in table]


def test_markdown_escapes_bars_and_shows_undecided():
    claim = C.Claim("5", "large |w0| survive", "p", "o", "undecided", "w")
    header, rule, row = C.markdown([claim]).splitlines()
    assert len(UNESCAPED_BAR.findall(row)) == len(UNESCAPED_BAR.findall(header)) == 7
    assert "⚪ undecided" in row and r"\|w0\|" in row


def xor_result(random_2=49.1, iterative_2=91.5, oneshot_2=82.4, trials=1000):
    """The paper's XOR tables as our result, with three rates changed."""
    pruned = {k: {u: dict(v) for u, v in t.items()} for k, t in PAPER["pruned"].items()}
    pruned["iterative_product"]["2"]["db"], pruned["one_shot_product"]["2"]["db"] = iterative_2, oneshot_2
    random_init = {u: dict(v) for u, v in PAPER["random_init"].items()}
    random_init["2"]["db"] = random_2
    settings = dict(trials=trials, init_std=1.0, lr=0.1, zero_loss_threshold=0.05, iterations=1000)
    return {"settings": settings, "random_init": random_init, "pruned": pruned, "paper": PAPER}


XOR_CLAIMS = ("xor_smaller_nets", "xor_tickets", "xor_iterative")


def xor_verdicts(result):
    claims = C.xor_claims(result)
    assert tuple(claims) == XOR_CLAIMS
    return [claims[name].verdict for name in XOR_CLAIMS]


def test_xor_claims_reproduced_with_the_papers_numbers():
    assert xor_verdicts(xor_result()) == ["reproduced"] * 3
    claims, lines = xor_section(xor_result())  # the report's §2 shows the same claims, in the same order
    assert verdicts(lines, 2) == [C.ICONS[c.verdict] for c in claims.values()]


def test_xor_claims_not():
    assert xor_verdicts(xor_result(random_2=99.0, iterative_2=75.0, oneshot_2=90.0)) == ["not"] * 3


def test_xor_claims_undecided_with_few_trials():
    assert xor_verdicts(xor_result(random_2=80.0, trials=20)) == ["undecided"] * 3


def examine_result(end_share, survivors_end=12936):
    """One ticket's §5 rows: the first hidden layer at 100% (4.55% of survivors beyond 2σ) and at 5.5%."""
    def level(i, pct, share, survivors):
        return [dict(level=i, percent_remaining=pct, layer=name, survivors=survivors, layer_percent=pct,
                     beyond_2_sigma=share, units=units, units_removed=0)
                for name, units in (("first hidden", 300), ("second hidden", 100), ("output", 10))]
    return level(0, 100.0, 0.0455, 235200) + level(13, 5.5, end_share, survivors_end), [100.0, 5.5]


@pytest.mark.parametrize("end_share, expected", [(0.30, "reproduced"), (0.07, "partly"), (0.02, "not"),
                                                 (0.05, "undecided")])
def test_bimodal_claim(end_share, expected):
    rows, _ = examine_result(end_share)
    assert C.examine_claims(rows)["bimodal"].verdict == expected
    assert verdicts(examine_section(examine_result(end_share))[1], 5)[0] == C.ICONS[expected]


def test_few_units_removed_claim():
    rows, _ = examine_result(0.30)
    assert C.examine_claims(rows)["few_units_removed"].verdict == "reproduced"
    gone = [dict(r, units_removed=r["units"] // 2) if r["level"] == 13 and r["layer"] == "second hidden" else r
            for r in rows]
    assert C.examine_claims(gone)["few_units_removed"].verdict == "partly"


def test_examine_tables_keep_their_columns():
    text = "\n".join(examine_section(examine_result(0.30))[1])
    for line in text.splitlines():
        if line.startswith("| level"):  # the ticket table's header names |w0|
            assert len(UNESCAPED_BAR.findall(line)) == 8


def test_quick_report_links_to_the_paper_scale_report(tmp_path):
    root = Path(__file__).resolve().parent.parent
    assert _paper_scale_link(root / "results" / "reproduce-quick") == \
        "[`docs/paper-scale/REPORT.md`](../../docs/paper-scale/REPORT.md)"
    assert _paper_scale_link(tmp_path) == "`docs/paper-scale/REPORT.md`"  # outside the checkout: the path alone


def test_judging_a_claim_does_not_load_matplotlib():
    """Verdicts need NumPy only: importing ``claims`` (and the report's text) in a fresh interpreter
    leaves matplotlib unloaded, so a verdict can be computed where no plotting library is installed."""
    root = Path(__file__).resolve().parent.parent
    code = ("import sys\nimport lottery_np.paper.claims, lottery_np.paper.report\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.stdout.strip() == "[]", out.stdout
