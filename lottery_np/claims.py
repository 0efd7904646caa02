"""The paper's claims, checked against our numbers.

Each check takes summary rows (see ``runner.read_summary``) and returns a
``Claim``: the paper's statement, the paper's number, ours, and a verdict —
``reproduced``, ``partly`` or ``not`` — with the reason in a sentence. The
rules that decide a verdict are written in each function, so a reader can see
exactly what "reproduced" means here.
"""
from dataclasses import dataclass

import numpy as np

from .plots import level_stats


@dataclass
class Claim:
    section: str
    statement: str
    paper: str
    ours: str
    verdict: str  # reproduced | partly | not | n/a
    why: str


def _means(rows, kind, key):
    """{level: (percent remaining, mean of key)} for one kind, diverged runs left out."""
    return {p["level"]: (p["x"], p["mean"]) for p in level_stats([r for r in rows if r["kind"] == kind], key).get(kind, [])}


# "Holds accuracy": mean test accuracy within half a point of the full network's. Looser
# than the paper's 0.15-point phrase for one-shot tickets, because with a few trials the
# mean of one level moves by 0.1–0.2 points from trial noise alone.
TOLERANCE = 0.005


def holds_accuracy_to(rows, kind, tolerance=TOLERANCE):
    """The smallest percent remaining down to which every level's mean test accuracy of
    ``kind`` stays within ``tolerance`` of the unpruned tickets' (levels taken from large to small)."""
    full = _means(rows, "ticket", "test_accuracy")[0][1]
    acc = _means(rows, kind, "test_accuracy")
    held = 100.0
    for level in sorted(acc):
        if level == 0:
            continue
        pct, a = acc[level]
        if not (np.isfinite(a) and a >= full - tolerance):
            break
        held = pct
    return held


def faster_to(rows):
    """The smallest percent remaining down to which the tickets' mean convergence iteration
    stays at or below the unpruned network's."""
    conv = _means(rows, "ticket", "convergence_iteration")
    full, held = conv[0][1], 100.0
    for level in sorted(conv)[1:]:
        if not conv[level][1] <= full:
            break
        held = conv[level][0]
    return held


def oneshot_speedup(rows):
    """Section 3: tickets between 75% and 25% converge ≥ 25% faster, accuracy within 0.15 points."""
    conv, acc = _means(rows, "ticket", "convergence_iteration"), _means(rows, "ticket", "test_accuracy")
    mid = [lv for lv, (pct, _) in conv.items() if 24 <= pct <= 76 and lv > 0]
    if not mid:
        return Claim("3", "tickets at 75–25% converge faster, as accurately", "≥ 25% faster, within 0.15 points",
                     "no level between 75% and 25%", "n/a", "the run has no level in that range")
    speedup = 1 - np.mean([conv[lv][1] for lv in mid]) / conv[0][1]
    worst = min(acc[lv][1] for lv in mid) - acc[0][1]
    ours = f"{100 * speedup:.0f}% faster on average; accuracy {100 * worst:+.2f} points at worst"
    fast, same = speedup >= 0.25, worst >= -0.0015
    verdict = "reproduced" if fast and same else "partly" if (speedup > 0 and worst >= -0.005) else "not"
    why = ("both hold" if fast and same else
           f"{'converge faster' if speedup > 0 else 'do not converge faster'} "
           f"({'at least' if fast else 'less than'} 25%), accuracy {'within' if same else 'beyond'} 0.15 points")
    return Claim("3", "One-shot tickets pruned to 75–25% converge faster than the full network and keep its accuracy",
                 "≥ 25% faster; accuracy within 0.15 points", ours, verdict, why + ".")


def controls_worse(rows, kind, section):
    """Tickets beat control ``kind`` at the small sizes (≤ 35%): faster and more accurate."""
    name = {"reinit": "control 1 (random reinit)", "shuffle": "control 2 (shuffled structure)"}[kind]
    tc, ta = _means(rows, "ticket", "convergence_iteration"), _means(rows, "ticket", "test_accuracy")
    cc, ca = _means(rows, kind, "convergence_iteration"), _means(rows, kind, "test_accuracy")
    small = [lv for lv in cc if cc[lv][0] <= 36]
    if not small:
        return Claim(section, f"{name} is worse than the tickets", "slower, less accurate", "no control at ≤ 35%",
                     "n/a", "the run has no controls at small sizes")
    ratio = np.mean([cc[lv][1] / tc[lv][1] for lv in small])
    gap = np.mean([ta[lv][1] - ca[lv][1] for lv in small])
    slower, less = ratio > 1, gap > 0
    verdict = "reproduced" if slower and less else "partly" if (slower or less) else "not"
    paper = "1.91× / 2.28× slower at 35% / 25% (control 1); lower accuracy" if kind == "reinit" else \
        "slower; accuracy falls earlier than control 1's"
    ours = f"{ratio:.2f}× the tickets' convergence iteration, {100 * gap:.2f} points less accurate (mean over levels ≤ 35%)"
    why = (f"the control is {'slower' if slower else 'not slower'} to converge and "
           f"{'less accurate' if less else 'not less accurate'} than the tickets.")
    return Claim(section, f"At small sizes {name} converges more slowly and less accurately than the tickets",
                 paper, ours, verdict, why[0].upper() + why[1:])


