"""After the paper: three questions that later papers asked of the tickets iterative pruning finds.

1. **Stability to SGD noise** (Frankle, Dziugaite, Roy & Carbin, "Linear Mode Connectivity and the
   Lottery Ticket Hypothesis", ICML 2020). Train two copies of one network — same start, same masks —
   on two minibatch orders, and walk the straight line between the two trained weight sets. The
   *instability* is the largest test error along the line minus the mean of the two ends' errors: near
   zero, the two trainings ended in one basin of the loss.
2. **Zeros, signs and supermasks** (Zhou, Lan, Liu & Yosinski, "Deconstructing Lottery Tickets",
   NeurIPS 2019). Survivors with θ0's signs but fresh magnitudes (``signs_control``); and a *supermask*
   — the large trained weights that kept their θ0 sign — put on θ0 and evaluated without any training.
3. **Random pruning**: a random mask of the ticket's per-layer counts, θ0 where it stands.

The loop is the paper's own: ``find_tickets`` runs ``lottery.iterative_pruning`` per trial (a *ticket*
is one trial: one θ0, one minibatch order, its masks at a few levels), and each experiment makes a
network from a ticket's mask with the functions of ``lottery.py``, trains it with ``trainer`` and
writes one row (a dict) per network. ``after_report.py`` judges the rows (one contrast per ticket, its 95%
t interval against the follow-up paper's own threshold), draws them and runs the ``after`` command.

Every training is saved under ``OUT/trainings/`` in a file named by a hash of what determines it
(sizes, seeds, settings, the data, the trainer), so the same command again trains only what is missing.
The tickets the search found are kept in ``OUT/tickets.npz`` too (masks as bits, rows; 440 KB for the full
run): a copy of the folder without its trainings (a committed run) asks the other questions of the same tickets.
"""
import hashlib
import io
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..engine import supports, train_fused
from ..errors import ConfigError
from ..lottery import (interpolate, iterative_pruning, random_pruning, reinit_control, reset, signed_constant,
                       signs_control, supermask)
from ..network import MLP
from ..pruning import full_masks, percent_remaining
from ..train import History, train
from .store import atomic_write

SIZES = (784, 300, 100, 10)  # LeNet-300-100, as in all three papers
ALPHAS = np.linspace(0.0, 1.0, 11)  # points on the path between the two trainings (--points: e.g. 31 for a finer path)
CHANCE = 0.10  # ten classes

# What a ticket's random numbers are for; each gets its own stream of the root seed (``seed_of``).
PURPOSES = {"init": 0, "order": 1, "order_b": 2, "reinit": 3, "signs": 4, "random": 5}


def fast_trainer(net, data, config, seed=0, callback=None):
    """``engine.train_fused`` where it trains exactly what ``train.train`` would (``engine.supports``),
    ``train.train`` otherwise: the same contract, the default trainer here."""
    trainer = train_fused if supports(net, config)[0] else train
    return trainer(net, data, config, seed=seed, callback=callback)


def seed_of(root, trial, purpose, draw=0):
    """The seed of one purpose of one ticket (θ0, a minibatch order, a control's draw): independent streams."""
    return int(np.random.SeedSequence([root, trial, PURPOSES[purpose], draw]).generate_state(1)[0])


# ----------------------------------------------------------------------------
# The pieces: the path between two trainings, one row per network
# ----------------------------------------------------------------------------


def instability(net_a, net_b, x, y, alphas=ALPHAS):
    """Test errors (fractions) of ``interpolate(net_a, net_b, α)`` for each α; α = 0 is net_a, α = 1 net_b.
    The instability is ``path_instability`` of what this returns."""
    return [1.0 - net.evaluate(x, y)[1] for net in (interpolate(net_a, net_b, a) for a in alphas)]


def path_instability(errors):
    """Largest error along the path minus the mean of the two ends' errors (0 when the path has no bump)."""
    return float(max(errors) - (errors[0] + errors[-1]) / 2)


