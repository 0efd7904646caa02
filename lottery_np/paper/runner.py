"""Run experiments: in parallel, resumably, into a results folder a reader can open.

A results folder holds

* ``config.json`` — the experiment's settings. A folder made with other
  settings is refused, so results from two configs never mix.
* ``units/<unit id>.npz`` — one file per finished training: its record (as
  JSON text under the key ``record``) and its arrays (masks). A file appears
  only when its training is finished — it is written under a temporary name
  and renamed, which the file system does in one step — so an interrupted run
  (Ctrl-C, ``kill -9``, power loss) leaves whole units or none. Running the same
  command again trains only the missing units.
* ``summary.csv`` — one row per finished training, rewritten as units finish;
  ``summary.md`` and the figures (PNG) once every unit is done.

Units run in worker processes (``jobs`` of them; each single-threaded so that
two jobs use two cores well) or on any ``concurrent.futures`` executor, e.g. a
Dask cluster's. Each unit is a pure function of the config, its id and the
arrays of the ticket it depends on, so the results do not depend on the number
of jobs, the order in which units finish, or where they ran.
"""
import concurrent.futures as cf
import contextlib
import csv
import io
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np

from ..errors import ResultsError
from .experiments import FORMAT, ExperimentConfig, Unit, inputs_for, mnist_for, plan, run_unit, source

SUMMARY_COLUMNS = ("experiment", "kind", "trial", "draw", "level", "percent_remaining",
                   "convergence_iteration", "test_accuracy", "min_val_loss", "diverged")
KIND_ORDER = {"ticket": 0, "reinit": 1, "shuffle": 2}
SINGLE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


# ----------------------------------------------------------------------------
# The results folder
# ----------------------------------------------------------------------------


class ResultsFolder:
    """One experiment's folder: its config, its finished units, its summary."""

    def __init__(self, path, config):
        self.path, self.config = Path(path), config
        self.units_dir = self.path / "units"

    def open(self, create=True):
        """Create the folder, or check that an existing one was made by this config.
        With ``create=False`` only check: raise what opening would raise, and write nothing."""
        cfg_file = self.path / "config.json"
        wanted = {"format": FORMAT, **self.config.to_dict()}
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"{self.path} is a file, not a folder. Choose another --out folder.")
        if cfg_file.exists():
            try:
                stored = json.loads(cfg_file.read_text())
            except (OSError, ValueError) as e:
                raise ResultsError(f"{cfg_file} is unreadable ({e}). Use another --out folder, or delete "
                                   f"the folder to start this experiment afresh.") from None
            if stored != wanted:
                keys = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
                diff = "; ".join(f"{k}: {stored.get(k)!r} there, {wanted.get(k)!r} now" for k in keys)
                raise ResultsError(f"{self.path} holds results of a different configuration ({diff}). Nothing "
                                   f"was changed. Use another --out folder, or the same settings to resume.")
        elif self.path.exists() and any(self.path.iterdir()):
            raise ResultsError(f"{self.path} is not empty and has no config.json, so it is not a results "
                               f"folder of lottery_np. Choose another --out folder.")
        elif create:
            self.path.mkdir(parents=True, exist_ok=True)
            _atomic_write(cfg_file, json.dumps(wanted, indent=2).encode())
        if not create:
            return self
        self.units_dir.mkdir(exist_ok=True)
        for stale in self.units_dir.glob(".*.tmp"):  # half-written files of an interrupted run
            stale.unlink()
        return self

    def unit_path(self, unit):
        return self.units_dir / f"{unit.id}.npz"

    def done(self, unit):
        return self.unit_path(unit).exists()

    def save(self, unit, record, arrays):
        buf = io.BytesIO()
        np.savez_compressed(buf, record=np.array(json.dumps(record)), **arrays)
        _atomic_write(self.unit_path(unit), buf.getvalue())

    def load(self, unit, arrays=False):
        """A finished unit's record (and its arrays if asked)."""
        path = self.unit_path(unit)
        try:
            with np.load(path, allow_pickle=False) as f:
                record = json.loads(str(f["record"]))
                out = {k: f[k] for k in f.files if k != "record"} if arrays else None
        except Exception as e:  # a damaged file: say which, and how to redo just that unit
            raise ResultsError(f"{path} is damaged ({type(e).__name__}: {e}). Delete that file and run "
                               f"the same command again to redo that one training.") from None
        return (record, out) if arrays else record

    def records(self):
        return [self.load(u) for u in plan(self.config) if self.done(u)]

    def write_summary(self, records=None):
        records = self.records() if records is None else records
        _atomic_write(self.path / "summary.csv", summary_csv(records).encode())


def _atomic_write(path, data):
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
# Running units
# ----------------------------------------------------------------------------


def _work(config_dict, unit_fields, inputs, data_dir):
    """What a worker runs: one unit, from plain picklable arguments."""
    config = ExperimentConfig.from_dict(config_dict)
    return run_unit(config, Unit(*unit_fields), inputs, data_dir=data_dir)


