"""Loaders on tiny files written here in the original formats, and the download script."""
import gzip
import hashlib
import io
import pickle
import struct
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite import data
from cs231n_lite.data import DatasetError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "datasets"))
import get_cifar10  # noqa: E402

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def write_idx(path, array, compress=False):
    """Write array in the IDX format: magic (0, 0, type, ndim), big-endian sizes, data."""
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    raw = bytes([0, 0, IDX_CODES[big.dtype], array.ndim])
    raw += struct.pack(f">{array.ndim}I", *array.shape) + big.tobytes()
    (gzip.open if compress else open)(path, "wb").write(raw)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_roundtrip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array.astype(np.dtype(dtype).newbyteorder(">")) if np.dtype(dtype).itemsize > 1 else array,
              compress)
    back = data.read_idx(path)
    assert back.shape == (2, 3, 4) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_read_idx_errors(tmp_path):
    with pytest.raises(DatasetError, match="missing"):
        data.read_idx(tmp_path / "nope")
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DatasetError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")
    write_idx(tmp_path / "ok", np.zeros((4, 5), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "ok").read_bytes()[:-3])
    with pytest.raises(DatasetError, match="truncated"):
        data.read_idx(tmp_path / "short")


def write_fashion(folder, n_train=7, n_test=3, compress=True):
    folder.mkdir(exist_ok=True)
    r = np.random.default_rng(0)
    sfx = ".gz" if compress else ""
    write_idx(folder / f"train-images-idx3-ubyte{sfx}", r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), compress)
    write_idx(folder / f"train-labels-idx1-ubyte{sfx}", r.integers(0, 10, n_train, dtype=np.uint8), compress)
    write_idx(folder / f"t10k-images-idx3-ubyte{sfx}", r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), compress)
    write_idx(folder / f"t10k-labels-idx1-ubyte{sfx}", r.integers(0, 10, n_test, dtype=np.uint8), compress)


@pytest.mark.parametrize("compress", [True, False])
def test_load_fashion_mnist_from_idx(tmp_path, compress):
    write_fashion(tmp_path / "fm", compress=compress)
    d = data.load_fashion_mnist(tmp_path / "fm")
    assert d["X_train"].shape == (7, 28, 28) and d["y_train"].shape == (7,)
    assert d["X_test"].shape == (3, 28, 28) and d["y_test"].dtype == np.int64
    assert len(d["class_names"]) == 10


def test_load_fashion_mnist_errors_say_how_to_fetch(tmp_path):
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist(tmp_path)
    write_fashion(tmp_path / "fm")
    write_idx(tmp_path / "fm" / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), True)
    with pytest.raises(DatasetError, match="disagree"):
        data.load_fashion_mnist(tmp_path / "fm")


def write_cifar_batch(path, n, seed):
    r = np.random.default_rng(seed)
    images = r.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    rows = images.transpose(0, 3, 1, 2).reshape(n, 3072)   # R plane, G plane, B plane
    labels = r.integers(0, 10, n).tolist()
    with open(path, "wb") as f:
        pickle.dump({"batch_label": "b", "labels": labels, "data": rows, "filenames": []}, f)
    return images, np.array(labels)


def test_load_cifar10_from_pickle_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    expected = [write_cifar_batch(folder / f"data_batch_{i}", 4, i) for i in range(1, 6)]
    test_images, test_labels = write_cifar_batch(folder / "test_batch", 3, 9)
    d = data.load_cifar10(folder)
    assert d["X_train"].shape == (20, 32, 32, 3) and d["X_test"].shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(d["X_train"][:4], expected[0][0])
    np.testing.assert_array_equal(d["X_test"], test_images)
    np.testing.assert_array_equal(d["y_test"], test_labels)


def test_cifar10_errors_say_how_to_fetch(tmp_path):
    with pytest.raises(DatasetError, match="python datasets/get_cifar10.py"):
        data.load_cifar10(tmp_path / "absent")
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="corrupt"):
        data.load_cifar10_batch(folder / "data_batch_1")
    with open(folder / "data_batch_2", "wb") as f:
        pickle.dump({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, f)
    with pytest.raises(DatasetError, match="3072"):
        data.load_cifar10_batch(folder / "data_batch_2")


def test_embedded_subset_is_balanced_and_verified():
    d = data.load_fashion_mnist_small()
    for split, n in (("train", 10000), ("val", 1000), ("test", 1000)):
        assert d[f"X_{split}"].shape == (n, 28, 28) and d[f"X_{split}"].dtype == np.uint8
        assert np.all(np.bincount(d[f"y_{split}"], minlength=10) == n // 10)
    # real images, not noise: mean intensity of Fashion-MNIST is about 73/255
    assert 60 < d["X_train"].mean() < 85


def test_embedded_subset_missing_or_corrupt(tmp_path):
    with pytest.raises(DatasetError, match="git checkout -- datasets/"):
        data.load_fashion_mnist_small(tmp_path / "fashion_mnist_small.npz")
    src = ROOT / "datasets" / "fashion_mnist_small.npz"
    broken = tmp_path / "fashion_mnist_small.npz"
    broken.write_bytes(src.read_bytes()[:1000])
    (tmp_path / "fashion_mnist_small.sha256").write_text((ROOT / "datasets" / "fashion_mnist_small.sha256").read_text())
    with pytest.raises(DatasetError, match="corrupt"):
        data.load_fashion_mnist_small(broken)
    with pytest.raises(DatasetError, match="cannot be read"):
        data.load_fashion_mnist_small(broken, verify=False)


def make_fake_cifar_archive(tmp_path):
    folder = tmp_path / "src" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_cifar_batch(folder / name, 2, 0)
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return archive, hashlib.md5(archive.read_bytes()).hexdigest()


def test_get_cifar10_downloads_verifies_and_extracts(tmp_path):
    archive, md5 = make_fake_cifar_archive(tmp_path)
    folder = get_cifar10.fetch(tmp_path / "dest", url=archive.as_uri(), md5=md5)
    assert data.load_cifar10(folder)["X_train"].shape == (10, 32, 32, 3)
    assert not (tmp_path / "dest" / "cifar-10-python.tar.gz").exists()


def test_get_cifar10_rejects_a_bad_checksum(tmp_path):
    archive, _ = make_fake_cifar_archive(tmp_path)
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        get_cifar10.fetch(tmp_path / "dest", url=archive.as_uri(), md5="0" * 32)
    assert not (tmp_path / "dest" / "cifar-10-batches-py").exists()
    assert not (tmp_path / "dest" / "cifar-10-python.tar.gz").exists()


def test_get_cifar10_refuses_path_traversal(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(RuntimeError, match="outside"):
        get_cifar10.safe_extract(archive, tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()
