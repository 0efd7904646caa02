"""``njit``: Numba's, with an on-disk cache that several processes can fill at the same time.

Every kernel of the package is compiled with ``@njit(cache=True)``: the machine code is kept on disk
(next to the source, or in ``NUMBA_CACHE_DIR``), so a process that needs a function again loads it in
milliseconds instead of compiling it for seconds. A run with ``--jobs 2`` starts two processes that
compile at the same time into the same folder, and Numba's cache is not made for that (numba issue
4807). A function's cache is an index file naming one data file per signature (``f.1.nbc``,
``f.2.nbc``, ...). Two processes saving *different* signatures of one function at once can both read
the index before the other writes it, both pick the name ``f.1.nbc``, and leave an index that names
one signature's machine code under the other's: every later run loads the wrong code, silently.
Numba also writes the index before the data file, so a process reading in between can load an old
file of that name.

Here each cache folder has one lock file, ``.lottery_np.lock``, shared by every function whose cache
lives there. Saving an entry (read the index, write the data, then the index) holds it exclusively,
so a save is atomic for the other processes; reading an entry holds it shared, so reads run together
but never during a save. Only file reads and writes happen under the lock: a function is saved after
the functions it calls have been compiled and saved, and loading one never compiles anything, so a
process never asks for the lock while holding it (two ``flock`` calls on separate opens conflict even
within one process). Compiled code, and so every number, is unchanged. A plain ``numba.njit`` saving
into the same folder does not take the lock. Where file locks do not exist (not a POSIX system), or
the JIT is off (``NUMBA_DISABLE_JIT=1``), this is ``numba.njit`` itself.
"""
import contextlib
import itertools
import os

import numba
from numba.core.caching import FunctionCache, IndexDataCacheFile

try:
    import fcntl
except ImportError:  # not POSIX: Numba's cache as it is
    fcntl = None

LOCK_NAME = ".lottery_np.lock"


@contextlib.contextmanager
def locked(folder, exclusive):
    """Hold a lock on ``folder``'s lock file: exclusive (one holder) or shared (any number of readers).
    Where the lock file cannot be made or locked, Numba goes on without it, as it would without us."""
    try:
        f = open(os.path.join(folder, LOCK_NAME), "a")
    except OSError:
        f = None
    if f is not None:
        try:
            fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except OSError:  # e.g. a network file system without locks
            f.close()
            f = None
    try:
        yield
    finally:
        if f is not None:
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()


class LockedIndexDataCacheFile(IndexDataCacheFile):
    """A function's index and data files (Numba's), read under a shared lock and written under an
    exclusive one; a new entry's data file is written before the index that names it."""

    def save(self, key, data):
        with locked(self._cache_path, exclusive=True):
            overloads = self._load_index()
            if key in overloads:
                self._save_data(overloads[key], data)
                return
            taken = set(overloads.values())
            name = next(n for n in map(self._data_name, itertools.count(1)) if n not in taken)
            self._save_data(name, data)
            overloads[key] = name
            self._save_index(overloads)

    def load(self, key):
        with locked(self._cache_path, exclusive=False):
            return super().load(key)

    def flush(self):
        with locked(self._cache_path, exclusive=True):
            super().flush()


class LockedCache(FunctionCache):
    """Numba's cache of one function, kept in a ``LockedIndexDataCacheFile``."""

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = LockedIndexDataCacheFile(cache_path=self._cache_path,
                                                    filename_base=self._impl.filename_base,
                                                    source_stamp=self._impl.locator.get_source_stamp())


def njit(function=None, **options):
    """``numba.njit`` as a decorator, ``@njit(...)`` or ``@njit``, compiled on first call (no signature
    given); with ``cache=True`` its cache is a ``LockedCache``."""
    if function is not None and not callable(function):
        raise TypeError("lottery_np.jit.njit takes no signature: it compiles on the first call")
    cache = options.pop("cache", False)
    if not cache or fcntl is None:
        return numba.njit(function, cache=cache, **options)  # function None: numba.njit returns a decorator

    def decorate(fn):
        dispatcher = numba.njit(**options)(fn)
        if isinstance(dispatcher, numba.core.dispatcher.Dispatcher):  # not so with NUMBA_DISABLE_JIT=1
            dispatcher._cache = LockedCache(fn)  # what Dispatcher.enable_caching does, with the lock
        return dispatcher
    return decorate(function) if function else decorate
