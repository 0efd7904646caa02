"""Section 2 of the paper: XOR, where the smallest network that can solve the problem rarely learns it.

A 2-H-1 network (ReLU hidden units, a sigmoid output, binary cross-entropy) is
trained by full-batch gradient descent on the four XOR points for 1,000
iterations. Two hidden units suffice to represent XOR, yet a randomly
initialized 2-unit network often fails to learn it; 10-unit networks almost
always succeed. The paper asks whether the units a trained 10-unit network
would keep — reset to their initial weights — are a "winning ticket" that
learns XOR as reliably as the big network.

Per trial we record two outcomes at the end of training:

* **DB** (found the decision boundary): all four points on the right side, z > 0 ⇔ y = 1;
* **ZL** (reached zero loss): training loss below ``ZERO_LOSS``.

The paper leaves the constants open. Ours, fixed once for every table here:

* weights ~ N(0, ``INIT_STD``²) with ``INIT_STD = 1.0``, biases 0;
* learning rate ``LR = 0.1``;
* zero loss means loss < ``ZERO_LOSS = 0.05`` (mean binary cross-entropy; every
  point then has probability ≳ 0.95 on its label).

Whether a network finds the boundary hardly depends on the learning rate (it is
decided by which ReLUs start dead or on the wrong side); the rate and the
threshold decide how many of those reach "zero loss" in 1,000 iterations.

Unit pruning (``pruning.prune_units``) scores hidden units by one of three
heuristics — input magnitude, output magnitude, or their product (the paper's
default) — and removes the lowest. One-shot: train 10 units, remove 6 (→ 4) or
8 (→ 2) at once, reset the survivors to θ0, retrain. Iterative (product): remove
2 units per round, 10 → 8 → 6 → 4 → 2, resetting and retraining each round.

Two ways to train, one answer
-----------------------------
``train_one`` trains a single network with the package's ordinary layers
(``MLP``, ``dense_forward``/``dense_backward``) — the code a reader studies.
``train_many`` trains thousands of independent trials at once by stacking them
along a first "trial" axis; it is the same arithmetic, written with batched matrix products
so that 1,000 trials of every configuration take seconds. ``tests/test_xor.py``
checks that both give the same outcome, trial by trial.
"""
import json
import time
from pathlib import Path

import numpy as np

from ..data import xor_data
from ..errors import ConfigError
from ..network import MLP, init_weights
from ..pruning import prune_units
from .store import atomic_write

INIT_STD = 1.0
LR = 0.1
ITERATIONS = 1000
ZERO_LOSS = 0.05
TRIALS = 1000
CHUNK = 256  # trials trained at once: keeps the (T, 4, H) temporaries small enough to reuse memory
SIZES = (10, 8, 6, 4, 2)
STRATEGIES = {  # name: (heuristic, schedule of units after each pruning round)
    "one_shot_product": ("product", "oneshot"),
    "input_magnitude": ("input", "oneshot"),
    "output_magnitude": ("output", "oneshot"),
    "iterative_product": ("product", "iterative"),
}
PAPER = {
    "random_init": {"10": {"db": 98.5, "zl": 92.9}, "8": {"db": 96.8, "zl": 87.5}, "6": {"db": 92.5, "zl": 76.8},
                    "4": {"db": 78.3, "zl": 55.3}, "2": {"db": 49.1, "zl": 17.6}},
    "pruned": {
        "one_shot_product": {"10": {"db": 99.2, "zl": 93.3}, "4": {"db": 98.0, "zl": 90.3}, "2": {"db": 82.4, "zl": 65.3}},
        "input_magnitude": {"10": {"db": 98.9, "zl": 93.5}, "4": {"db": 97.9, "zl": 92.2}, "2": {"db": 83.8, "zl": 76.5}},
        "output_magnitude": {"10": {"db": 99.0, "zl": 93.3}, "4": {"db": 96.9, "zl": 85.9}, "2": {"db": 78.6, "zl": 56.1}},
        "iterative_product": {"10": {"db": 98.5, "zl": 92.9}, "4": {"db": 97.6, "zl": 90.3}, "2": {"db": 91.5, "zl": 79.4}},
    },
}


def trial_seed(seed, hidden, trial):
    """The seed of one trial: any single trial can be rerun alone."""
    return np.random.SeedSequence([seed, hidden, trial])


def init_trial(hidden, seed, trial):
    """θ0 of one trial: weights [(2, H), (H, 1)] ~ N(0, INIT_STD²), biases 0."""
    return init_weights((2, hidden, 1), trial_seed(seed, hidden, trial), std=INIT_STD, dtype=np.float64)