def row_of(kind, trial, level, net, history=None, **extra):
    """One network's row: what it is, how much of it is left, and how it trained (if it did)."""
    r = dict(kind=kind, trial=trial, level=level, percent_remaining=percent_remaining(net.masks),
             test_accuracy=np.nan, convergence_iteration=0, diverged=False)
    if history is not None:
        r.update(test_accuracy=float(history.test_accuracy), convergence_iteration=int(history.convergence_iteration),
                 diverged=bool(history.diverged))
    r.update(extra)
    return r


@dataclass
class Tickets:
    """One trial's tickets: θ0, and per level the masks, the trained ticket (``order`` minibatches) and its row."""
    trial: int
    theta0: MLP
    masks: dict    # level -> list of masks
    trained: dict  # level -> the trained ticket (an MLP), when it was trained here
    rows: list     # one "ticket" row per level


def data_digest(data):
    """A short hash of a data set: part of every training's key, so that other data never reuses a result."""
    h = hashlib.sha256()
    for a in (data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def network_digest(net):
    """A short hash of a network's weights, biases and masks: where a training starts from."""
    h = hashlib.sha256(str((net.sizes, str(net.dtype), net.loss_name)).encode())
    for a in list(net.weights) + list(net.biases) + list(net.masks):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


class Cache:
    """Finished trainings under ``out/trainings/``, one file each, named by the hash of what determines them.
    ``out=None`` keeps nothing (tests, notebooks)."""

    def __init__(self, out, data, config, trainer):
        self.dir = None if out is None else Path(out) / "trainings"
        self.trained = 0  # trainings made (not read back) by this cache: the progress line counts them
        self.base = dict(data=data_digest(data) if out is not None else None, config=asdict(config),
                         trainer=getattr(trainer, "__name__", repr(trainer)))

    def path(self, name, what):
        key = hashlib.sha256(json.dumps({**self.base, **what}, sort_keys=True, default=str).encode()).hexdigest()
        return self.dir / f"{name}-{key[:16]}"

    def trainer(self, trainer):
        """``trainer``, each of whose trainings is saved (trained weights, biases and History) under a name
        made from the network it starts from and the minibatch seed, and read back instead of trained again."""
        if self.dir is None:
            return trainer

        def saved(net, data, config, seed=0, callback=None):
            path = self.path("training", dict(start=network_digest(net), seed=int(seed))).with_suffix(".npz")
            if path.exists():
                with np.load(path) as z:
                    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
                        w[...], b[...] = z[f"w{i}"], z[f"b{i}"]  # in place, as a training leaves them
                    return History.from_dict(json.loads(str(z["history"])))
            start = time.time()
            history = trainer(net, data, config, seed=seed, callback=callback)
            self.trained += 1
            print(f"  trained {self.trained}: {percent_remaining(net.masks):.1f}% of the weights, "
                  f"{time.time() - start:.0f} s, converged at {history.convergence_iteration}, "
                  f"test accuracy {100 * history.test_accuracy:.2f}%", flush=True)  # a long run shows progress
            arrays = {f"{k}{i}": a for i, (w, b) in enumerate(zip(net.weights, net.biases)) for k, a in (("w", w), ("b", b))}
            self.dir.mkdir(parents=True, exist_ok=True)
            atomic_write(path, npz_bytes(dict(arrays, history=json.dumps(history.to_dict()))))
            return history
        return saved

    def rows(self, name, what, make):
        """The rows ``make()`` returns, read back if this training was saved, else made and saved."""
        if self.dir is None:
            return make()
        path = self.path(name, what).with_suffix(".json")
        if path.exists():
            return json.loads(path.read_text())
        rows = make()
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(rows, default=float).encode())
        return rows


