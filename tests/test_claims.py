"""Each verdict rule of ``lottery_np.paper.claims`` (and the §2 and §5 claims of the report) on rows built by hand:
one case per outcome — reproduced, partly or not, and undecided (budget too short, difference within the spread)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import numpy as np

from lottery_np.paper import claims as C
from lottery_np.paper import stats as S
from lottery_np.paper.report import _paper_scale_link, examine_section, xor_section
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.paper.sweeps import Variant, sweep_configs
from lottery_np.paper.xor import PAPER

LONG = 50_000  # a budget inside which every network below has converged
SHORT = 1_500  # a budget the networks of ``improving`` have not converged inside


def runs(conv, acc, d_conv=100, d_acc=0.001, n=2, cross=False):
    """``n`` runs around (conv, acc) whose min–max ranges are d_conv and d_acc (one run: exactly the value).
    Run i is trial i, so two groups built alike differ by the same amount in every ticket (their paired
    differences have no spread); ``cross`` reverses the order, so that the paired differences spread."""
    if n == 1:
        return [(conv, acc)]
    out = [(conv - d_conv / 2 + d_conv * i / (n - 1), acc - d_acc / 2 + d_acc * i / (n - 1)) for i in range(n)]
    return out[::-1] if cross else out


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


def tickets(by_pct, cross=(), **kw):
    """Ticket rows from {percent: (conv, acc)}, two trials each (``runs`` keyword arguments pass through);
    the runs at the percents in ``cross`` in reverse order."""
    return rows({"ticket": {p: runs(c, a, cross=p in cross, **kw) for p, (c, a) in by_pct.items()}})


def improving(percents, n=2):
    """Tickets at every percent, all still improving at SHORT iterations, all equally accurate."""
    return tickets({p: (1470, 0.95) for p in percents}, d_conv=20, n=n)


ONESHOT = (100, 75, 55, 35, 25, 15)


# ----------------------------------------------------------------------------
# The decision procedure (stats.py): a 95% paired t interval, the ticket as the unit
# ----------------------------------------------------------------------------


def test_t_quantiles_and_a_hand_worked_interval():
    assert round(S.t_quantile(0.975, 4), 3) == 2.776 and round(S.t_quantile(0.975, 1), 3) == 12.706
    assert abs(S.t_quantile(0.975, 200) - 1.972) < 1e-3 and abs(S.t_cdf(0.0, 3) - 0.5) < 1e-12
    # five tickets' contrasts 1, 2, 3, 4, 5: mean 3, sd √2.5 = 1.5811, se 0.7071, half-width 2.776 · 0.7071 = 1.963
    iv = S.paired_interval([1, 2, 3, 4, 5])
    assert iv.n == 5 and abs(iv.sd - 1.5811) < 1e-4 and abs(iv.lo - 1.0368) < 1e-3 and abs(iv.hi - 4.9632) < 1e-3
    assert S.paired_interval([2.0]).lo == -np.inf  # one ticket: no interval


@pytest.mark.parametrize("interval, threshold, null, result", [
    ((0.40, 0.60), np.log(4 / 3), 0.0, "yes"),        # 1.49×–1.82×: beyond 1.33×
    ((0.09, 0.25), np.log(4 / 3), 0.0, "partly"),     # 1.09×–1.28×: faster, but not 1.33×
    ((-0.2, 0.25), np.log(4 / 3), 0.0, "no"),         # could be slower, and clearly not 1.33×
    ((0.09, 0.37), np.log(4 / 3), 0.0, "undecided"),  # 1.09×–1.44×: contains 1.33×
    ((-0.12, 0.02), -0.15, None, "yes"),              # within 0.15 points: non-inferior
    ((-0.30, -0.20), -0.15, None, "no"),
])
def test_judge_sets_the_interval_against_the_papers_threshold(interval, threshold, null, result):
    assert S.judge(S.Interval(5, sum(interval) / 2, 0.1, *interval), threshold, +1, null) == result
    flipped = S.Interval(5, -sum(interval) / 2, 0.1, -interval[1], -interval[0])  # the same from the other side
    assert S.judge(flipped, -threshold, -1, None if null is None else -null) == result


def simulated(n, effect, rng, draws=3, levels=(35, 25, 15)):
    """One-shot rows of ``n`` tickets and ``draws`` draws of control 1 at ``levels``: each ticket has its own
    level (shared by its controls, as a shared minibatch order would give), the control is ``effect`` points
    less accurate and exp(effect / 10) times slower on average, and every run has its own noise."""
    table = []
    for t in range(n):
        base_acc, base_conv = rng.normal(0, 0.004), rng.normal(0, 0.15)
        for kind, level, pct in [("ticket", 0, 100)] + [(k, i + 1, p) for i, p in enumerate(levels)
                                                         for k in ("ticket", "reinit")]:
            for draw in range(draws if kind == "reinit" else 1):
                shift = effect if kind == "reinit" else 0.0
                table.append(dict(experiment="oneshot", kind=kind, trial=t, draw=draw, level=level,
                                  percent_remaining=float(pct), diverged=False, min_val_loss=0.05,
                                  test_accuracy=0.98 + base_acc - shift / 100 + rng.normal(0, 0.003),
                                  convergence_iteration=int(5000 * np.exp(base_conv + shift / 10 + rng.normal(0, 0.2)))))
    return table


def decided(n, effect, experiments, seed=0):
    rng = np.random.default_rng(seed)
    return np.mean([C.controls_worse(simulated(n, effect, rng), "reinit", "3", LONG).parts[1].result == "yes"
                    for _ in range(experiments)])


def test_false_positives_at_five_tickets_are_at_most_about_five_percent():
    # 400 null experiments (the control no worse): the accuracy part must rarely call it less accurate.
    # One-sided at 2.5% by construction; the bound allows for 400 draws' own noise (sd ≈ 0.8 points).
    assert decided(5, 0.0, 400) <= 0.05


def test_power_grows_with_the_number_of_tickets():
    # the same true effect (0.3 points, about the spread between tickets) decided more often with more tickets
    rates = [decided(n, 0.3, 150, seed=n) for n in (3, 5, 10)]
    assert rates[0] < rates[1] < rates[2], rates
    assert rates[2] > 0.8


def test_control_draws_are_averaged_within_their_ticket():
    c = C.controls_worse(simulated(5, 1.0, np.random.default_rng(1)), "reinit", "3", LONG)
    assert all(p.iv.n == 5 for p in c.parts) and "n = 5 tickets" in c.ours  # 15 control runs, 5 tickets


def test_a_claim_whose_levels_are_all_still_improving_is_undecided_for_that_reason():
    slow = [dict(r, convergence_iteration=r["convergence_iteration"] + 45_000) if r["level"] > 0 else r
            for r in simulated(5, 1.0, np.random.default_rng(2))]
    c = C.controls_worse(slow, "reinit", "3", LONG)
    assert c.verdict == "undecided" and not any(p.levels for p in c.parts)
    assert "still improving at 50,000 iterations" in c.why and "longer training" in c.decide


def test_an_undecided_claim_says_how_many_tickets_would_decide_it():
    c = C.controls_worse(simulated(3, 0.15, np.random.default_rng(5)), "reinit", "3", LONG)
    acc = c.parts[1]
    if acc.result == "undecided":  # with this seed: a real effect not yet decided by 3 tickets
        n = S.tickets_to_decide(acc.iv, 0.0)
        assert n is not None and n > 3 and f"about {n} tickets (now 3)" in c.decide
    assert S.tickets_to_decide(S.Interval(5, 0.3, 0.3, 0.0, 0.6), 0.0) == 10  # (2.262 + 0.883) · 0.3 / 0.3 ≈ √10
    assert S.tickets_to_decide(S.Interval(5, 0.0, 0.3, -0.3, 0.3), 0.0) is None


def test_holm_adjusts_step_down():
    assert np.allclose(S.holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])


# ----------------------------------------------------------------------------
# Section 3
# ----------------------------------------------------------------------------


def oneshot(mid, others=(5000, 0.98), **kw):
    """One-shot tickets: ``mid`` (conv, acc) at 75–25%, ``others`` at 100% and 15%."""
    return tickets({p: (mid if 24 <= p <= 76 else others) for p in ONESHOT}, **kw)


def test_oneshot_speedup_reproduced():
    c = C.oneshot_speedup(oneshot((3000, 0.98)), LONG)
    assert c.verdict == "reproduced", c
    assert "speed 1.67× [1.53, 1.81] vs 1.33×" in c.ours and "n = 2 tickets" in c.ours  # 5000 / 3000, per ticket


def test_oneshot_speedup_partly_when_faster_by_less_than_a_quarter():
    assert C.oneshot_speedup(oneshot((4500, 0.98)), LONG).verdict == "partly"


def test_oneshot_speedup_not_when_slower_and_less_accurate():
    assert C.oneshot_speedup(oneshot((7000, 0.96)), LONG).verdict == "not"


def test_oneshot_speedup_undecided_while_every_network_still_improves():
    c = C.oneshot_speedup(improving(ONESHOT), SHORT)
    assert c.verdict == "undecided"
    assert "still improving at 1,500 iterations at 75.0%, 55.0%, 35.0%, 25.0%" in c.why
    assert "accuracy: undecided" in c.why and "longer training" in c.decide  # equal accuracy so far says nothing
    assert C.oneshot_speedup(improving(ONESHOT), None).verdict == "undecided"


def test_oneshot_speedup_undecided_within_the_spread():
    c = C.oneshot_speedup(oneshot((4000, 0.98), d_conv=3000), LONG)
    assert c.verdict == "undecided" and "Speed 1.29× [0.44, 3.77] against 1.33×: undecided" in c.why


def with_controls(control, ticket=(3000, 0.98), kind="reinit", cross=False, **kw):
    """Tickets at every one-shot level and one control ``kind`` at the pruned ones, two runs each (the control's
    in reverse order with ``cross``)."""
    return rows({"ticket": {p: runs(*((5000, 0.98) if p == 100 else ticket), **kw) for p in ONESHOT},
                 kind: {p: runs(*control, cross=cross, **kw) for p in ONESHOT[1:]}})


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
    assert c.verdict == "undecided" and "still improving" in c.why  # a level enters only if both converged


def test_controls_worse_undecided_within_the_spread():
    c = C.controls_worse(with_controls((3300, 0.975), d_conv=1000, d_acc=0.02, cross=True), "reinit", "3", LONG)
    assert c.verdict == "undecided" and all(p.result == "undecided" for p in c.parts)
    assert "slower 1.10× [" in c.ours and "less accurate +0.50 points [" in c.ours


def test_an_undecided_claim_says_what_would_decide_it_and_a_decided_one_says_nothing():
    wide = with_controls((3300, 0.975), d_conv=1000, d_acc=0.01, n=15, cross=True)
    c = C.controls_worse(wide, "reinit", "3", LONG)
    assert c.verdict == "undecided" and c.parts[0].result == "undecided" and c.parts[1].result == "yes"
    n = S.tickets_to_decide(c.parts[0].iv, 0.0)
    assert n > 15 and f"slower: about {n} tickets (now 15)" in c.decide and "What would decide it" in C.markdown([c])
    decided = C.controls_worse(with_controls((6000, 0.96)), "reinit", "3", LONG)
    assert decided.verdict == "reproduced" and decided.decide == "" and "What would decide" not in C.markdown([decided])


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
    within = accuracy(ONESHOT_ALL, 20, to=0.97, d_acc=0.03, cross=(15, 10, 5))
    c = C.iterative_vs_oneshot(accuracy(ITERATIVE, 0), within, LONG)
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


def drop_table(reinit_from, shuffle_from, low=0.95, cross=False, **kw):
    """Iterative tickets that hold 0.98 everywhere; controls that fall to ``low`` below the given percents."""
    control = lambda start: {p: runs(5000, low if p < start else 0.98, cross=cross, **kw)  # noqa: E731
                             for p in ITERATIVE[1:]}
    return rows({"ticket": {p: runs(5000, 0.98, **kw) for p in ITERATIVE},
                 "reinit": control(reinit_from), "shuffle": control(shuffle_from)}, experiment="iterative")


def test_controls_drop_earlier_reproduced():
    assert C.controls_drop_earlier(drop_table(40, 60), LONG).verdict == "reproduced"


def test_controls_drop_earlier_partly_when_one_control_holds():
    assert C.controls_drop_earlier(drop_table(40, 0), LONG).verdict == "partly"


def test_controls_drop_earlier_not_when_both_hold():
    assert C.controls_drop_earlier(drop_table(0, 0), LONG).verdict == "not"


def test_controls_drop_earlier_undecided_within_the_spread():
    assert C.controls_drop_earlier(drop_table(40, 60, low=0.97, d_acc=0.03, cross=True), LONG).verdict == "undecided"


def test_controls_drop_earlier_undecided_while_still_improving():
    c = C.controls_drop_earlier(drop_table(40, 60), 5000)
    assert c.verdict == "undecided" and "still improving" in c.why


# ----------------------------------------------------------------------------
# Section 6
# ----------------------------------------------------------------------------

SWEEP = (100, 51.2, 21)
# Each variant's config, by the name ``sweep_configs`` gives it: the claims read the swept value there.
CONFIGS = {name: cfg for sweep, values in (("init-std", (0.025, 0.1, 0.4)), ("size", ((100, 33), (300, 100))),
                                          ("rate", (0.2, 0.5, 0.7)), ("reset", None))
           for name, cfg in sweep_configs(sweep, ExperimentConfig(experiment="iterative", controls=0), values)}


def variants(named):
    """``[(name, rows)]`` as a sweep's ``Variant``s, each with the config its name stands for."""
    return [Variant(name, CONFIGS[name], rows) for name, rows in named]


