"""Run experiments: in parallel, resumably, into results folders a reader can open.

Two kinds of folder:

* A **store** of trainings, ``trainings/`` at the root of a tree of results:
  one file per finished training, ``<key>.npz``, named by the hash of what
  determines its numbers (``experiments.unit_key``) and holding its record (as
  JSON text under the key ``record``) and its arrays (masks; the unpruned
  network's trained weights). Every experiment under the root finds the
  trainings of the others there, so a training shared by two experiments — the
  unpruned network of one-shot and iterative pruning, a sweep's variant that is
  the main experiment again — is trained once. A file appears only when its
  training is finished — it is written under a temporary name and renamed,
  which the file system does in one step — so an interruption (Ctrl-C,
  ``kill -9``, power loss, a full disk) leaves whole trainings or none, and the
  same command again trains only the missing ones.
* An **experiment folder**: ``config.json`` (its settings, and where its store
  is), ``summary.csv`` (one row per finished training, rewritten as they
  finish), and ``summary.md`` and the figures (PNG) once every training is done.
  A folder made with settings that would change its numbers is refused; one
  asked for more trials, control draws, rounds or one-shot levels grows, and
  only the new trainings run.

A *compact* folder (``compact``) also keeps what its figures, section 5 and
later rounds need — the curves the figures draw and the tickets' masks — so
that it can be read, redrawn and grown without its store, e.g. from a clone.

Trainings run in worker processes (``jobs`` of them; each single-threaded so that
two jobs use two cores well) or on any ``concurrent.futures`` executor, e.g. a
Dask cluster's. Each is a pure function of its settings and the arrays of the
tickets it depends on, so the results do not depend on the number of jobs, the
order in which trainings finish, where they ran, or which experiment asked first.
"""
import concurrent.futures as cf
import contextlib
import csv
import io
import json
import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np

from ..errors import LotteryError, ResultsError
from .experiments import (FORMAT, ExperimentConfig, Unit, inputs_for, mnist_for, plan, weights_from, records_curve,
                          run_unit, sources, unit_key)

SUMMARY_COLUMNS = ("experiment", "kind", "trial", "draw", "level", "percent_remaining",
                   "convergence_iteration", "test_accuracy", "min_val_loss", "diverged")
KIND_ORDER = {"ticket": 0, "reinit": 1, "shuffle": 2}
SINGLE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
STORE_NAME = "trainings"
CURVES_FILE, TICKETS_FILE = "curves.json", "tickets.npz"  # what a compact folder keeps itself


# ----------------------------------------------------------------------------
# Writing files whole or not at all
# ----------------------------------------------------------------------------


def _atomic_write(path, data):
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.
    If the write fails (a full disk, a folder made read-only), the temporary file is removed."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError) and e.filename in (None, str(tmp)):
            e.filename = str(path)  # name the file the user knows, not the temporary one
        raise


def _remove_stale_temporaries(folder):
    """Half-written files (``.<name>.<pid>.tmp``) of interrupted runs whose process is gone; those of
    another run still writing to the same store are left alone."""
    for stale in Path(folder).glob(".*.tmp"):
        try:
            pid = int(stale.name.rsplit(".", 2)[-2])
        except ValueError:
            pid = None
        if pid is not None and pid != os.getpid():
            try:
                os.kill(pid, 0)
                continue  # that run is still going
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        with contextlib.suppress(OSError):
            stale.unlink()


def write_failed(e, saved=None):
    """One line for a write that failed: the path, why, and what to do."""
    where = e.filename or "a results file"
    kept = f" The {saved} finished training(s) are kept," if saved is not None else ""
    return (f"cannot write {where}: {e.strerror or e}.{kept} Free some space or make the folder writable "
            f"(or choose another --out folder), then run the same command again: it resumes.")


# ----------------------------------------------------------------------------
# The store of trainings
# ----------------------------------------------------------------------------


