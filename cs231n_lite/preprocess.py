"""Data preprocessing as fit/apply pairs (notebook 02_data_preprocessing.ipynb).

Every transform is split in two: ``fit_*`` computes statistics from the
TRAINING data only and returns them; the matching apply function uses those
statistics, unchanged, on any data (train, validation, test, or a single
new example). An apply function never computes statistics of its input.

Data matrices are (N, D) (one example per row) unless a docstring says
otherwise; images are (N, H, W, C) ('NHWC') or (N, C, H, W) ('NCHW').
"""
import numpy as np

CHANNEL_AXIS = {"NHWC": 3, "NCHW": 1}


def fit_mean(X):
    """The mean over the training examples (the 'mean image' for images).

    Inputs:
    - X: training data, shape (N, ...) with examples along axis 0

    Returns:
    - mean: shape X.shape[1:], float64
    """
    ### BEGIN SOLUTION
    mean = X.mean(axis=0, dtype=np.float64)
    ### END SOLUTION
    return mean


def subtract_mean(X, mean):
    """Zero-center X with a mean fitted on the training data.

    Inputs:
    - X: shape (N, ...), any split
    - mean: from fit_mean, shape X.shape[1:]

    Returns:
    - shape of X, float64
    """
    ### BEGIN SOLUTION
    out = X - mean
    ### END SOLUTION
    return out


def fit_channel_mean(X, layout="NHWC"):
    """One mean per colour channel, over examples and pixel positions.

    Inputs:
    - X: training images, (N, H, W, C) for 'NHWC' or (N, C, H, W) for 'NCHW'
    - layout: 'NHWC' or 'NCHW'

    Returns:
    - channel_mean: shape (C,), float64
    """
    channel_axis = CHANNEL_AXIS[layout]
    ### BEGIN SOLUTION
    axes = tuple(a for a in range(4) if a != channel_axis)
    channel_mean = X.mean(axis=axes, dtype=np.float64)
    ### END SOLUTION
    return channel_mean


def subtract_channel_mean(X, channel_mean, layout="NHWC"):
    """Subtract a per-channel mean (from fit_channel_mean) from images.

    Inputs:
    - X: images in `layout`, any split
    - channel_mean: from fit_channel_mean, shape (C,)
    - layout: 'NHWC' or 'NCHW' (the channels are axis 3 or axis 1)

    Returns:
    - shape of X, float64
    """
    ### BEGIN SOLUTION
    shape = [1, 1, 1, 1]
    shape[CHANNEL_AXIS[layout]] = -1
    out = X - channel_mean.reshape(shape)
    ### END SOLUTION
    return out


def fit_standardize(X, min_std=1e-8):
    """Per-feature mean and standard deviation of the training data.

    A feature that is (nearly) constant in the training data, std < min_std
    (strictly: a std equal to min_std is used as it is), e.g. a border pixel
    that is always 0, gets std 1, so that standardizing leaves it at 0
    instead of dividing by (almost) zero.

    Inputs:
    - X: training data, shape (N, D)
    - min_std: smallest standard deviation used as it is

    Returns:
    - stats: dict with 'mean' and 'std', each of shape (D,)
    """
    ### BEGIN SOLUTION
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std < min_std, 1.0, std)
    ### END SOLUTION
    return {"mean": mean, "std": std}


def standardize(X, stats):
    """(X - mean) / std with the training statistics from fit_standardize.

    Inputs:
    - X: shape (N, D), any split
    - stats: dict from fit_standardize

    Returns:
    - shape (N, D), float64
    """
    ### BEGIN SOLUTION
    out = (X - stats["mean"]) / stats["std"]
    ### END SOLUTION
    return out


def fit_minmax(X):
    """Per-feature minimum and maximum of the training data.

    Inputs:
    - X: training data, shape (N, D)

    Returns:
    - stats: dict with 'min' and 'max', each of shape (D,)
    """
    ### BEGIN SOLUTION
    stats = {"min": X.min(axis=0).astype(np.float64), "max": X.max(axis=0).astype(np.float64)}
    ### END SOLUTION
    return stats