def variant(conv, acc, n=2, **kw):
    """A sweep variant: unpruned tickets at (5000, 0.98) (or still improving if conv is), pruned ones at (conv, acc)."""
    full = (min(conv, 5000), 0.98)
    return tickets({p: full if p == 100 else (conv, acc) for p in SWEEP}, n=n, **kw)


def test_init_std_reproduced_on_both_sides():
    named = [("std-0.025", variant(6000, 0.985)), ("std-0.1", variant(3000, 0.98)), ("std-0.4", variant(6000, 0.95))]
    assert [c.verdict for c in C.init_std_claims(variants(named), LONG)] == ["reproduced", "reproduced"]


def test_init_std_not_when_larger_std_is_faster_and_more_accurate():
    named = [("std-0.1", variant(6000, 0.95)), ("std-0.4", variant(3000, 0.98))]
    assert [c.verdict for c in C.init_std_claims(variants(named), LONG)] == ["not"]


def test_init_std_undecided_while_still_improving():
    named = [("std-0.1", variant(1470, 0.98, d_conv=20)), ("std-0.4", variant(1480, 0.95, d_conv=20))]
    c, = C.init_std_claims(variants(named), SHORT)
    assert c.verdict == "undecided" and "still improving at 1,500 iterations at 51.2%, 21.0%" in c.why