class Store:
    """Finished trainings, one file each, named by key, shared by every experiment under one root."""

    MARK = "store.json"

    def __init__(self, path):
        self.path = Path(path)

    def __repr__(self):
        return f"Store({str(self.path)!r})"

    def exists(self):
        return (self.path / self.MARK).is_file()

    def create(self):
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            text = {"format": FORMAT, "what": "finished trainings of lottery_np, one file each, named by the hash of "
                                              "the settings that determine its numbers (lottery_np.paper.experiments."
                                              "identity); shared by every experiment folder under this one's parent"}
            _atomic_write(self.path / self.MARK, json.dumps(text, indent=2).encode())
        _remove_stale_temporaries(self.path)
        return self

    def file(self, key):
        return self.path / f"{key}.npz"

    def has(self, key):
        return self.file(key).exists()

    def count(self):
        return sum(1 for _ in self.path.glob("*.npz")) if self.path.is_dir() else 0

    def save(self, key, record, arrays):
        buf = io.BytesIO()
        np.savez_compressed(buf, record=np.array(json.dumps(record)), **arrays)
        _atomic_write(self.file(key), buf.getvalue())

    def load(self, key, arrays=False):
        """A finished training's record (and its arrays if asked)."""
        path = self.file(key)
        try:
            with np.load(path, allow_pickle=False) as f:
                record = json.loads(str(f["record"]))
                out = {k: f[k] for k in f.files if k != "record"} if arrays else None
        except Exception as e:  # a damaged file: say which, and how to redo just that training
            raise ResultsError(f"{path} is damaged ({type(e).__name__}: {e}). Delete that file and run "
                               f"the same command again to redo that one training.") from None
        return (record, out) if arrays else record


def find_store(folder):
    """The store of a new experiment folder: ``trainings/`` beside it (in its parent), so that experiments
    made side by side — ``results/mnist-oneshot``, ``results/mnist-iterative`` — share ``results/trainings``
    (a sweep passes the store beside its folder of variants; a plan, the one in its folder). Only the
    parent is looked at, so that a store made higher up never captures folders made below it."""
    return Store(Path(os.path.abspath(folder)).parent / STORE_NAME)


# ----------------------------------------------------------------------------
# An experiment folder
# ----------------------------------------------------------------------------


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
            stored, store, self.compact, self.root = _read_config(self.path)
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
        _atomic_write(self.path / "config.json", json.dumps(text, indent=2).encode())

    # --- the finished trainings of this experiment

    def key(self, unit):
        return unit_key(self.config, unit)

    def kept(self):
        """What a compact folder keeps itself: ``({unit id: summary row}, curves, tickets file)``."""
        if self._kept is None:
            rows, curves, self._masked = {}, {}, set()
            if self.compact and (self.path / "summary.csv").exists():
                for r in read_summary(self.path):
                    rows[_unit_of(r).id] = r
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
        _atomic_write(self.path / "summary.csv", summary_csv(records).encode())


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


def _unit_of(row):
    return Unit(row["level"], row["kind"], row["trial"], row["draw"])


def _read_config(path):
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
                           f"are left as they are; 'lottery-np compact {path}' converts it.")
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
    config, store, compact, root = _read_config(path)
    folder = ResultsFolder(path, config, store)
    folder.compact, folder.root = compact, root
    return folder


def summary_rows(records):
    rows = [{k: r[k] for k in SUMMARY_COLUMNS} for r in records]
    return sorted(rows, key=lambda r: (r["level"], KIND_ORDER[r["kind"]], r["trial"], r["draw"]))


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


# ----------------------------------------------------------------------------
# The distinct trainings of a run
# ----------------------------------------------------------------------------


class Training:
    """One distinct training of a run, and every (folder, unit) of the run that is it."""

    def __init__(self, store, key):
        self.store, self.key, self.wanted_by = store, key, []

    @property
    def config(self):
        return self.wanted_by[0][0].config

    @property
    def unit(self):
        return self.wanted_by[0][1]

    def curve(self):  # any experiment that draws its curve gets it
        return any(records_curve(f.config, u) for f, u in self.wanted_by)

    def keep_weights(self):
        return any(f.config.keep_weights for f, _ in self.wanted_by)


def trainings(folders):
    """The distinct trainings of the experiments in ``folders``, in plan order, as ``[Training]``."""
    by_key = {}
    for f in folders:
        for u in plan(f.config):
            k = (str(f.store.path), f.key(u))
            by_key.setdefault(k, Training(f.store, k[1])).wanted_by.append((f, u))
    return list(by_key.values())


