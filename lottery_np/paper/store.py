"""The store of trainings: one file per finished training, named by the hash of what determines its numbers.

``trainings/`` at the root of a tree of results holds ``<key>.npz`` for each finished training (the key
is ``experiments.unit_key``), with its record (JSON text under the key ``record``) and its arrays (masks;
the unpruned network's trained weights). Every experiment under the root finds the trainings of the
others there, so a training shared by two experiments — the unpruned network of one-shot and iterative
pruning, a sweep's variant that is the main experiment again — is trained once.

Every file of lottery_np's results is written by ``atomic_write``: under a temporary name, then renamed,
which the file system does in one step — so an interruption (Ctrl-C, ``kill -9``, power loss, a full
disk) leaves whole files or the old ones, and the same command again trains only the missing trainings.
"""
import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np

from ..errors import ResultsError
from .experiments import FORMAT

STORE_NAME = "trainings"


def atomic_write(path, data):
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


def remove_stale_temporaries(folder):
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
            atomic_write(self.path / self.MARK, json.dumps(text, indent=2).encode())
        remove_stale_temporaries(self.path)
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
        atomic_write(self.file(key), buf.getvalue())

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
