"""``njit``: Numba's, with an on-disk cache that several processes can fill at the same time.

Every kernel of the package is compiled with ``@njit(cache=True)``: the machine code is kept on disk
(next to the source, or in ``NUMBA_CACHE_DIR``), so a process that needs a function again loads it in
milliseconds instead of compiling it for seconds. A run with ``--jobs 2`` starts two processes that
compile at the same time into the same folder, and Numba's cache is not made for that (numba issue
4807): a function's cache is an index file naming one data file per signature, and two processes
saving *different* signatures of one function at once can both pick the same data file's name, so
that the index names one signature's machine code under the other's. The wrong code is then loaded,
silently, by every later run.

This ``njit`` is Numba's own, except that each read and each write of a cache folder holds a lock on
it (an exclusive one to write, a shared one to read), so that saving is one step for the other
processes. Compiled code, and so every number, is unchanged. Where file locks do not exist (not on a
POSIX system) or the JIT is off (``NUMBA_DISABLE_JIT=1``), it is ``numba.njit`` itself.
"""
import contextlib
import os

import numba
from numba.core.caching import FunctionCache

try:
    import fcntl
except ImportError:  # not POSIX: Numba's cache as it is
    fcntl = None

LOCK_NAME = ".lottery_np.lock"


@contextlib.contextmanager
def locked(folder, exclusive):
    """Hold a lock on ``folder``'s lock file: exclusive (one holder) or shared (any number of readers).
    A folder where the lock file cannot be made is left to Numba, as without the lock."""
    try:
        f = open(os.path.join(folder, LOCK_NAME), "a")
    except OSError:
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class LockedCache(FunctionCache):
    """Numba's cache of one function, whose index and data files are read and written under a lock."""

    def save_overload(self, sig, data):
        with locked(self._cache_path, exclusive=True):
            super().save_overload(sig, data)

    def load_overload(self, sig, target_context):
        with locked(self._cache_path, exclusive=False):
            return super().load_overload(sig, target_context)


def njit(*args, **options):
    """``numba.njit`` with the same arguments; with ``cache=True`` its cache is a ``LockedCache``."""
    cache = options.pop("cache", False)
    if not cache or fcntl is None:
        return numba.njit(*args, cache=cache, **options)

    def decorate(fn):
        dispatcher = numba.njit(**options)(fn)
        if isinstance(dispatcher, numba.core.dispatcher.Dispatcher):  # not so with NUMBA_DISABLE_JIT=1
            dispatcher._cache = LockedCache(fn)  # what Dispatcher.enable_caching does, with the lock
        return dispatcher
    return decorate(args[0]) if args else decorate