class Survey:
    """What a run would do: ``todo`` (the Trainings to run), how many are done, into which stores."""

    def __init__(self, folders):
        self.folders = folders
        self.all = trainings(folders)
        todo = {id(t) for t in self.all if not all(f.done(u) for f, u in t.wanted_by)}
        by_key = {(str(t.store.path), t.key): t for t in self.all}
        stack = [t for t in self.all if id(t) in todo]  # a lent training whose weights one to run needs is retrained,
        while stack:  # and so on down the chain (no reset: each round starts from the last one's weights)
            f, u = stack.pop().wanted_by[0]
            for s in weights_from(f.config, u):
                t = by_key[str(f.store.path), f.key(s)]
                if f.lent(s) and id(t) not in todo:
                    todo.add(id(t))
                    stack.append(t)
        self.todo = [t for t in self.all if id(t) in todo]
        self.done = len(self.all) - len(self.todo)
        self.stores = sorted({str(f.store.path) for f in folders if f.store is not None})

    def rough_seconds(self, jobs):
        return sum(rough_seconds(t.config, t.unit) for t in self.todo) / max(1, jobs)

    def line(self, what, jobs, seconds=None):
        """The one line printed before training: how many, how many done, where, how long."""
        seconds = self.rough_seconds(jobs) if seconds is None else seconds
        stores = ", ".join(self.stores) or "its own folder"
        if not self.todo:
            return f"{what}: all {len(self.all)} trainings already done (kept in {stores}); redrawing the outputs"
        return (f"{what}: {len(self.todo)} trainings to run ({self.done} of {len(self.all)} already done), kept in "
                f"{stores}; about {duration(seconds)} with {jobs} job(s)")


def survey(experiments, store=None):
    """The Survey of ``[(folder, ExperimentConfig)]``, writing nothing (folders are checked as ``run`` would)."""
    return Survey([ResultsFolder(path, config, store).open(create=False) for path, config in experiments])


# Seconds per training of LeNet-300-100 at 50,000 iterations in the committed paper-scale run (two jobs on
# the 2-core reference machine; README, Performance), by the fraction of weights left: what `rough_seconds`
# scales. `lottery-np reproduce --estimate` measures this machine instead.
REFERENCE_SECONDS = ((0.17, 103.0), (0.10, 78.0), (0.0, 45.0))
REFERENCE_WEIGHTS, REFERENCE_ITERATIONS = 784 * 300 + 300 * 100 + 100 * 10, 50000


def rough_seconds(config, unit):
    """About how long one training takes, from the reference run's times: scaled by iterations and by
    the number of weights (never below a twentieth: evaluation and bookkeeping remain)."""
    from .plans import level_fractions
    n = [a * b for a, b in zip(config.sizes, config.sizes[1:])]
    left = sum(f * w for f, w in zip(level_fractions(config, unit.level), n)) / sum(n)
    per = next(s for lo, s in REFERENCE_SECONDS if left >= lo)
    return per * config.iterations / REFERENCE_ITERATIONS * max(sum(n) / REFERENCE_WEIGHTS, 0.05)


def duration(seconds):
    if seconds < 60:
        return "under a minute" if seconds >= 1 else "a few seconds"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------
# Running units
# ----------------------------------------------------------------------------


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run, with what is saved and how to go on."""

    def __init__(self, saved, total, this_run, stores):
        where = ", ".join(stores) or "the store"
        super().__init__(f"interrupted: {saved} of {total} trainings are saved in {where} ({this_run} in this run); "
                         f"run the same command again to resume")


def _work(config_dict, unit_fields, inputs, data_dir, curve, keep_weights):
    """What a worker runs: one unit, from plain picklable arguments."""
    config = ExperimentConfig.from_dict(config_dict)
    return run_unit(config, Unit(*unit_fields), inputs, data_dir=data_dir, curve=curve, keep_weights=keep_weights)


def _ignore_ctrl_c():  # workers leave Ctrl-C to the runner, which stops them and says what is saved
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def local_executor(jobs):
    """``jobs`` fresh worker processes, each with single-threaded BLAS and Numba."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD}
    os.environ.update(SINGLE_THREAD)  # inherited by the workers at start-up
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_ignore_ctrl_c)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for p in list((getattr(pool, "_processes", None) or {}).values()):  # don't leave trainings running behind us
            p.terminate()
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def describe(record):
    acc = record["test_accuracy"]
    acc = "diverged" if record["diverged"] else f"acc {100 * acc:.2f}%" if acc is not None else "acc n/a"
    return (f"{record['kind']} t{record['trial']} {record['percent_remaining']:.1f}%: "
            f"it {record['convergence_iteration']} {acc}")