def test_init_std_with_one_trial_small_differences_stay_undecided():
    named = [("std-0.1", variant(3000, 0.98, n=1)), ("std-0.4", variant(6000, 0.975, n=1))]
    c, = C.init_std_claims(variants(named), LONG)
    assert c.verdict == "undecided" and "one ticket, no interval" in c.ours and "two or more tickets" in c.decide


def sized(name, fastest, holds_to, percents=(100, 55, 25, 10, 5)):
    """A size-sweep network: fastest convergence at ``fastest`` percent, accuracy held down to ``holds_to``."""
    return name, tickets({p: (3000 if p == fastest else 5000, 0.98 if p >= holds_to else 0.95) for p in percents})


def test_size_claim_reproduced():
    named = [sized("oneshot-100-33", 55, 25), sized("oneshot-300-100", 25, 25)]
    c, = C.size_claim(variants(named), LONG)
    assert c.verdict == "reproduced", c
    # per ticket, log ticket weights on log network weights (82,030 → 266,200): by convergence 55% → 25%,
    # slope log(66,550 / 45,117) / log(266,200 / 82,030) = 0.33; by accuracy 25% → 25%, slope 1
    assert "by convergence, slope 0.33 [0.33, 0.33]" in c.ours and "by accuracy, slope 1.00" in c.ours
    one_trial = [(n, [r for r in rs if r["trial"] == 0]) for n, rs in named]
    c, = C.size_claim(variants(one_trial), LONG)
    assert c.verdict == "undecided" and "no interval" in c.ours