def outcome(logits, loss, y):
    """(DB, ZL) of one network: all points correct; loss below ZERO_LOSS."""
    db = bool(np.all((np.asarray(logits).reshape(-1) > 0) == (np.asarray(y) == 1)))
    return db, bool(loss < ZERO_LOSS)


# ----------------------------------------------------------------------------
# One network, with the ordinary layers
# ----------------------------------------------------------------------------


def train_one(weights, biases, masks=None, iterations=ITERATIONS, lr=None):
    """Full-batch gradient descent on XOR for one network. Returns ``(net, db, zl, loss)``."""
    x, y = xor_data()
    lr = LR if lr is None else lr
    net = MLP(weights, biases, masks, loss="sigmoid_binary_cross_entropy")
    for _ in range(iterations):
        loss, grads = net.loss_and_grads(x, y)
        for w, b, (dw, db) in zip(net.weights, net.biases, grads):
            w -= lr * dw  # dw is already masked: pruned weights stay 0
            b -= lr * db
    logits, _ = net.forward(x)
    loss, _ = net.evaluate(x, y)
    return (net, *outcome(logits, loss, y), loss)


# ----------------------------------------------------------------------------
# Many independent networks at once (same arithmetic, a leading trial axis)
# ----------------------------------------------------------------------------


def train_many(w1, b1, w2, b2, unit_mask, iterations=ITERATIONS, lr=None):
    """Train T independent 2-H-1 networks at once.

    w1 (T, 2, H), b1 (T, H), w2 (T, H), b2 (T,): weights and biases, trained in place.
    unit_mask (T, H): 1 for a hidden unit that exists, 0 for a pruned one (its input
    column and output weight are masked, as ``MLP`` masks them).
    Returns db (T,) bool, zl (T,) bool, loss (T,).
    """
    if len(w1) > CHUNK:  # slices along the trial axis are views, so each chunk trains in place
        parts = [train_many(w1[i:i + CHUNK], b1[i:i + CHUNK], w2[i:i + CHUNK], b2[i:i + CHUNK],
                            unit_mask[i:i + CHUNK], iterations, lr) for i in range(0, len(w1), CHUNK)]
        return tuple(np.concatenate(p) for p in zip(*parts))
    x, y = xor_data()
    lr = LR if lr is None else lr
    m = unit_mask.astype(w1.dtype)
    w1 *= m[:, None, :]
    w2 *= m
    for _ in range(iterations + 1):
        a = x @ w1 + b1[:, None, :]  # (4, 2) @ (T, 2, H) -> (T, 4, H) hidden pre-activations
        h = np.maximum(a, 0)
        z = (h @ w2[:, :, None])[:, :, 0] + b2[:, None]  # (T, 4, H) @ (T, H, 1) -> (T, 4) logits
        if _ == iterations:
            break
        dz = (1 / (1 + np.exp(-z)) - y) / len(y)  # (T, 4)  dL/dz of mean BCE
        dw2 = (dz[:, None, :] @ h)[:, 0, :] * m  # (T, 1, 4) @ (T, 4, H) -> (T, H)
        da = dz[:, :, None] * w2[:, None, :] * (a > 0)  # (T, 4, H)
        dw1 = (x.T @ da) * m[:, None, :]  # (2, 4) @ (T, 4, H) -> (T, 2, H)
        w2 -= lr * dw2
        b2 -= lr * dz.sum(axis=1)
        w1 -= lr * dw1
        b1 -= lr * da.sum(axis=1)
    loss = np.mean(np.logaddexp(0, z) - y * z, axis=1)
    db = np.all((z > 0) == (y == 1), axis=1)
    return db, loss < ZERO_LOSS, loss


def stack_trials(hidden, seed, trials):
    """θ0 of ``trials`` trials stacked along a trial axis: w1 (T,2,H), b1 (T,H), w2 (T,H), b2 (T,)."""
    w1, b1, w2, b2 = [], [], [], []
    for t in range(trials):
        (a, b), (c, d) = init_trial(hidden, seed, t)
        w1.append(a), w2.append(b[:, 0]), b1.append(c), b2.append(d[0])
    return np.array(w1), np.array(b1), np.array(w2), np.array(b2)


def _copy(theta):
    return tuple(np.array(a, copy=True) for a in theta)


def prune_stacked(theta, unit_mask, n_remove, heuristic):
    """Unit masks after removing ``n_remove`` units from each trial's trained network."""
    w1, _, w2, _ = theta
    out = np.empty_like(unit_mask)
    for t in range(len(w1)):
        masks = [np.repeat(unit_mask[t][None, :], 2, axis=0), unit_mask[t][:, None]]
        new = prune_units([w1[t], w2[t][:, None]], masks, n_remove, heuristic)
        out[t] = new[1][:, 0]
    return out