def iterative_vs_oneshot(it_rows, os_rows):
    """Section 4: iterative tickets hold the full network's accuracy to far smaller sizes than one-shot ones."""
    a_it, a_os = holds_accuracy_to(it_rows, "ticket"), holds_accuracy_to(os_rows, "ticket")
    smallest = min(_means(it_rows, "ticket", "test_accuracy").values())[0]
    ours = f"iterative holds it down to {a_it:.1f}% (smallest tried {smallest:.1f}%), one-shot down to {a_os:.1f}%"
    verdict = "reproduced" if a_it < a_os and a_it <= 4 else "partly" if a_it < a_os else "not"
    why = ("iterative tickets stay accurate at much smaller sizes" if a_it < a_os else
           "iterative tickets do not stay accurate longer than one-shot ones in this run")
    return Claim("4", "Iterative tickets keep the full network's accuracy (within 0.5 points) far below one-shot ones",
                 "iterative ≈ 1.8%; one-shot drops from 15%", ours, verdict, why + ".")


def iterative_convergence(it_rows, os_rows):
    f_it, f_os = faster_to(it_rows), faster_to(os_rows)
    ours = f"iterative tickets converge no later than the full network down to {f_it:.1f}%, one-shot to {f_os:.1f}%"
    verdict = "reproduced" if f_it < f_os and f_it <= 4 else "partly" if f_it < f_os else "not"
    return Claim("4", "Iterative tickets stay faster than the full network to smaller sizes than one-shot tickets",
                 "iterative until ≈ 1.8%; one-shot until 5–10%", ours, verdict,
                 "Compared by the smallest size at which tickets still converge no later than the full network.")


def controls_drop_earlier(rows, section="4"):
    t = holds_accuracy_to(rows, "ticket")
    r, s = holds_accuracy_to(rows, "reinit"), holds_accuracy_to(rows, "shuffle")
    ours = f"accuracy held down to: tickets {t:.1f}%, control 1 {r:.1f}%, control 2 {s:.1f}%"
    verdict = "reproduced" if r > t and s > t else "partly" if (r > t or s > t) else "not"
    return Claim(section, "Both controls lose accuracy at much larger sizes than the tickets",
                 "control 1 from ≈ 37%, control 2 from ≈ 52%, tickets ≈ 1.5%", ours, verdict,
                 "Sizes down to which mean test accuracy stays within 0.5 points of the full network's.")


def ticket_means(rows, levels="pruned"):
    """Mean over trials and over pruned levels of the tickets' (convergence iteration, test accuracy)."""
    t = [r for r in rows if r["kind"] == "ticket" and (levels != "pruned" or r["level"] > 0) and not r["diverged"]]
    if not t:
        return np.nan, np.nan
    return float(np.mean([r["convergence_iteration"] for r in t])), float(np.nanmean([r["test_accuracy"] for r in t]))


def _monotone(values, increasing):
    d = np.diff(values)
    return bool(np.all(d >= 0) if increasing else np.all(d <= 0))


def init_std_claims(named_rows):
    """Section 6: larger std (≥ 0.1) → slower and less accurate; smaller std (≤ 0.1) → more accurate but slower."""
    stds = sorted((float(n.split("-", 1)[1]), rows) for n, rows in named_rows)
    out = []
    for side, pick in (("≥", [(s, r) for s, r in stds if s >= 0.1]), ("≤", [(s, r) for s, r in stds if s <= 0.1])):
        if len(pick) < 2:
            continue
        m = [ticket_means(r) for _, r in pick]
        conv, acc = [c for c, _ in m], [a for _, a in m]
        ours = "; ".join(f"σ={s:g}: it {c:.0f}, {100 * a:.2f}%" for (s, _), c, a in zip(pick, conv, acc))
        if side == "≥":
            ok_c, ok_a = _monotone(conv, True), _monotone(acc, False)
            st, paper = "Larger initial std (≥ 0.1): tickets converge more slowly and less accurately", "slower, less accurate as σ grows"
        else:
            ok_c, ok_a = _monotone(conv, False), _monotone(acc, False)
            st, paper = "Smaller initial std (≤ 0.1): tickets more accurate but slower", "accuracy up, convergence slower as σ shrinks"
        verdict = "reproduced" if ok_c and ok_a else "partly" if (ok_c or ok_a) else "not"
        out.append(Claim("6", st, paper, ours + " (mean over pruned levels)", verdict,
                         f"Convergence trend {'matches' if ok_c else 'does not match'}; accuracy trend "
                         f"{'matches' if ok_a else 'does not match'}."))
    return out