def test_size_claim_not_when_the_larger_networks_ticket_is_smaller():
    named = [sized("oneshot-100-33", 55, 55), sized("oneshot-300-100", 10, 10)]
    assert C.size_claim(variants(named), LONG)[0].verdict == "not"


def test_size_claim_undecided_when_a_ticket_is_only_bounded_and_networks_still_improve():
    named = [sized("iterative-100-33", 55, 25), sized("iterative-300-100", 25, 10, percents=(100, 55, 25, 10))]
    c, = C.size_claim(variants(named), LONG)  # 300-100 keeps its accuracy at 10%, the smallest it tried: only bounded
    assert c.verdict == "undecided" and c.parts[1].result == "undecided" and "pruning further" in c.decide
    still = [(n, [dict(r, convergence_iteration=1490) for r in rs]) for n, rs in named]
    c, = C.size_claim(variants(still), SHORT)
    assert c.verdict == "undecided" and "still improving" in c.why and "longer training" in c.decide


def test_size_claim_undecided_when_the_tickets_disagree():
    def net(name, fastest):  # ticket 0 and ticket 1 fastest at different levels
        return name, rows({"ticket": {p: [(3000 if p == f else 5000, 0.98) for f in fastest] for p in (100, 55, 25, 10, 5)}})
    c, = C.size_claim(variants([net("oneshot-100-33", (55, 10)), net("oneshot-300-100", (10, 55))]), LONG)
    assert c.parts[0].result == "undecided" and "by convergence" in c.decide


def final(conv, acc, n=2, **kw):
    """An experiment whose smallest size (21%) has tickets at (conv, acc)."""
    return variant(conv, acc, n=n, **kw)


