"""Worker processes for trainings and timings: fresh, single-threaded, leaving Ctrl-C to the caller.

Each worker uses one thread (BLAS and Numba), so that two jobs use two cores well. ``work`` is what a
worker runs for one training, from plain picklable arguments: the same function runs in a local
process (``local_executor``) or on any ``concurrent.futures`` executor, e.g. a Dask cluster's.
"""
import atexit
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal

from ..data import default_data_dir
from .experiments import Unit, run_unit
from .settings import ExperimentConfig

SINGLE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


def work(config_dict, unit_fields, inputs, data_dir, curve, keep_weights):
    """What a worker runs: one unit, from plain picklable arguments."""
    config = ExperimentConfig.from_dict(config_dict)
    return run_unit(config, Unit(*unit_fields), inputs, data_dir=data_dir, curve=curve, keep_weights=keep_weights)


def local_data_dir(data_dir):
    """Where a local worker finds MNIST: it is told, since a kept worker read the environment
    (``LOTTERY_NP_DATA``) when it started, maybe for another run."""
    return str(default_data_dir()) if data_dir is None else data_dir


def ignore_ctrl_c():  # workers leave Ctrl-C to the runner, which stops them and says what is saved
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_KEPT = {}  # jobs -> the pool the last local_executor(jobs) of this process left running


@atexit.register
def _end_kept_pools():  # before the interpreter takes its modules apart under a pool still alive
    while _KEPT:
        _KEPT.popitem()[1].shutdown(wait=True)


@contextlib.contextmanager
def local_executor(jobs):
    """``jobs`` worker processes, each with single-threaded BLAS and Numba.

    The pool is kept for the next call in this process: starting a worker (Python, NumPy, the
    engine's compiled code, MNIST) takes about 2 s, and a plan, a notebook or a test runs many
    experiments one after another. An interruption or an error ends the pool and its trainings."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD}
    os.environ.update(SINGLE_THREAD)  # inherited by the workers, which start while the pool is in use
    pool = _KEPT.pop(jobs, None)
    if pool is None or getattr(pool, "_broken", False):
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=ignore_ctrl_c)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for p in list((getattr(pool, "_processes", None) or {}).values()):  # don't leave trainings running behind us
            p.terminate()
        raise
    else:
        _KEPT[jobs] = pool
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