def find_tickets(data, config, levels, trials=2, sizes=SIZES, seed=0, trainer=fast_trainer, out=None):
    """Iterative pruning (``lottery.iterative_pruning``, 20% per round) for each trial, up to round
    ``max(levels)``; keeps the masks, rows and trained tickets at ``levels`` (0 = the unpruned network);
    tickets read from ``out/tickets.npz`` come without their trained weights (``trained`` is empty).
    With ``out``, each round's training is saved as it ends (``Cache.trainer``): an interrupted search
    resumes at the round it was in, and a search with other levels reuses the rounds it shares. The masks
    and rows found are also kept in ``out/tickets.npz`` (``TicketFile``), so a folder without its
    trainings (a clone of a committed run) takes its tickets from there instead of searching again."""
    cache, found = Cache(out, data, config, trainer), []
    kept = TicketFile(out, dict(cache.base, sizes=list(sizes), seed=seed))
    if kept.other:
        print(f"  {kept.path} holds the tickets of another search (other settings): left as it is; this search's "
              f"tickets are kept in its trainings only", flush=True)
    for t in range(trials):
        theta0 = MLP.initialize(sizes, seed=seed_of(seed, t, "init"))
        tk = kept.tickets(t, theta0, levels)  # None unless the file holds this trial at every level
        if tk is None:
            found_levels = iterative_pruning(theta0, data, config, rounds=max(levels), seed=seed_of(seed, t, "order"),
                                             trainer=cache.trainer(trainer))
            nets = {lv: found_levels[lv].net for lv in levels}
            rows = [row_of("ticket", t, lv, found_levels[lv].net, found_levels[lv].history) for lv in sorted(levels)]
            tk = Tickets(t, theta0, {lv: nets[lv].masks for lv in levels}, nets, rows)
            kept.add(tk)
        found.append(tk)
    return found


class TicketFile:
    """``out/tickets.npz``: each ticket's masks (one bit per weight) and rows, per trial and level, with the key
    of the search that found them (format, data, settings, trainer, sizes, seed) and a digest of each trial's
    θ0. A later question, or the same one on a clone without ``out/trainings/``, starts from these instead of
    searching again. A file made by another search (another key) is neither used nor replaced: that search
    keeps its trainings, not its tickets, in this folder. Each write reads the file again and adds to it, so
    two runs into one folder lose an entry only when one writes between the other's read and write.
    ``out=None`` keeps nothing."""

    NAME, FORMAT = "tickets.npz", 1

    def __init__(self, out, key):
        self.path = None if out is None else Path(out) / self.NAME
        self.key = json.dumps(dict(key, format=self.FORMAT), sort_keys=True, default=str)
        self.layers, self.other = len(key["sizes"]) - 1, False  # other: the file holds another search's tickets
        self.masks, self.rows, self.starts = self.read()

    def read(self):
        """``(masks, rows, starts)`` from the file: packed masks and rows by (trial, level), θ0 digests by trial."""
        masks, rows, starts = {}, {}, {}
        if self.path is None or not self.path.exists():
            return masks, rows, starts
        with np.load(self.path) as z:
            if "key" not in z.files or str(z["key"]) != self.key:
                self.other = True
                return masks, rows, starts
            for r in json.loads(str(z["rows"])):
                t, lv = int(r["trial"]), int(r["level"])
                rows[t, lv] = r
                masks[t, lv] = [z[f"t{t}_l{lv}_m{i}"] for i in range(self.layers)]
            starts = {int(t): d for t, d in json.loads(str(z["starts"])).items()}
        return masks, rows, starts

    def tickets(self, trial, theta0, levels):
        """The Tickets of ``trial`` at ``levels`` from the file (masks unpacked to θ0's shapes and dtype; no
        trained weights), or None if any level is missing or θ0 is not the one the masks were found from."""
        if self.starts.get(trial) != network_digest(theta0) or any((trial, int(lv)) not in self.rows for lv in levels):
            return None
        masks = {lv: [np.unpackbits(p, count=w.size).reshape(w.shape).astype(w.dtype)
                      for p, w in zip(self.masks[trial, int(lv)], theta0.weights)] for lv in levels}
        return Tickets(trial, theta0, masks, {}, [self.rows[trial, int(lv)] for lv in sorted(levels)])

    def add(self, tk):
        """Add ``tk``'s masks, rows and θ0 digest to what the file holds now, and write it whole."""
        if self.path is None or self.other:
            return
        self.masks, self.rows, self.starts = self.read()
        if self.other:
            return
        t = int(tk.trial)
        self.starts[t] = network_digest(tk.theta0)
        for r in tk.rows:
            lv = int(r["level"])
            self.rows[t, lv] = dict(r, trial=t, level=lv)
            self.masks[t, lv] = [np.packbits(m.ravel() != 0) for m in tk.masks[r["level"]]]
        arrays = {f"t{t}_l{lv}_m{i}": p for (t, lv), ps in sorted(self.masks.items()) for i, p in enumerate(ps)}
        rows = [self.rows[k] for k in sorted(self.rows)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, npz_bytes(dict(arrays, key=self.key, rows=json.dumps(rows, default=float),
                                               starts=json.dumps(self.starts)), compressed=True))