def test_rate_claim_reproduced():
    named = [("rate-0.2", final(3000, 0.98)), ("rate-0.5", final(6000, 0.96)), ("rate-0.7", final(7000, 0.95))]
    c, = C.rate_claim(variants(named), LONG)
    assert c.verdict == "reproduced" and "each read at 21.00% remaining: 20%: 3,000 it, 98.00%" in c.ours


def test_rate_claim_partly_when_aggressive_rates_are_less_accurate_but_faster():
    named = [("rate-0.2", final(3000, 0.98)), ("rate-0.7", final(2000, 0.95))]
    assert C.rate_claim(variants(named), LONG)[0].verdict == "partly"


def test_rate_claim_undecided_while_still_improving():
    named = [("rate-0.2", final(1470, 0.98, d_conv=20)), ("rate-0.7", final(1480, 0.95, d_conv=20))]
    c, = C.rate_claim(variants(named), SHORT)
    assert c.verdict == "undecided" and "still improving" in c.why


def test_rate_claim_undecided_within_the_spread():
    named = [("rate-0.2", final(3000, 0.97, d_conv=2000, d_acc=0.02)), ("rate-0.7", final(3500, 0.965))]
    c, = C.rate_claim(variants(named), LONG)
    assert c.verdict == "undecided" and all(p.result == "undecided" for p in c.parts)
    assert "about" in c.decide and "tickets (now 2)" in c.decide


def test_reset_claim_reproduced_and_not():
    good = [("iterative-init", final(3000, 0.98)), ("iterative-none", final(5000, 0.96))]
    bad = [("iterative-init", final(5000, 0.96)), ("iterative-none", final(3000, 0.98))]
    assert C.reset_claim(variants(good), LONG)[0].verdict == "reproduced"
    assert C.reset_claim(variants(bad), LONG)[0].verdict == "not"


def test_reset_claim_undecided_with_one_trial():
    named = [("oneshot-init", final(3000, 0.955, n=1)), ("oneshot-none", final(5000, 0.95, n=1))]
    c, = C.reset_claim(variants(named), LONG)
    assert c.verdict == "undecided" and "one ticket, no interval" in c.why
    assert "two or more tickets" in c.decide


def test_reset_claim_undecided_with_a_short_budget():
    named = [("oneshot-init", final(1470, 0.98, d_conv=20)), ("oneshot-none", final(1490, 0.95, d_conv=20))]
    c, = C.reset_claim(variants(named), SHORT)
    assert c.verdict == "undecided" and "still improving" in c.why


def test_section_6_reads_each_swept_value_from_the_variants_config_not_its_name():
    """Variants whose names say other values (the rates', the σs', the networks' and the resets' swapped)
    are judged by their configs: the same verdicts and numbers as when named right."""
    def misnamed(named):
        names = [n for n, _ in named][::-1]
        return [Variant(wrong, CONFIGS[right], rows) for wrong, (right, rows) in zip(names, named)]
    cases = [
        (C.rate_claim, [("rate-0.2", final(3000, 0.98)), ("rate-0.5", final(6000, 0.96)), ("rate-0.7", final(7000, 0.95))]),
        (C.init_std_claims, [("std-0.025", variant(6000, 0.985)), ("std-0.1", variant(3000, 0.98)),
                             ("std-0.4", variant(6000, 0.95))]),
        (C.size_claim, [sized("oneshot-100-33", 55, 25), sized("oneshot-300-100", 25, 25)]),
        (C.reset_claim, [("iterative-init", final(3000, 0.98)), ("iterative-none", final(5000, 0.96))]),
    ]
    for rule, named in cases:
        right, wrong = rule(variants(named), LONG), rule(misnamed(named), LONG)
        assert [c.verdict for c in right] == [c.verdict for c in wrong] != ["n/a"]
        assert [c.ours for c in right] == [c.ours for c in wrong], rule


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


def verdict_table(text):
    """The verdict table of a report or of the README: its header and rows, as lines."""
    start = text.index("| § | claim of the paper |")
    return text[start:text.index("\n\n", start)].splitlines()


def test_the_readmes_verdict_table_is_the_paper_scale_reports():
    root = Path(__file__).resolve().parent.parent
    readme = verdict_table((root / "README.md").read_text())
    report = verdict_table((root / "docs" / "paper-scale" / "REPORT.md").read_text())
    assert readme == report
    judged = [line for line in report if line.startswith(("| 3 |", "| 6 |")) and "not judged" not in line]
    assert judged and all("[" in line for line in judged)  # every judged claim gives its 95% interval