def run(experiments, jobs=1, executor=None, data_dir=None, progress=True, on_finish=None, store=None, announce=None):
    """Run every missing training of every ``(folder, ExperimentConfig)`` in ``experiments``, each
    distinct training once however many experiments share it.

    jobs : worker processes (ignored when ``executor`` is given).
    executor : any ``concurrent.futures.Executor`` (e.g. a Dask client's ``get_executor()``).
    store : where new folders keep their trainings (default: ``find_store``; a folder made before keeps its own).
    on_finish : optional ``f(folder)`` called when one experiment has all its units.
    announce : optional ``f(survey)`` called before anything is written (the CLI prints its line).
    Returns the ResultsFolders. Finished trainings are on disk whatever happens; Ctrl-C raises
    ``Interrupted``, a failed write ``ResultsError``, each saying what is saved and how to resume.
    """
    # Nothing is written before everything is known to be good: every folder checked, MNIST loaded.
    plan_ = survey(experiments, store)
    for f in plan_.folders:
        mnist_for(f.config, data_dir)
    if announce is not None:
        announce(plan_)
    saved = 0
    try:
        folders = [f.open() for f in plan_.folders]
        records = [f.records() for f in folders]
        for i, f in enumerate(folders):
            f.write_summary(records[i])
            if len(records[i]) == len(plan(f.config)) and on_finish:
                on_finish(f)
    except OSError as e:
        raise ResultsError(write_failed(e)) from None
    bar = _progress_bar(len(plan_.all), plan_.done, progress)
    if not plan_.todo:
        bar.close()
        return folders

    def ready(t):
        f, u = t.wanted_by[0]
        return (all(f.done(s) for s in sources(f.config, u))
                and not any(f.lent(s) for s in weights_from(f.config, u)))

    def submit(pool, t):
        f, u = t.wanted_by[0]
        inputs = inputs_for(f.config, u, lambda s: f.load(s, arrays=True)[1])
        args = (f.config.to_dict(), (u.level, u.kind, u.trial, u.draw), inputs, data_dir, t.curve(), t.keep_weights())
        return pool.submit(_work, *args)

    def finished(t, record, arrays):
        lacking = [(f, u) for f, u in t.wanted_by if not f.done(u) or f.lent(u)]  # a lent one: this run's record
        t.store.save(t.key, record, arrays)
        for f, u in lacking:
            i = index[id(f)]
            records[i] = [r for r in records[i] if r["id"] != u.id] + [f.view(record, u)]
        for f in {id(f): f for f, _ in lacking}.values():
            i = index[id(f)]
            f.write_summary(records[i])
            if len(records[i]) == len(plan(f.config)) and on_finish:
                on_finish(f)

    index = {id(f): i for i, f in enumerate(folders)}
    pending = sorted(plan_.todo, key=lambda t: (t.unit.kind != "ticket", t.unit.level, t.unit.trial,
                                                index[id(t.wanted_by[0][0])], t.unit))
    running = {}
    width = jobs if executor is None else max(jobs, 1)
    ctx = contextlib.nullcontext(executor) if executor is not None else local_executor(jobs)
    try:
        with ctx as pool:
            while pending or running:
                for t in [t for t in pending if ready(t)][: max(0, 2 * width - len(running))]:
                    pending.remove(t)
                    running[submit(pool, t)] = t
                if not running:
                    raise ResultsError("no training can start: the tickets they need are missing (internal error)")
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    t = running.pop(fut)
                    record, arrays = fut.result()
                    finished(t, record, arrays)
                    saved += 1
                    bar.update(1)
                    bar.set_postfix_str(describe(record), refresh=True)
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(plan_.done + saved, len(plan_.all), saved, plan_.stores) from None
    except OSError as e:
        raise ResultsError(write_failed(e, plan_.done + saved)) from None
    finally:
        bar.close()
    return folders


# ----------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------


def curve_levels(records):
    """The levels the training-curve figure draws: about four, among those whose first ticket
    recorded its whole test curve (the figure reads nothing else); None if none did."""
    from .plots import pick_levels
    full = {r["level"] for r in records if r["kind"] == "ticket" and r["trial"] == 0 and "history" in r
            and r["history"]["test_acc"] and all(v is not None for v in r["history"]["test_acc"])}
    return pick_levels(full) if full else None