@contextlib.contextmanager
def local_executor(jobs):
    """``jobs`` fresh worker processes, each with single-threaded BLAS and Numba."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD}
    os.environ.update(SINGLE_THREAD)  # inherited by the workers at start-up
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
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


def run(experiments, jobs=1, executor=None, data_dir=None, progress=True, on_finish=None):
    """Run every missing unit of every ``(folder, ExperimentConfig)`` in ``experiments``.

    jobs : worker processes (ignored when ``executor`` is given).
    executor : any ``concurrent.futures.Executor`` (e.g. a Dask client's ``get_executor()``).
    on_finish : optional ``f(folder)`` called when one experiment has all its units.
    Returns the ResultsFolders. Finished units are on disk whatever happens.
    """
    # Nothing is written before everything is known to be good: every folder checked, MNIST loaded.
    folders = [ResultsFolder(path, config).open(create=False) for path, config in experiments]
    for f in folders:
        mnist_for(f.config, data_dir)
    folders = [f.open() for f in folders]
    todo = [(i, u) for i, f in enumerate(folders) for u in plan(f.config) if not f.done(u)]
    total = sum(len(plan(f.config)) for f in folders)
    records = [f.records() for f in folders]
    bar = _progress_bar(total, total - len(todo), progress)
    finished = [len(records[i]) == len(plan(f.config)) for i, f in enumerate(folders)]
    for i, f in enumerate(folders):
        f.write_summary(records[i])
        if finished[i] and on_finish:
            on_finish(f)
    if not todo:
        bar.close()
        return folders

    def ready(item):
        i, u = item
        s = source(folders[i].config, u)
        return s is None or folders[i].done(s)

    def submit(pool, item):
        i, u = item
        f = folders[i]
        s = source(f.config, u)
        inputs = inputs_for(f.config, u, f.load(s, arrays=True)[1]) if s is not None else {}
        args = (f.config.to_dict(), (u.level, u.kind, u.trial, u.draw), inputs, data_dir)
        return pool.submit(_work, *args)

    pending = sorted(todo, key=lambda it: (it[1].kind != "ticket", it[1].level, it[1].trial, it[0], it[1]))
    running = {}
    width = jobs if executor is None else max(jobs, 1)
    ctx = contextlib.nullcontext(executor) if executor is not None else local_executor(jobs)
    try:
        with ctx as pool:
            while pending or running:
                for item in [it for it in pending if ready(it)][: max(0, 2 * width - len(running))]:
                    pending.remove(item)
                    running[submit(pool, item)] = item
                if not running:
                    raise ResultsError("no unit can start: their source tickets are missing (internal error)")
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    i, u = running.pop(fut)
                    record, arrays = fut.result()
                    folders[i].save(u, record, arrays)
                    records[i].append(record)
                    folders[i].write_summary(records[i])
                    bar.update(1)
                    bar.set_postfix_str(describe(record), refresh=True)
                    if len(records[i]) == len(plan(folders[i].config)) and on_finish:
                        on_finish(folders[i])
    finally:
        bar.close()
    return folders


def write_outputs(folder):
    """Once an experiment is complete: ``summary.md`` and its figures."""
    from . import plots
    cfg, records = folder.config, folder.records()
    rows = summary_rows(records)
    name = {"oneshot": "one-shot pruning (section 3)", "iterative": "iterative pruning (section 4)"}[cfg.experiment]
    title = f"LeNet {'-'.join(map(str, cfg.sizes))}, {name}, {cfg.trials} trial(s), {cfg.iterations} iterations"
    plots.plot_levels(rows, folder.path / "convergence_accuracy.png", title=title,
                      log_x=cfg.experiment == "iterative")
    plots.plot_curves(records, path=folder.path / "training_curves.png")
    text = (f"# {title}\n\nMean over trials (and control draws), min–max in brackets. "
            f"Convergence iteration = iteration of minimum validation loss; test accuracy at that iteration.\n\n"
            f"{plots.level_table(rows)}\n\n![convergence and accuracy](convergence_accuracy.png)\n\n"
            f"![training curves](training_curves.png)\n")
    _atomic_write(folder.path / "summary.md", text.encode())


def open_existing(path):
    """A finished (or partly finished) results folder, with the config stored in it."""
    path = Path(path)
    try:
        stored = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path} is not a readable results folder ({e}); run an experiment into it first.") from None
    stored.pop("format", None)
    return ResultsFolder(path, ExperimentConfig.from_dict(stored))


def plot_folders(paths, out=None):
    """Redraw each folder's figures and table; compare one-shot and iterative tickets if both are given."""
    from . import plots
    folders = [open_existing(p) for p in paths]
    for f in folders:  # every folder checked before any is written to
        if not f.records():
            raise ResultsError(f"{f.path} has no finished trainings yet")
    lines = []
    for f in folders:
        write_outputs(f)
        lines.append(f"{f.path}: summary.md, convergence_accuracy.png, training_curves.png")
    kinds = {f.config.experiment: f for f in folders}
    if len(kinds) == 2:
        target = Path(out) if out else folders[0].path
        target.mkdir(parents=True, exist_ok=True)
        named = [("one-shot", summary_rows(kinds["oneshot"].records())),
                 ("iterative", summary_rows(kinds["iterative"].records()))]
        plots.plot_compare(named, target / "oneshot_vs_iterative.png")
        lines.append(f"{target / 'oneshot_vs_iterative.png'}")
    return lines


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
