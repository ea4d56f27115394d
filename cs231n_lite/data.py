"""Dataset loaders: the embedded Fashion-MNIST subset, full Fashion-MNIST
(IDX files) and CIFAR-10 (python pickle batches).

Every loader returns raw data (uint8 images, int64 labels); scaling and
centering are the subject of notebook 2 and are done by the caller.
"""
import gzip
import hashlib
import os
import pickle
from pathlib import Path

import numpy as np

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"
EMBEDDED_FILE = "fashion_mnist_small.npz"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")

FETCH_EMBEDDED = ("restore it with `git checkout -- datasets/` or rebuild it with "
                  "`apt-get install dataset-fashion-mnist && python datasets/build_fashion_subset.py`")
FETCH_FASHION = "install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu)"
FETCH_CIFAR = "download it with `python datasets/get_cifar10.py`"


class DatasetError(OSError):
    """A dataset file is missing or corrupt; the message says how to fetch it."""


def datasets_dir():
    """Where datasets live: $CS231N_LITE_DATA if set, else the datasets/ folder."""
    return Path(os.environ.get("CS231N_LITE_DATA", DATASETS_DIR))


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Embedded subset
# --------------------------------------------------------------------------

def load_fashion_mnist_small(path=None, verify=True):
    """The embedded Fashion-MNIST subset (no network needed).

    Inputs:
    - path: the .npz file (default: datasets/fashion_mnist_small.npz)
    - verify: compare the file's SHA-256 with the one committed beside it

    Returns a dict with:
    - X_train (10000, 28, 28), X_val (1000, 28, 28), X_test (1000, 28, 28): uint8
    - y_train, y_val, y_test: int64 labels in 0..9
    - class_names: the 10 class names
    """
    path = Path(path) if path else datasets_dir() / EMBEDDED_FILE
    if not path.exists():
        raise DatasetError(f"embedded dataset {path} is missing: {FETCH_EMBEDDED}")
    checksum_file = path.with_suffix(".sha256")
    if verify and checksum_file.exists():
        expected = checksum_file.read_text().split()[0]
        if _sha256(path) != expected:
            raise DatasetError(f"embedded dataset {path} is corrupt (SHA-256 mismatch): {FETCH_EMBEDDED}")
    try:
        with np.load(path) as f:
            data = {k: f[k] for k in f.files}
    except Exception as exc:  # zipfile/pickle errors of a damaged file
        raise DatasetError(f"embedded dataset {path} cannot be read ({exc}): {FETCH_EMBEDDED}") from exc
    for split in ("train", "val", "test"):
        data[f"y_{split}"] = data[f"y_{split}"].astype(np.int64)
    data["class_names"] = FASHION_MNIST_CLASSES
    return data