def minmax_scale(X, stats):
    """Map each feature's training range [min, max] linearly onto [-1, 1].

    A feature with max == min in training maps to 0. Data outside the
    training range maps outside [-1, 1] (nothing is clipped).

    Inputs:
    - X: shape (N, D), any split
    - stats: dict from fit_minmax

    Returns:
    - shape (N, D), float64
    """
    ### BEGIN SOLUTION
    span = stats["max"] - stats["min"]
    safe = np.where(span > 0, span, 1.0)
    out = np.where(span > 0, 2.0 * (X - stats["min"]) / safe - 1.0, 0.0)
    ### END SOLUTION
    return out


def _eigen_covariance(X):
    """Mean, and eigenvalues (descending) / eigenvectors of the covariance of X (given)."""
    mean = X.mean(axis=0)
    centered = X - mean
    cov = centered.T @ centered / X.shape[0]
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    # sign convention: the largest-magnitude entry of each eigenvector is positive
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return mean, values, vectors * signs


def fit_pca(X, k):
    """Principal component analysis of the training data.

    The components are the top-k eigenvectors of the covariance matrix
    (1/N) (X - mean)^T (X - mean), in decreasing order of eigenvalue, each
    signed so that its largest-magnitude entry is positive.

    Inputs:
    - X: training data, shape (N, D)
    - k: number of components, 1 <= k <= D

    Returns:
    - pca: dict with
      'mean' (D,), 'components' (D, k) with orthonormal columns,
      'explained_variance' (k,) the top-k eigenvalues,
      'explained_variance_ratio' (k,) their fraction of the total variance
    """
    ### BEGIN SOLUTION
    mean, values, vectors = _eigen_covariance(X)
    pca = {"mean": mean, "components": vectors[:, :k], "explained_variance": values[:k],
           "explained_variance_ratio": values[:k] / values.sum()}
    ### END SOLUTION
    return pca


def pca_transform(X, pca):
    """Coordinates of X in the PCA basis (decorrelated data).

    Inputs:
    - X: shape (N, D), any split
    - pca: dict from fit_pca

    Returns:
    - shape (N, k)
    """
    ### BEGIN SOLUTION
    out = (X - pca["mean"]) @ pca["components"]
    ### END SOLUTION
    return out


def fit_whitening(X, eps=1e-5, kind="pca"):
    """A whitening matrix fitted on the training data.

    With the covariance's eigendecomposition U diag(S) U^T (S descending,
    U signed as in fit_pca):
    - 'pca': W = U diag(1 / sqrt(S + eps)), whitened data in the PCA basis
    - 'zca': W = U diag(1 / sqrt(S + eps)) U^T, whitened data that stays as
      close as possible to the original (still looks like images)
    eps keeps near-zero eigenvalues (directions with no variance, e.g.
    constant pixels) from blowing up.

    Inputs:
    - X: training data, shape (N, D)
    - eps: added to every eigenvalue
    - kind: 'pca' or 'zca'

    Returns:
    - whitening: dict with 'mean' (D,) and 'W' (D, D)
    """
    if kind not in ("pca", "zca"):
        raise ValueError(f"kind must be 'pca' or 'zca', got {kind!r}")
    ### BEGIN SOLUTION
    mean, values, vectors = _eigen_covariance(X)
    W = vectors / np.sqrt(values + eps)
    if kind == "zca":
        W = W @ vectors.T
    ### END SOLUTION
    return {"mean": mean, "W": W}


def whiten(X, whitening):
    """Whiten X with a matrix from fit_whitening: (X - mean) @ W.

    Inputs:
    - X: shape (N, D), any split
    - whitening: dict from fit_whitening

    Returns:
    - shape (N, D)
    """
    ### BEGIN SOLUTION
    out = (X - whitening["mean"]) @ whitening["W"]
    ### END SOLUTION
    return out
