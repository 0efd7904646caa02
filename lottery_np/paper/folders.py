"""Experiment folders: open one, grow it, read its trainings wherever they are kept, write its summary.

An experiment folder holds ``config.json`` (its settings, and where its store is), ``summary.csv`` (one
row per finished training, rewritten as they finish), and ``summary.md`` and the figures once every
training is done. A folder made with settings that would change its numbers is refused (``grown``);
one asked for more trials, control draws, rounds or one-shot levels grows, and only the new trainings run.

A folder reads its trainings from its store (``store.Store``); a *compact* folder (``compact.compact``)
also keeps what its figures, section 5 and later rounds need — the curves the figures draw and the
tickets' masks — so that it can be read, redrawn and grown without its store, e.g. from a clone; and a
training that a compact folder beside this one keeps is lent, not trained again (``ResultsFolder.beside``).
"""
import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from ..errors import LotteryError, ResultsError
from .experiments import FORMAT, Unit, plan, unit_key
from .settings import ExperimentConfig
from .store import STORE_NAME, Store, atomic_write, find_store
from .sweeps import Variant

SUMMARY_COLUMNS = ("experiment", "kind", "trial", "draw", "level", "percent_remaining",
                   "convergence_iteration", "test_accuracy", "min_val_loss", "diverged")
KIND_ORDER = {"ticket": 0, "reinit": 1, "shuffle": 2}
CURVES_FILE, TICKETS_FILE = "curves.json", "tickets.npz"  # what a compact folder keeps itself
RECHECKS_FILE = "rechecks.json"  # `lottery-np recheck --record`: trainings made again elsewhere, for the report


# Settings that change no number: a folder takes the new value. Settings that only add trainings: a folder
# grows. Every other setting of ExperimentConfig must match the folder's (see ``grown``).
NO_NUMBERS = ("record_test_curve", "backend", "keep_weights")
ONLY_ONESHOT, ONLY_ITERATIVE = ("fractions",), ("rounds", "rate", "output_rate")


def grown(stored, wanted, path):
    """The config of a folder made with ``stored`` and now asked for ``wanted``: more trials, control
    draws, kinds or levels, rounds or one-shot levels grow it (fewer keep what it holds); a setting that would
    change its finished numbers raises ResultsError naming it."""
    merged, diffs = stored.to_dict(), []
    new = wanted.to_dict()
    for name, have in stored.to_dict().items():
        want = new[name]
        ignored = ONLY_ITERATIVE if stored.experiment == "oneshot" else ONLY_ONESHOT
        if name in NO_NUMBERS:
            merged[name] = want
        elif name in ("trials", "controls", "rounds") and name not in ignored:
            merged[name] = max(have, want)
        elif name == "control_kinds":
            merged[name] = [k for k in ("reinit", "shuffle") if k in have or k in want]
        elif name == "control_levels":  # None: every level
            merged[name] = None if have is None or want is None else sorted(set(have) | set(want))
        elif name == "fractions" and stored.experiment == "oneshot":
            longer, shorter = (want, have) if len(want) >= len(have) else (have, want)
            if longer[:len(shorter)] != shorter:
                pct = lambda fs: " ".join(f"{100 * f:g}" for f in fs)  # noqa: E731
                diffs.append(f"fractions (--levels): {pct(have)} there, {pct(want)} now; new levels go after the folder's, "
                             f"in the same order, as the draws of each level's controls follow its place")
            merged[name] = longer
        elif name not in ignored and have != want:
            diffs.append(f"{name}: {have!r} there, {want!r} now")
    if diffs:
        raise ResultsError(f"{path} holds results of a different configuration ({'; '.join(diffs)}), which would "
                           f"change its finished numbers. Nothing was changed. Use another --out folder, or the same "
                           f"settings to resume it (more --trials, --controls, --rounds or --levels grow it).")
    return ExperimentConfig.from_dict(merged)