def size_claim(named_rows):
    """Section 6: the winning ticket (fastest-converging size) grows with the network, in weights."""
    from .sweeps import ticket_size
    out = []
    for exp in ("oneshot", "iterative"):
        sizes = []
        for name, rows in named_rows:
            if not name.startswith(exp):
                continue
            h = [int(v) for v in name.split("-")[1:]]
            total = 784 * h[0] + h[0] * h[1] + h[1] * 10
            pct, _ = ticket_size(rows)
            sizes.append((h, total * pct / 100))
        if len(sizes) < 2:
            continue
        weights = [w for _, w in sizes]
        grows = _monotone(weights, True)
        mostly = np.corrcoef(np.arange(len(weights)), weights)[0, 1] > 0 if len(weights) > 2 else grows
        ours = ", ".join(f"{h[0]}-{h[1]}: {w:,.0f}" for h, w in sizes)
        out.append(Claim("6", f"{exp}: the winning ticket (fastest convergence) has more weights in larger networks",
                         "grows gradually with network size", "weights in the ticket — " + ours,
                         "reproduced" if grows else "partly" if mostly else "not",
                         "Ticket size = weights at the level of minimum mean convergence iteration."))
    return out


def rate_claim(named_rows):
    rates = sorted((float(n.split("-", 1)[1]), rows) for n, rows in named_rows)
    last = []
    for r, rows in rates:
        t = _means(rows, "ticket", "test_accuracy")
        c = _means(rows, "ticket", "convergence_iteration")
        lv = max(t)
        last.append((r, t[lv][0], c[lv][1], t[lv][1]))
    ours = "; ".join(f"{100 * r:g}%: {p:.1f}% left, it {c:.0f}, {100 * a:.2f}%" for r, p, c, a in last)
    slow = [x for x in last if x[0] <= 0.2]
    fast = [x for x in last if x[0] >= 0.5]
    if not slow or not fast:
        return [Claim("6", "Aggressive pruning rates give worse tickets", "50–70% worse than 20%", ours, "n/a",
                      "needs rates ≤ 20% and ≥ 50%")]
    acc_worse = max(a for *_, a in fast) < min(a for *_, a in slow)
    conv_worse = min(c for _, _, c, _ in fast) > max(c for _, _, c, _ in slow)
    verdict = "reproduced" if acc_worse and conv_worse else "partly" if (acc_worse or conv_worse) else "not"
    return [Claim("6", "Tickets from aggressive rates (50%, 70%) converge more slowly and are less accurate",
                  "worse than 20% per round", ours + " (at each rate's final size)", verdict,
                  f"Accuracy {'is' if acc_worse else 'is not'} lower and convergence {'is' if conv_worse else 'is not'} "
                  f"slower for the aggressive rates at about the same final size.")]


def reset_claim(named_rows):
    d = dict(named_rows)
    out = []
    for exp in ("iterative", "oneshot"):
        if f"{exp}-init" not in d or f"{exp}-none" not in d:
            continue
        res = []
        for v in ("init", "none"):
            t = _means(d[f"{exp}-{v}"], "ticket", "test_accuracy")
            c = _means(d[f"{exp}-{v}"], "ticket", "convergence_iteration")
            lv = max(t)
            res.append((t[lv][0], c[lv][1], t[lv][1]))
        (p, ci, ai), (_, cn, an) = res
        better_a, better_c = ai > an, ci < cn
        out.append(Claim("6", f"{exp}: resetting to θ0 beats continuing to train without reset (Han et al.) at small sizes",
                         "faster and more accurate, only at very small sizes",
                         f"at {p:.1f}%: reset it {ci:.0f}, {100 * ai:.2f}%; no reset it {cn:.0f}, {100 * an:.2f}%",
                         "reproduced" if better_a and better_c else "partly" if (better_a or better_c) else "not",
                         f"Reset is {'more' if better_a else 'not more'} accurate and {'faster' if better_c else 'not faster'}."))
    return out


def markdown(claims):
    icon = {"reproduced": "✅ reproduced", "partly": "🟡 partly", "not": "❌ not", "n/a": "– n/a"}
    lines = ["| § | claim | paper | ours | verdict | why |", "|---|---|---|---|---|---|"]
    lines += [f"| {c.section} | {c.statement} | {c.paper} | {c.ours} | {icon[c.verdict]} | {c.why} |" for c in claims]
    return "\n".join(lines)