# --------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
# --------------------------------------------------------------------------

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
               0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (optionally gzip-compressed) into an array.

    Format: two zero bytes, a type code, the number of dimensions n, then n
    big-endian uint32 sizes, then the data in C order.

    Inputs:
    - path: file path; names ending in .gz are decompressed

    Returns:
    - array with the stored shape (multi-byte types in native byte order)
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"IDX file {path} is missing")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"IDX file {path} cannot be read ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(f"IDX file {path} is truncated or corrupt: header says {shape} "
                           f"({expected} bytes), file holds {len(raw) - header}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_fashion_mnist(directory=None):
    """Full Fashion-MNIST from its four IDX files.

    Inputs:
    - directory: folder with train-images-idx3-ubyte(.gz) etc.
      (default: /usr/share/datasets/fashion-mnist, Debian's package)

    Returns a dict with X_train (60000, 28, 28) uint8, y_train (60000,),
    X_test (10000, 28, 28), y_test (10000,), class_names.
    """
    directory = Path(directory) if directory else FASHION_MNIST_DIR
    names = {"X_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "X_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    out = {}
    for key, stem in names.items():
        candidates = [directory / (stem + ".gz"), directory / stem]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise DatasetError(f"Fashion-MNIST file {candidates[0]} is missing: {FETCH_FASHION}")
        out[key] = read_idx(found)
    for split in ("train", "test"):
        X, y = out[f"X_{split}"], out[f"y_{split}"]
        if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise DatasetError(f"Fashion-MNIST {split} files disagree: images {X.shape}, labels {y.shape}")
        out[f"y_{split}"] = y.astype(np.int64)
    out["class_names"] = FASHION_MNIST_CLASSES
    return out


# --------------------------------------------------------------------------
# CIFAR-10 (python version)
# --------------------------------------------------------------------------

def load_cifar10_batch(path):
    """One CIFAR-10 pickle batch.

    Returns a tuple of:
    - X: uint8 images, shape (n, 32, 32, 3)
    - y: int64 labels, shape (n,)
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"CIFAR-10 batch {path} is missing: {FETCH_CIFAR}")
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        X = np.asarray(batch["data"], dtype=np.uint8)
        y = np.asarray(batch["labels"], dtype=np.int64)
    except Exception as exc:
        raise DatasetError(f"CIFAR-10 batch {path} is corrupt ({exc}): {FETCH_CIFAR}") from exc
    if X.ndim != 2 or X.shape[1] != 3072 or X.shape[0] != y.shape[0]:
        raise DatasetError(f"CIFAR-10 batch {path} has data {X.shape} and {y.shape[0]} labels; "
                           f"expected (n, 3072) and n: {FETCH_CIFAR}")
    # rows store the 1024 red, then green, then blue values of one image
    return X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), y


def load_cifar10(directory=None):
    """CIFAR-10 from the extracted ``cifar-10-batches-py`` folder.

    Inputs:
    - directory: the folder (default: datasets/cifar-10-batches-py)

    Returns a dict with X_train (50000, 32, 32, 3) uint8, y_train (50000,),
    X_test (10000, 32, 32, 3), y_test (10000,), class_names.
    """
    directory = Path(directory) if directory else datasets_dir() / "cifar-10-batches-py"
    if not directory.is_dir():
        raise DatasetError(f"CIFAR-10 folder {directory} is missing: {FETCH_CIFAR}")
    parts = [load_cifar10_batch(directory / f"data_batch_{i}") for i in range(1, 6)]
    X_test, y_test = load_cifar10_batch(directory / "test_batch")
    return {"X_train": np.concatenate([p[0] for p in parts]),
            "y_train": np.concatenate([p[1] for p in parts]),
            "X_test": X_test, "y_test": y_test, "class_names": CIFAR10_CLASSES}


def flatten_scaled(X):
    """Images (N, ...) uint8 -> float64 features (N, D) in [0, 1]."""
    return X.reshape(X.shape[0], -1).astype(np.float64) / 255.0


def sample_photo_patches(count=500, size=32, seed=0):
    """Colour patches cut from the sample photograph that matplotlib installs.

    A small colour image set that needs no download (used when CIFAR-10 is
    not there). The photograph is "grace_hopper.jpg" from matplotlib's
    sample data.

    Returns:
    - patches: uint8 array (count, size, size, 3), NHWC
    """
    import matplotlib.cbook
    import matplotlib.image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        photo = matplotlib.image.imread(f, format="jpg")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, photo.shape[0] - size, count)
    cols = rng.integers(0, photo.shape[1] - size, count)
    return np.stack([photo[r:r + size, c:c + size, :3] for r, c in zip(rows, cols)]).astype(np.uint8)


def corrupt_labels(y, fraction, num_classes=10, seed=0):
    """A copy of the labels y in which exactly round(fraction * N) are wrong.

    The corrupted examples are drawn at random, and each gets a random class
    other than its own. Notebooks 04 and 07 use it for the same noisy-label
    training set, where a network that memorizes its labels learns the noise.

    Returns:
    - noisy: int array like y
    - wrong: bool array, True where the label was replaced
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    wrong = np.zeros(y.shape[0], dtype=bool)
    wrong[rng.choice(y.shape[0], int(round(fraction * y.shape[0])), replace=False)] = True
    noisy = y.copy()
    noisy[wrong] = (y[wrong] + rng.integers(1, num_classes, wrong.sum())) % num_classes
    return noisy, wrong