def rates(db, zl):
    return {"db": round(100 * float(np.mean(db)), 1), "zl": round(100 * float(np.mean(zl)), 1)}


def run_xor(trials=TRIALS, seed=0):
    """Both tables of section 2. Returns the ``xor.json`` dictionary (rates in percent)."""
    if not (isinstance(trials, (int, np.integer)) and trials >= 1):
        raise ConfigError(f"trials must be a whole number ≥ 1; got {trials!r}")
    start = time.time()
    random_init, theta10, trained10 = {}, None, None
    for hidden in SIZES:
        theta0 = stack_trials(hidden, seed, trials)
        trained = _copy(theta0)
        db, zl, _ = train_many(*trained, np.ones((trials, hidden)))
        random_init[str(hidden)] = rates(db, zl)
        if hidden == 10:
            theta10, trained10, result10 = theta0, trained, rates(db, zl)

    pruned = {}
    for name, (heuristic, schedule) in STRATEGIES.items():
        table = {"10": result10}
        full = np.ones((trials, 10))
        if schedule == "oneshot":
            for units in (4, 2):
                mask = prune_stacked(trained10, full, 10 - units, heuristic)
                db, zl, _ = train_many(*_copy(theta10), mask)
                table[str(units)] = rates(db, zl)
        else:
            mask, trained = full, trained10
            for units in (8, 6, 4, 2):
                mask = prune_stacked(trained, mask, 2, heuristic)
                trained = _copy(theta10)
                db, zl, _ = train_many(*trained, mask)
                if units in (4, 2):
                    table[str(units)] = rates(db, zl)
        pruned[name] = table
    settings = {"trials": trials, "seed": seed, "iterations": ITERATIONS, "lr": LR, "init_std": INIT_STD,
                "zero_loss_threshold": ZERO_LOSS, "hidden_activation": "relu",
                "output": "sigmoid + binary cross-entropy", "optimizer": "full-batch gradient descent",
                "seconds": round(time.time() - start, 1)}
    return {"settings": settings, "random_init": random_init, "pruned": pruned, "paper": PAPER}


def tables_markdown(result):
    """Both tables as Markdown, ours beside the paper's."""
    ri, p = result["random_init"], result["paper"]
    lines = ["**Random initialization** (percent of trials; ours vs paper)", "",
             "| hidden units | DB ours | DB paper | ZL ours | ZL paper |", "|---|---|---|---|---|"]
    for h in map(str, SIZES):
        lines.append(f"| {h} | {ri[h]['db']:.1f} | {p['random_init'][h]['db']:.1f} | "
                     f"{ri[h]['zl']:.1f} | {p['random_init'][h]['zl']:.1f} |")
    lines += ["", "**Pruned to 4 and 2 units, reset to θ0 and retrained** (DB / ZL, percent; ours vs paper)", "",
              "| strategy | 10 ours | 10 paper | 4 ours | 4 paper | 2 ours | 2 paper |", "|---|---|---|---|---|---|---|"]
    for name, table in result["pruned"].items():
        cells = []
        for u in ("10", "4", "2"):
            o, q = table[u], p["pruned"][name][u]
            cells += [f"{o['db']:.1f} / {o['zl']:.1f}", f"{q['db']:.1f} / {q['zl']:.1f}"]
        lines.append(f"| {name.replace('_', ' ')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_xor(out, trials=TRIALS, seed=0):
    """Run both tables and write ``out/xor.json``; returns the result."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = run_xor(trials, seed)
    atomic_write(out / "xor.json", json.dumps(result, indent=2).encode())
    return result


def plot_decision_boundaries(nets, titles=None, path=None, ncols=6):
    """Each network's decision regions over [-0.5, 1.5]², with the four XOR points."""
    import matplotlib.pyplot as plt  # here: the report's text and verdicts need NumPy only
    x, y = xor_data()
    g = np.linspace(-0.5, 1.5, 121)
    grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T  # (121², 2)
    nrows = int(np.ceil(len(nets) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols, 2.1 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, net in enumerate(nets):
        ax = axes.ravel()[i]
        z = net.forward(grid)[0].reshape(len(g), len(g))
        ax.contourf(g, g, z > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4cccc", "#cfe2f3"])
        ax.scatter(x[:, 0], x[:, 1], c=["tab:red" if v == 0 else "tab:blue" for v in y], s=40, edgecolors="k")
        ax.set_title(titles[i] if titles else "", fontsize=8)
        ax.set_aspect("equal")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