def npz_bytes(arrays, compressed=False):
    """The bytes of an ``.npz`` file holding ``arrays`` (written whole by ``atomic_write``)."""
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def given_tickets(theta0, masks_by_level, trial=0):
    """Tickets whose masks are given (``{level: masks}``, e.g. from a ticket file); trained when needed."""
    return Tickets(trial, theta0, dict(masks_by_level), {}, [])


# ----------------------------------------------------------------------------
# The experiments: a plain loop over tickets, levels, kinds and draws
# ----------------------------------------------------------------------------


def start_of(kind, tk, level, seed=0, draw=0):
    """The untrained network of one kind, made from a ticket's mask at one level."""
    theta0, masks = tk.theta0, tk.masks[level]
    if kind == "ticket":
        return reset(theta0, masks)
    if kind == "reinit":
        return reinit_control(theta0, masks, seed_of(seed, tk.trial, "reinit", draw))
    if kind == "signs":
        return signs_control(theta0, masks, seed_of(seed, tk.trial, "signs", draw))
    if kind == "random":
        return random_pruning(theta0, masks, seed_of(seed, tk.trial, "random", draw))
    raise ConfigError(f"unknown kind {kind!r}; choose ticket, reinit, signs or random")


def unit_of(kind, tk, level, seed, draw):
    """What determines one training beyond the data, settings and trainer: a hashable dict."""
    h = hashlib.sha256()
    for a in list(tk.theta0.weights) + list(tk.theta0.biases) + list(tk.masks[level]):
        h.update(np.ascontiguousarray(a).tobytes())
    return dict(kind=kind, trial=tk.trial, level=level, seed=seed, draw=draw, start=h.hexdigest()[:16])


def ticket_rows(tickets, data, config, seed=0, trainer=fast_trainer, out=None):
    """The tickets' own rows: those ``find_tickets`` wrote, or trainings of given masks."""
    cache, rows = Cache(out, data, config, trainer), []
    for tk in tickets:
        if tk.rows:
            rows += tk.rows
            continue
        for level in sorted(tk.masks):
            rows += trained_rows(cache, "ticket", tk, level, data, config, seed, trainer, 0)
    return rows


def trained_rows(cache, kind, tk, level, data, config, seed, trainer, draw):
    """One network of ``kind`` from ticket ``tk``'s mask at ``level``, trained on the ticket's order: its row
    (in a list), read back if saved."""
    def make():
        net = start_of(kind, tk, level, seed, draw)
        return [row_of(kind, tk.trial, level, net, trainer(net, data, config, seed=seed_of(seed, tk.trial, "order")),
                       draw=draw)]
    return cache.rows(f"{kind}-t{tk.trial}-l{level:02d}-d{draw}", unit_of(kind, tk, level, seed, draw), make)


def trained_experiment(kinds, tickets, data, config, draws=1, seed=0, trainer=fast_trainer, out=None):
    """Rows of the tickets and of ``draws`` networks of each of ``kinds`` per ticket and level, each trained
    on the ticket's own minibatch order (so a control differs from its ticket only in where it starts)."""
    cache = Cache(out, data, config, trainer)
    rows = ticket_rows(tickets, data, config, seed, trainer, out)
    for tk in tickets:
        for level in sorted(tk.masks):
            for kind in kinds:
                for d in range(draws):
                    rows += trained_rows(cache, kind, tk, level, data, config, seed, trainer, d)
    return rows


