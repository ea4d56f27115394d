"""Build the embedded Fashion-MNIST subset from the full IDX files.

    apt-get install dataset-fashion-mnist
    python datasets/build_fashion_subset.py

Writes datasets/fashion_mnist_small.npz (class-balanced, seeded: 1000 train
and 100 validation images per class from the official training set, 100
test images per class from the official test set; uint8) and its SHA-256.
"""
import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from cs231n_lite.data import FASHION_MNIST_DIR, load_fashion_mnist  # noqa: E402

PER_CLASS = {"train": 1000, "val": 100, "test": 100}
SEED = 231


def balanced_split(y, counts, rng):
    """Disjoint index arrays, counts[name] per class each, in shuffled order."""
    picks = {name: [] for name in counts}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        start = 0
        for name, n in counts.items():
            picks[name].append(idx[start:start + n])
            start += n
    return {name: rng.permutation(np.concatenate(v)) for name, v in picks.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(FASHION_MNIST_DIR))
    parser.add_argument("--out", default=str(HERE / "fashion_mnist_small.npz"))
    args = parser.parse_args()

    full = load_fashion_mnist(args.source)
    rng = np.random.default_rng(SEED)
    train_val = balanced_split(full["y_train"], {"train": PER_CLASS["train"], "val": PER_CLASS["val"]}, rng)
    test = balanced_split(full["y_test"], {"test": PER_CLASS["test"]}, rng)["test"]
    arrays = {
        "X_train": full["X_train"][train_val["train"]], "y_train": full["y_train"][train_val["train"]].astype(np.uint8),
        "X_val": full["X_train"][train_val["val"]], "y_val": full["y_train"][train_val["val"]].astype(np.uint8),
        "X_test": full["X_test"][test], "y_test": full["y_test"][test].astype(np.uint8),
    }
    out = Path(args.out)
    np.savez_compressed(out, **arrays)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_suffix(".sha256").write_text(f"{digest}  {out.name}\n")
    sizes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items() if k.startswith("X"))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {sizes}")


if __name__ == "__main__":
    main()
