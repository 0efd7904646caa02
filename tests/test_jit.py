"""The package's ``njit``: Numba's, with a cache that several processes may fill at once (``lottery_np/jit.py``)."""
import importlib
import importlib.util
import os
import pkgutil
import threading
import time

import numba
import pytest

import lottery_np
from lottery_np.jit import LOCK_NAME, LockedCache, locked, njit

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no cache without the JIT")
fcntl = pytest.importorskip("fcntl")


def cached_functions():
    """Every Numba function defined in the package, by its module and name."""
    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(lottery_np.__path__, "lottery_np.")
               if not m.name.endswith("__main__")]  # which would run the command line
    return {f"{m.__name__}.{name}": f for m in modules for name, f in vars(m).items()
            if isinstance(f, numba.core.dispatcher.Dispatcher) and f.__module__ == m.__name__}


def test_every_kernel_of_the_package_keeps_its_cache_under_the_lock():
    functions = cached_functions()
    assert len(functions) >= 30 and "lottery_np.engine.step.sgd_steps" in functions
    plain = [name for name, f in functions.items() if not isinstance(f._cache, LockedCache)]
    assert not plain, f"compiled with numba.njit instead of lottery_np.jit.njit: {plain}"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_background(f, *args):
    """Call ``f(*args)`` in a thread; the thread and the list its result goes into."""
    results = []
    call = threading.Thread(target=lambda: results.append(f(*args)))
    call.start()
    return call, results


def test_a_process_writes_a_cache_only_when_no_other_reads_it_and_reads_it_only_when_none_writes(tmp_path):
    source = tmp_path / "cached_twice.py"
    source.write_text("from lottery_np.jit import njit\n\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    first = load(source, "cached_twice")
    folder = first.twice._cache._cache_path

    def written():
        return [p for p in os.listdir(folder) if p.startswith("cached_twice.twice")]
    assert not written()
    with open(os.path.join(folder, LOCK_NAME), "a") as other:  # another process...
        fcntl.flock(other, fcntl.LOCK_SH)  # ...reading the folder: `twice` is looked up and compiled, then waits
        call, results = in_background(first.twice, 3.0)
        deadline = time.time() + 60
        while not first.twice.overloads and time.time() < deadline:  # compiled (it is saved right after)
            time.sleep(0.01)
        time.sleep(0.3)
        assert first.twice.overloads and call.is_alive() and not written(), \
            "the cache was written while another process was reading it"
        fcntl.flock(other, fcntl.LOCK_UN)
    call.join(timeout=60)
    assert results == [6.0] and written()

    second = load(source, "cached_twice_again")  # as a new process: its first call loads, never compiles
    with open(os.path.join(folder, LOCK_NAME), "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX)  # another process saving: no reading meanwhile
        call, results = in_background(second.twice, 3.0)
        call.join(timeout=2)  # loading a one-line function takes milliseconds
        assert call.is_alive() and not results, "the cache was read while another process was writing it"
        fcntl.flock(other, fcntl.LOCK_UN)
    call.join(timeout=60)
    assert results == [6.0]
    assert sum(second.twice.stats.cache_hits.values()) == 1 and not second.twice.stats.cache_misses


def test_a_folder_without_a_lock_file_is_left_to_numba(tmp_path):
    with locked(tmp_path / "gone", exclusive=True):  # no such folder: no lock, no error (Numba then says what it says)
        pass
    with locked(tmp_path, exclusive=False):
        assert (tmp_path / LOCK_NAME).exists()


def test_a_signature_is_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="takes no signature"):
        njit("f8(f8)", cache=True)