def signs_experiment(tickets, data, config, draws=1, seed=0, trainer=fast_trainer, out=None):
    """Tickets, signs-only (θ0's signs, fresh magnitudes) and control 1 (fresh weights), all trained."""
    return trained_experiment(("signs", "reinit"), tickets, data, config, draws, seed, trainer, out)


def random_pruning_experiment(tickets, data, config, draws=1, seed=0, trainer=fast_trainer, out=None):
    """Tickets and random pruning (a random mask of the same per-layer counts, θ0 where it stands), trained."""
    return trained_experiment(("random",), tickets, data, config, draws, seed, trainer, out)


def stability_experiment(tickets, data, config, kinds=("ticket", "reinit", "random"), alphas=ALPHAS, draws=1, seed=0,
                         trainer=fast_trainer, out=None):
    """For each ticket, level and kind: train two copies of one start on two minibatch orders, and
    measure the test error along the line between them. Each row carries the errors along the line, the
    instability, and both copies' test accuracies (``test_accuracy_a``: copy A, the ticket's own order;
    ``test_accuracy``: copy B). A ticket's copy A is the one ``find_tickets`` trained, when it did."""
    cache, rows = Cache(out, data, config, trainer), []
    alphas = [float(a) for a in alphas]
    for tk in tickets:
        for level in sorted(tk.masks):
            for kind in kinds:
                for d in range(draws if kind != "ticket" else 1):
                    def make():
                        start = start_of(kind, tk, level, seed, d)
                        net_a = tk.trained.get(level) if kind == "ticket" else None
                        if net_a is None:  # a ticket's copy A is the search's own training: read back if saved
                            net_a, train_a = start.copy(), cache.trainer(trainer) if kind == "ticket" else trainer
                            acc_a = train_a(net_a, data, config, seed=seed_of(seed, tk.trial, "order")).test_accuracy
                        else:  # found by find_tickets, on the same order
                            acc_a = next(r["test_accuracy"] for r in tk.rows if r["level"] == level)
                        net_b = start.copy()
                        h_b = trainer(net_b, data, config, seed=seed_of(seed, tk.trial, "order_b"))
                        errors = instability(net_a, net_b, data.x_test, data.y_test, alphas)
                        return [row_of(kind, tk.trial, level, net_b, h_b, draw=d, test_accuracy_a=float(acc_a),
                                       instability=path_instability(errors), alphas=alphas, errors=errors)]
                    what = dict(unit_of(kind, tk, level, seed, d), alphas=alphas, experiment="stability")
                    rows += cache.rows(f"stability-{kind}-t{tk.trial}-l{level:02d}-d{d}", what, make)
    return rows


def supermask_experiment(tickets, data, config, seed=0, trainer=fast_trainer, out=None):
    """For each ticket and pruned level: the supermask ("large final, same sign", read from the trained
    unpruned network, the ticket's per-layer counts) on untrained θ0 and on its signed constant (θ0's signs,
    one magnitude per layer), and the ticket's own mask on untrained θ0 — all evaluated with no training;
    and the trained tickets beside them."""
    cache, rows = Cache(out, data, config, trainer), ticket_rows(tickets, data, config, seed, trainer, out)
    for tk in tickets:
        trained = tk.trained.get(0)
        if trained is None:  # masks were given: the unpruned network on the ticket's order (the search's round 0)
            trained = reset(tk.theta0, full_masks(tk.theta0.weights))
            cache.trainer(trainer)(trained, data, config, seed=seed_of(seed, tk.trial, "order"))
        for level in sorted(tk.masks):
            if percent_remaining(tk.masks[level]) >= 100:
                continue
            chosen = supermask(tk.theta0, trained, tk.masks[level])
            for kind, net in (("supermask", reset(tk.theta0, chosen)),
                              ("supermask_signed", signed_constant(tk.theta0, chosen)),
                              ("ticket_untrained", reset(tk.theta0, tk.masks[level]))):
                rows.append(row_of(kind, tk.trial, level, net, test_accuracy=net.evaluate(data.x_test, data.y_test)[1]))
    return rows