def write_outputs(folder):
    """Once an experiment is complete: ``summary.md`` and its figures (the training curves only if the
    experiment records test curves and the folder holds them: a compact folder without curves keeps
    the figure it has)."""
    from . import plots
    cfg, records = folder.config, folder.records()
    rows = summary_rows(records)
    name = {"oneshot": "one-shot pruning (section 3)", "iterative": "iterative pruning (section 4)"}[cfg.experiment]
    title = f"LeNet {'-'.join(map(str, cfg.sizes))}, {name}, {cfg.trials} trial(s), {cfg.iterations} iterations"
    plots.plot_levels(rows, folder.path / "convergence_accuracy.png", title=title,
                      log_x=cfg.experiment == "iterative")
    drawn = ["summary.md", "convergence_accuracy.png"]
    levels = curve_levels(records)
    if cfg.record_test_curve and (levels is not None or any("history" in r for r in records)):
        plots.plot_curves([r for r in records if "history" in r], levels=levels, path=folder.path / "training_curves.png")
        drawn.append("training_curves.png")
    text = (f"# {title}\n\nMean over trials (and control draws), min–max in brackets. "
            f"Convergence iteration = iteration of minimum validation loss; test accuracy at that iteration.\n\n"
            f"{plots.level_table(rows)}\n\n![convergence and accuracy](convergence_accuracy.png)\n"
            + ("\n![training curves](training_curves.png)\n" if cfg.record_test_curve else ""))
    _atomic_write(folder.path / "summary.md", text.encode())
    return drawn


def plot_folders(paths, out=None):
    """Redraw each folder's figures and table; given two or more folders, draw their tickets on one figure."""
    from . import plots
    folders = [open_existing(p) for p in paths]
    for f in folders:  # every folder checked before any is written to
        if not f.records():
            raise ResultsError(f"{f.path} has no finished trainings yet")
    lines = []
    for f in folders:
        drawn = write_outputs(f)
        kept = "" if "training_curves.png" in drawn else " (it keeps no training curves: training_curves.png left as it was)"
        lines.append(f"{f.path}: {', '.join(drawn)}{kept}")
    if len(folders) >= 2:  # their tickets on one figure (plots.compare_experiments names it)
        target = Path(out) if out else folders[0].path
        target.mkdir(parents=True, exist_ok=True)
        lines.append(str(plots.compare_experiments(
            [(f.path, f.config.experiment, summary_rows(f.records())) for f in folders], target)))
    return lines


def rounded_curve(curve):
    """A curve as a compact folder keeps it: losses to 6 significant digits (they are float32 sums, good to
    about 7; a figure reads 3), accuracies (whole test-set counts) and iterations as they are."""
    return {k: [v if k != "val_loss" or v is None else float(f"{v:.6g}") for v in vs] for k, vs in curve.items()}


def compact(path, masks="all"):
    """Make ``path`` readable without its store: keep the curves its figures draw and the tickets'
    masks in the folder itself, and mark it compact. ``masks="all"`` keeps every ticket's (what section 5
    and the controls of any level need); ``"last"`` only each ticket's last round's, enough to add
    rounds later (a sweep's claims read its summary alone). Masks a compact folder beside it already keeps
    (``ResultsFolder.beside``) are not kept twice. A folder made before trainings were stored by content
    (format 1, ``units/`` inside it) is converted the same way, from its unit files if it still has them
    (else from its summary.csv alone). Returns the sizes written, in bytes."""
    if masks not in ("all", "last"):
        raise ResultsError(f"--masks must be all or last, not {masks!r}")
    path = Path(path)
    legacy = _legacy_folder(path)
    folder = legacy or open_existing(path)
    if folder.compact and legacy is None:
        raise ResultsError(f"{path} is compact already")
    records = folder.records()
    if not records:
        raise ResultsError(f"{path} has no finished trainings to keep")
    levels = (curve_levels(records) or []) if folder.config.record_test_curve else []  # none drawn: none kept
    lent = {u.id for u in plan(folder.config) if legacy is None and folder.lent(u)}  # kept where they were made
    curves = {r["id"]: rounded_curve({k: r["history"][k] for k in ("iterations", "val_loss", "test_acc")})
              for r in records if r["level"] in levels and "history" in r and r["id"] not in lent}
    tickets = [u for u in plan(folder.config) if u.kind == "ticket" and folder.done(u)]
    if masks == "last":
        last = {}
        for u in tickets:
            last[u.trial] = u  # plan order: a trial's levels in order
        tickets = list(last.values())
    arrays = {}
    for u in tickets:
        if u.id in lent:
            continue  # kept by the compact folder that lends it, if anywhere
        for k, v in folder.load(u, arrays=True)[1].items():
            if k.startswith(("mask_", "next_mask_")):
                arrays[f"{u.id}__{k}"] = v
    for u in tickets:  # a round's next masks are the next round's own masks: kept once (load derives them)
        after = Unit(u.level + 1, "ticket", u.trial).id
        for k in [k for k in arrays if k.startswith(f"{u.id}__next_mask_")]:
            same = f"{after}__mask_{k.rsplit('_', 1)[1]}"
            if same in arrays and np.array_equal(arrays[same], arrays[k]):
                del arrays[k]
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    written = {}
    if curves:
        _atomic_write(path / CURVES_FILE, json.dumps(curves).encode())
        written[CURVES_FILE] = (path / CURVES_FILE).stat().st_size
    if arrays:
        _atomic_write(path / TICKETS_FILE, buf.getvalue())
        written[TICKETS_FILE] = len(buf.getvalue())
    if legacy is None or legacy.units_dir.is_dir():
        folder.write_summary(records)
    folder.compact = True  # it still names its store, used wherever that is at hand
    folder.write_config()
    return written


