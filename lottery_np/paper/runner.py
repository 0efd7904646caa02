"""Run experiments: every missing training of a set of experiment folders, each once, in parallel.

``run`` takes ``[(folder, ExperimentConfig)]``, finds the distinct trainings among them (two folders
that share a training — the unpruned network of one-shot and iterative pruning, a sweep's variant that
is the main experiment again — share one ``Training``), and runs those not yet in the store, a
training only once the tickets it starts from are done. Trainings run in worker processes (``jobs`` of
them, see ``workers``) or on any ``concurrent.futures`` executor, e.g. a Dask cluster's. Each is a pure
function of its settings and the arrays of the tickets it depends on, so the results do not depend on
the number of jobs, the order in which trainings finish, where they ran, or which experiment asked first.

Each finished training is saved in the store (``store``) as it finishes and the folders' summaries
are rewritten (``folders``), so an interrupted run resumes with the same command. ``run_sweep``
runs a sweep's variants (``sweeps``) this way, then draws its figure and table.
"""
import concurrent.futures as cf
import contextlib
from pathlib import Path

from tqdm import tqdm

from ..errors import ResultsError
from .estimate import rough_duration, rough_seconds
from .experiments import inputs_for, mnist_for, plan, records_curve, sources, weights_from
from .folders import ResultsFolder, sweep_variant
from .plots import finish_sweep, write_outputs
from .store import find_store, write_failed
from .workers import local_data_dir, local_executor, work


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
                f"{stores}; about {rough_duration(seconds)} with {jobs} job(s)")


def survey(experiments, store=None):
    """The Survey of ``[(folder, ExperimentConfig)]``, writing nothing (folders are checked as ``run`` would)."""
    return Survey([ResultsFolder(path, config, store).open(create=False) for path, config in experiments])


# ----------------------------------------------------------------------------
# Running them
# ----------------------------------------------------------------------------


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run, with what is saved and how to go on."""

    def __init__(self, saved, total, this_run, stores):
        where = ", ".join(stores) or "the store"
        super().__init__(f"interrupted: {saved} of {total} trainings are saved in {where} ({this_run} in this run); "
                         f"run the same command again to resume")


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

    worker_data_dir = data_dir if executor is not None else local_data_dir(data_dir)  # a Dask worker finds its own

    def submit(pool, t):
        f, u = t.wanted_by[0]
        inputs = inputs_for(f.config, u, lambda s: f.load(s, arrays=True)[1])
        args = (f.config.to_dict(), (u.level, u.kind, u.trial, u.draw), inputs, worker_data_dir, t.curve(),
                t.keep_weights())
        return pool.submit(work, *args)

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


def run_sweep(name, variants, out, jobs=1, executor=None, data_dir=None, progress=True, store=None, announce=None):
    """Run (or resume) every experiment of sweep ``name``, then write ``sweep.md`` and ``sweep.png``.
    variants : ``[(subfolder name, ExperimentConfig)]``, as ``sweeps.sweep_configs`` makes them.
    store : where the trainings are kept (default: the store beside ``out``, so that a sweep finds
    the trainings of the experiments made beside it, e.g. ``results/trainings``)."""
    out = Path(out)
    folders = run([(out / sub, cfg) for sub, cfg in variants], jobs=jobs, executor=executor, data_dir=data_dir,
                  progress=progress, on_finish=write_outputs, store=store or find_store(out), announce=announce)
    finish_sweep(name, out, [sweep_variant(f) for f in folders])
    return folders


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
    return tqdm(total=total, initial=initial, unit="training", dynamic_ncols=True, smoothing=0.1,
                desc="trainings")
