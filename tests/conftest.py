"""Fixtures shared by the tests, and what makes the suite safe on several cores.

``setup.cfg`` runs the suite with pytest-xdist (``-n auto``): each worker is a process of its own,
running its share of the tests at the same time as the others. What they share, and how:

* **Temporary folders**: each worker has its own base folder (xdist's ``basetemp`` per worker), so
  ``tmp_path`` and ``tmp_path_factory`` never collide; no test writes into the checkout except the
  two caches below.
* **Numba's on-disk cache** (``cache=True``): one folder, ``.pytest_cache/numba``, set before Numba is
  imported, for the workers and the processes their tests start (command lines, worker pools,
  notebook kernels, Dask workers), which inherit it: what one compiles, the others load. Several
  processes may save into it at once because the package's ``njit`` reads and writes a cache under a
  file lock (``lottery_np/jit.py``, numba issue 4807). Before the workers start, the controller
  compiles the package's code into it for float32 and float64 at the same time, one process each
  (``tests/compile_ahead.py``), so that the workers load it instead of both compiling it at once.
  It is kept, so only the first run compiles.
* **MNIST** (``data/mnist.npz``): written atomically, so two workers could only download it twice;
  the controller fetches it once before the workers start.
* **Cores**: a worker per core, so each worker's BLAS gets one thread (below).
* **Expensive module fixtures** (a whole tiny plan, a reference run) are made once per worker that
  uses them, so the tests sharing one are kept on one worker (``--dist loadgroup``, ``SHARED`` below).
* **Order**: xdist hands out tests one by one as workers free up; the longest go first (``LONGEST``),
  so that the run does not end with one worker busy on a long test while the other waits.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
# A minibatch of MNIST into a hidden layer, (N, D, M), for the kernel tests. As plain Python
# (NUMBA_DISABLE_JIT=1, tests/test_nojit.py) the kernels' loops are checked on an eighth of the inputs:
# the full width took most of that run.
BATCH_SHAPE = (60, 98, 30) if os.environ.get("NUMBA_DISABLE_JIT") == "1" else (60, 784, 30)
# The kernel and layer tests' (N, D, M) cases, one list for test_kernels, test_sparse and test_layers; batch 1 included.
SHAPES = [(1, 7, 5), (3, 1, 4), BATCH_SHAPE, (17, 33, 1), (8, 20, 10)]


# (module, module-scoped fixture): the tests using it run on one worker, which makes it once.
SHARED = [("test_reproduce.py", "reference"), ("test_runner.py", "reference"), ("test_store.py", "kept"),
          ("test_same_bits.py", "default_run")]
# Node ids (or their beginnings) of the longest tests, longest first; the rest keep their order after them.
LONGEST = [
    "test_notebooks.py::test_notebook_runs_in_quick_mode[03",
    "test_notebooks.py::test_notebook_runs_in_quick_mode[05",
    "test_notebooks.py::test_notebook_runs_in_quick_mode[02",
    "test_store.py::test_a_folder_grows",
    "test_same_bits.py::test_a_committed_paper_scale_training",
    "test_readme.py::test_readme_python_example_runs",
    "test_nojit.py",
    "test_notebooks.py::test_notebook_runs_in_quick_mode[04",
    "test_recheck.py::test_a_compact_folder",
    "test_cli.py::test_demo",
    "test_reproduce.py::test_full_plan",
    "test_engine.py::test_float32",
    "test_mnist.py",
    "test_store.py",
    "test_solutions.py",
]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
        for name in item.fixturenames:
            if (module, name) in SHARED:
                item.add_marker(pytest.mark.xdist_group(f"{module}::{name}"))

    def rank(item):
        nodeid = item.nodeid.split("/", 1)[-1]
        return next((i for i, start in enumerate(LONGEST) if nodeid.startswith(start)), len(LONGEST))
    items.sort(key=rank)  # stable: the same order on every worker, as xdist requires


def distributed_controller(config):
    """Whether this process hands tests to xdist workers (not a worker, not a run in one process)."""
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if (worker or distributed_controller(config)) and "NUMBA_CACHE_DIR" not in os.environ:
        cache = ROOT / ".pytest_cache"
        cache.mkdir(exist_ok=True)
        if not (cache / ".gitignore").exists():  # pytest writes it only into a folder it creates itself
            (cache / ".gitignore").write_text("# Created by pytest automatically.\n*\n")
        os.environ["NUMBA_CACHE_DIR"] = str(cache / "numba")  # the workers, started later, inherit it
        if "numba" in sys.modules:  # imported before us after all: read the setting again
            from numba.core import config as numba_config
            numba_config.reload_config()
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        # One BLAS thread per worker (and in the processes its tests start, unless a test sets its own):
        # with a worker per core, a BLAS that also starts a thread per core only makes its threads wait
        # for each other. Numba's threads are left as they are, so prange kernels still run in parallel.
        for name in BLAS_THREADS:
            os.environ.setdefault(name, "1")
        from threadpoolctl import threadpool_limits
        threadpool_limits(1, user_api="blas")  # NumPy is loaded already


def pytest_sessionstart(session):
    """The controller of a distributed run downloads MNIST once and compiles the package's code, before
    any worker needs them (xdist starts its workers after this hook)."""
    if not distributed_controller(session.config):  # with -n 0 the one process compiles what it needs
        return
    if session.config.option.collectonly:
        return
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    compiling = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "compile_ahead.py"), dtype], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for dtype in ("float32", "float64")]
    from lottery_np.data import CACHE_NAME, default_data_dir, load_mnist_raw
    from lottery_np.errors import DataError
    if not (default_data_dir() / CACHE_NAME).exists():
        try:
            load_mnist_raw()
        except DataError as e:  # the tests that need it say so; the others run
            print(f"conftest: MNIST not fetched ({e})", file=sys.stderr)
    for process in compiling:  # if it fails, the workers compile what they need; the tests say what is wrong
        try:
            _, err = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        if process.returncode:
            last = (err.decode().strip().splitlines() or ["no message"])[-1]
            print(f"conftest: compiling ahead failed ({last})", file=sys.stderr)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_mask(rng, shape, density, dtype=np.float64):
    """A 0/1 mask keeping about ``density`` of the entries (0 → all pruned, 1 → none)."""
    return (rng.random(shape) < density).astype(dtype)


def pytest_terminal_summary(terminalreporter):
    """Name the CPU on which a committed paper-scale training was trained again
    (``test_same_bits.py``), and what it gave: a run of the suite on another CPU model is a recheck there."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "paper_scale_recheck":
                terminalreporter.write_line(f"recheck of the committed paper-scale run: {value}")