class _LegacyFolder(ResultsFolder):
    """A folder of format 1: its trainings in ``units/<unit id>.npz`` (or, without them, its summary.csv)."""

    def __init__(self, path, config):
        super().__init__(path, config)
        self.units_dir = self.path / "units"
        self.compact = True  # its summary rows count as finished trainings

    def done(self, unit):
        return (self.units_dir / f"{unit.id}.npz").exists() or unit.id in self.kept()[0]

    def load(self, unit, arrays=False):
        file = self.units_dir / f"{unit.id}.npz"
        if not file.exists():
            return super().load(unit, arrays)
        with np.load(file, allow_pickle=False) as f:
            record = json.loads(str(f["record"]))
            out = {k: f[k] for k in f.files if k != "record"}
        return (record, out) if arrays else record

    def write_config(self):
        text = {"format": FORMAT, STORE_NAME: None, "compact": True, **self.config.to_dict()}
        _atomic_write(self.path / "config.json", json.dumps(text, indent=2).encode())


def _legacy_folder(path):
    try:
        stored = json.loads((Path(path) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    if stored.pop("format", None) != 1:
        return None
    return _LegacyFolder(path, ExperimentConfig.from_dict(stored))


def ticket_of(path, unit):
    """The ``lottery_np.Ticket`` of one finished training of an experiment folder: the network as it
    started training (θ0 for a ticket, a control's own weights), its settings and seeds, its result,
    and its trained weights if they were kept."""
    from ..tickets import Ticket
    from .experiments import identity, order_seed, starting_network
    folder = open_existing(path)
    cfg = folder.config
    if not folder.done(unit):
        raise ResultsError(f"{path} has no finished training {unit.id}")
    record, arrays = folder.load(unit, arrays=True)
    level_ticket = Unit(unit.level, "ticket", unit.trial)
    masks = None
    if unit.level and folder.done(level_ticket):  # a level's units all start from its ticket's masks
        own = arrays if unit.kind == "ticket" else folder.load(level_ticket, arrays=True)[1]
        masks = [own[f"mask_{i}"] for i in range(len(cfg.sizes) - 1)] if "mask_0" in own else None
    inputs = inputs_for(cfg, unit, lambda s: folder.load(s, arrays=True)[1], masks=masks)
    if masks is not None:
        inputs.update({f"mask_{i}": m for i, m in enumerate(masks)})
    net = starting_network(cfg, unit, inputs)
    history = record.get("history") or {}
    train_config = cfg.train_config()
    train_config.record_test_curve = bool(history.get("test_acc")) and None not in history["test_acc"]
    n = len(cfg.sizes) - 1
    trained = ([arrays[f"trained_w_{i}"] for i in range(n)], [arrays[f"trained_b_{i}"] for i in range(n)]) \
        if "trained_w_0" in arrays else None
    result = {k: record.get(k) for k in ("convergence_iteration", "test_accuracy", "min_val_loss", "diverged",
                                         "percent_remaining", "engine")}
    settings = {**identity(cfg, unit), "experiment": cfg.experiment, "level": unit.level, "folder": str(path),
                "key": folder.key(unit)}
    seed = [int(v) for v in order_seed(cfg, unit.trial).entropy]
    data = {"n_validation": cfg.n_validation, "split_seed": cfg.split_seed, "normalize": cfg.normalize}
    trainer = "fused" if record.get("engine", "fused") == "fused" else "readable"
    return Ticket(net, train_config, seed, data, trainer, result, settings, trained)


class _NoBar:
    def update(self, n):
        pass

    def set_postfix_str(self, s, refresh=True):
        pass

    def close(self):
        pass


def _progress_bar(total, initial, progress):
    if not progress:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="training", dynamic_ncols=True, smoothing=0.1,
                desc="trainings")