class ResultsFolder:
    """One experiment's folder: its config, the store of its trainings, its summary."""

    def __init__(self, path, config, store=None):
        self.path, self.config = Path(path), config
        self.store = Store(store) if isinstance(store, (str, os.PathLike)) else store
        self.compact = False
        self.root = self.store.path.parent if self.store is not None else self.path.parent  # where its store is, or was
        self._kept = self._beside = self._offers = None

    def open(self, create=True):
        """Create the folder, or check that an existing one can hold this config (growing it if asked
        for more trainings). With ``create=False`` only check: raise what opening would raise, write nothing."""
        cfg_file = self.path / "config.json"
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"{self.path} is a file, not a folder. Choose another --out folder.")
        if cfg_file.exists():
            stored, store, self.compact, self.root = read_config(self.path)
            self.config = grown(stored, self.config, self.path)
            self.store = store if store is not None else self.store or find_store(self.path)
        elif self.path.exists() and any(self.path.iterdir()):
            raise ResultsError(f"{self.path} is not empty and has no config.json, so it is not a results "
                               f"folder of lottery_np. Choose another --out folder.")
        else:
            self.store = self.store or find_store(self.path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
            self.store.create()
            self.write_config()
        return self

    def write_config(self):
        rel = Path(os.path.relpath(os.path.abspath(self.store.path), os.path.abspath(self.path))).as_posix()
        text = {"format": FORMAT, STORE_NAME: rel, **({"compact": True} if self.compact else {}),
                **self.config.to_dict()}
        atomic_write(self.path / "config.json", json.dumps(text, indent=2).encode())

    # --- the finished trainings of this experiment

    def key(self, unit):
        return unit_key(self.config, unit)

    def kept(self):
        """What a compact folder keeps itself: ``({unit id: summary row}, curves, tickets file)``."""
        if self._kept is None:
            rows, curves, self._masked = {}, {}, set()
            if self.compact and (self.path / "summary.csv").exists():
                for r in read_summary(self.path):
                    rows[unit_of(r).id] = r
            if self.compact and (self.path / CURVES_FILE).exists():
                curves = json.loads((self.path / CURVES_FILE).read_text())
            if self.compact and (self.path / TICKETS_FILE).exists():
                with np.load(self.path / TICKETS_FILE, allow_pickle=False) as f:
                    self._masked = {k.split("__", 1)[0] for k in f.files if "__mask_" in k}
            self._kept = rows, curves, self.path / TICKETS_FILE
        return self._kept

    def holds_masks(self, unit):
        """Whether this compact folder keeps ``unit``'s masks in its own tickets file."""
        self.kept()
        return unit.id in self._masked

    def beside(self):
        """The trainings that compact folders beside this one keep themselves, by key: ``{key: (folder, unit)}``.
        Another experiment of the same root (a plan's folder) that ran the same training and was committed
        compact, without its store, lends it instead of it being trained again."""
        if self._beside is None:
            offers = kept_beside(self.root, self.path)
            keys = {self.key(u) for u in plan(self.config)}
            self._offers = {key: offer for key, offer in offers.items() if key in keys}
            lends = {}  # a training two folders keep (an unpruned network) comes from one that keeps its masks,
            for offer in self._offers.values():  # then from the one that lends the most here, so that a
                for other, _ in offer:  # variant's rows come from one run where they can
                    lends[other.path] = lends.get(other.path, 0) + 1
            self._beside = {key: max(offer, key=lambda o: (o[0].holds_masks(o[1]), lends[o[0].path]))
                            for key, offer in self._offers.items()}
        return self._beside

    def lent(self, unit):
        """Whether ``unit`` is done only because a compact folder beside this one lends it: its record and
        masks are at hand, its weights are not (a training that prunes or starts from them retrains it)."""
        return (not (self.store is not None and self.store.has(self.key(unit))) and unit.id not in self.kept()[0]
                and self.key(unit) in self.beside())

    def done(self, unit):
        return ((self.store is not None and self.store.has(self.key(unit))) or unit.id in self.kept()[0]
                or self.key(unit) in self.beside())

    def view(self, record, unit):
        """A stored training's record as this experiment names it."""
        return {**record, "id": unit.id, "experiment": self.config.experiment, "kind": unit.kind,
                "trial": unit.trial, "draw": unit.draw, "level": unit.level}

    def load(self, unit, arrays=False):
        """A finished training's record as this experiment names it (and its arrays if asked)."""
        if self.store is not None and self.store.has(self.key(unit)):
            record, out = self.store.load(self.key(unit), arrays=True) if arrays else (self.store.load(self.key(unit)), None)
            return (self.view(record, unit), out) if arrays else self.view(record, unit)
        rows, curves, tickets = self.kept()
        if unit.id not in rows and self.key(unit) in self.beside():
            other, as_there = self.beside()[self.key(unit)]
            found = other.load(as_there, arrays)
            return (self.view(found[0], unit), found[1]) if arrays else self.view(found, unit)
        if unit.id not in rows:
            raise ResultsError(f"{self.path} has no finished training {unit.id}")
        record = {**rows[unit.id], "id": unit.id, **({"history": curves[unit.id]} if unit.id in curves else {})}
        if not arrays:
            return record
        out = {}
        if tickets.exists():
            with np.load(tickets, allow_pickle=False) as f:
                out = {k.split("__", 1)[1]: f[k] for k in f.files if k.startswith(unit.id + "__")}
                iterative_ticket = unit.kind == "ticket" and self.config.experiment == "iterative"
                if iterative_ticket and not any(k.startswith("next_mask_") for k in out):
                    after = Unit(unit.level + 1, "ticket", unit.trial).id + "__mask_"  # a round passes on the
                    out.update({"next_" + k.split("__", 1)[1]: f[k] for k in f.files if k.startswith(after)})  # next's
        if not any(k.startswith("mask_") for k in out):  # one it was lent: the masks are where they were made
            self.beside()
            lender = next(((o, v) for o, v in self._offers.get(self.key(unit), []) if o.holds_masks(v)), None)
            if lender is not None:
                out = {**lender[0].load(lender[1], arrays=True)[1], **out}
        return record, out

    def records(self):
        return [self.load(u) for u in plan(self.config) if self.done(u)]

    def write_summary(self, records=None):
        records = self.records() if records is None else records
        atomic_write(self.path / "summary.csv", summary_csv(records).encode())


def kept_beside(root, but):
    """``{key: [(folder, unit)]}`` of every training kept by a compact folder in ``root`` or one level below
    (``root/mnist-iterative``, ``root/sweep-rate/rate-0.2``), except the folder ``but``."""
    found = {}  # key: [(folder, unit)], every folder that keeps it
    root, but = Path(root), os.path.abspath(but)
    for cfg in sorted([*root.glob("*/config.json"), *root.glob("*/*/config.json")]):
        if os.path.abspath(cfg.parent) == but:
            continue
        try:
            other = open_existing(cfg.parent)
            rows = other.kept()[0] if other.compact else {}
        except (LotteryError, OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a folder this lottery_np reads (another version's, or damaged): it lends nothing
        if other.compact:
            for u in plan(other.config):
                if u.id in rows:
                    found.setdefault(other.key(u), []).append((other, u))
    return found


def unit_of(row):
    return Unit(row["level"], row["kind"], row["trial"], row["draw"])


def read_config(path):
    """``(config, store or None, compact, root)`` of an experiment folder, as its config.json says; the
    root is the folder its store is in (or was, for a compact folder away from it)."""
    cfg_file = Path(path) / "config.json"
    try:
        stored = json.loads(cfg_file.read_text())
    except (OSError, ValueError) as e:
        raise ResultsError(f"{cfg_file} is unreadable ({e}). Use another --out folder, or delete "
                           f"the folder to start this experiment afresh.") from None
    fmt = stored.pop("format", None)
    if fmt != FORMAT:
        raise ResultsError(f"{path} was made by an earlier lottery_np (results format {fmt}, now {FORMAT}: "
                           f"trainings are now kept in a store shared by the experiments of a root). Its files "
                           f"are left as they are; the 'lottery-np compact {path}' of lottery_np at commit 55f4585 "
                           f"or earlier converts it.")
    where = stored.pop(STORE_NAME, None)
    compact = bool(stored.pop("compact", False))
    store = Store(os.path.normpath(Path(path) / where)) if where else None
    root = store.path.parent if store is not None else Path(path).parent
    if store is not None and compact and not store.exists():
        store = None  # a compact folder away from its store (a clone): it reads what it keeps itself
    return ExperimentConfig.from_dict(stored), store, compact, root


def open_existing(path):
    """A finished (or partly finished) results folder, with the config stored in it."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise ResultsError(f"{path} is not a readable results folder (no config.json); run an experiment into it first.")
    config, store, compact, root = read_config(path)
    folder = ResultsFolder(path, config, store)
    folder.compact, folder.root = compact, root
    return folder


def summary_rows(records):
    rows = [{k: r[k] for k in SUMMARY_COLUMNS} for r in records]
    return sorted(rows, key=lambda r: (r["level"], KIND_ORDER[r["kind"]], r["trial"], r["draw"]))


def sweep_variant(folder):
    """A sweep's experiment, ``folder``, as the sweep's table, figure and verdicts read it (``sweeps.Variant``):
    the folder's name, its config, its summary rows."""
    return Variant(folder.path.name, folder.config, summary_rows(folder.records()))


def summary_csv(records):
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in summary_rows(records):
        w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


def read_summary(path):
    """summary.csv as a list of dicts with numbers (missing values become NaN)."""
    path = Path(path)
    if path.is_dir():
        path = path / "summary.csv"
    if not path.exists():
        raise ResultsError(f"{path} does not exist: run the experiment first (lottery-np mnist ...)")
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.append({"experiment": r["experiment"], "kind": r["kind"], "trial": int(r["trial"]),
                         "draw": int(r["draw"]), "level": int(r["level"]),
                         "percent_remaining": float(r["percent_remaining"]),
                         "convergence_iteration": int(r["convergence_iteration"]),
                         "test_accuracy": float(r["test_accuracy"] or "nan"),
                         "min_val_loss": float(r["min_val_loss"] or "nan"),
                         "diverged": r["diverged"] == "True"})
    return rows
