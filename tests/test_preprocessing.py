"""Preprocessing fit/apply pairs: reference behaviour and the named mistakes."""
import numpy as np
import pytest

from cs231n_lite import preprocess as pp
from cs231n_lite.selfcheck import preprocessing as T
from cs231n_lite.selfcheck.feedback import CheckFailed
from helpers import failure_message


def test_whitening_gives_identity_covariance_and_pca_explains_variance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 5)) @ rng.standard_normal((5, 5)) + 3
    for kind in ("pca", "zca"):
        white = pp.whiten(X, pp.fit_whitening(X, eps=1e-9, kind=kind))
        np.testing.assert_allclose(white.T @ white / len(X), np.eye(5), atol=1e-6)
    pca = pp.fit_pca(X, 5)
    assert pca["explained_variance_ratio"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pca["components"].T @ pca["components"], np.eye(5), atol=1e-12)
    z = pp.pca_transform(X, pca)
    np.testing.assert_allclose(np.cov(z.T, bias=True), np.diag(pca["explained_variance"]), atol=1e-9)
    with pytest.raises(ValueError, match="kind"):
        pp.fit_whitening(X, kind="pcaa")


def test_apply_functions_never_refit():
    X = np.arange(12.0).reshape(4, 3)
    stats = pp.fit_standardize(X)
    np.testing.assert_allclose(pp.standardize(X[:1] + 100, stats), (X[:1] + 100 - X.mean(0)) / X.std(0))
    mm = pp.fit_minmax(X)
    assert pp.minmax_scale(X[-1:] + 3, mm).max() > 1      # outside the training range: not clipped


def per_image_mean(X):
    return X.reshape(len(X), -1).mean(axis=1)


def subtract_own_mean(X, mean):
    return X - X.mean(axis=0)


def channel_mean_nhwc_always(X, layout="NHWC"):
    return X.mean(axis=(0, 1, 2))


def standardize_unguarded(X, min_std=1e-8):
    return {"mean": X.mean(0), "std": X.std(0)}


def standardize_refit(X, stats):
    return (X - X.mean(0)) / np.where(X.std(0) < 1e-8, 1, X.std(0))


def minmax_to_unit(X, stats):
    span = stats["max"] - stats["min"]
    return np.where(span > 0, (X - stats["min"]) / np.where(span > 0, span, 1), 0.0)


def pca_uncentered(X, k):
    values, vectors = np.linalg.eigh(X.T @ X / len(X))
    vectors = vectors[:, ::-1][:, :k]
    vectors = vectors * np.sign(vectors[np.abs(vectors).argmax(0), np.arange(k)])
    mean = X.mean(0)
    total = np.linalg.eigvalsh(np.cov(X.T, bias=True)).sum()
    ev = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1][:k]
    return {"mean": mean, "components": vectors, "explained_variance": ev, "explained_variance_ratio": ev / total}


def pca_flipped(X, k):
    pca = pp.fit_pca(X, k)
    pca["components"] = -pca["components"]
    return pca


def whitening_without_eps(X, eps=1e-5, kind="pca"):
    return pp.fit_whitening(X, eps=1e-14, kind=kind)


CASES = [
    (T.test_fit_mean, per_image_mean, "the mean was taken over the wrong axis"),
    (T.test_subtract_mean, subtract_own_mean, "statistics were recomputed from the data being transformed"),
    (T.test_fit_channel_mean, channel_mean_nhwc_always, "wrong axes for layout 'NCHW'"),
    (T.test_fit_standardize, standardize_unguarded, "it must get std 1 (the guard)"),
    (T.test_standardize, standardize_refit, "statistics were recomputed"),
    (T.test_minmax_scale, minmax_to_unit, "map onto [-1, 1]"),
    (T.test_fit_pca, pca_uncentered, "PCA was computed on uncentred data"),
    (T.test_fit_pca, pca_flipped, "flip each so that its largest-magnitude entry is positive"),
    (T.test_fit_whitening, whitening_without_eps, "whitening without eps"),
]


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("test,wrong,phrase", CASES, ids=[w.__name__ for _, w, _ in CASES])
def test_detector_names_the_mistake(test, wrong, phrase, case):
    assert phrase in failure_message(test, wrong, case)


def test_nondeterministic_pca_is_caught():
    calls = []

    def jittery_pca(X, k):
        calls.append(1)
        pca = pp.fit_pca(X, k)
        pca["components"] = pca["components"] * (1 + 1e-12 * len(calls))
        return pca
    with pytest.raises(CheckFailed, match="must be deterministic"):
        T.test_fit_pca(jittery_pca)


def test_api_reference_names_every_graded_function():
    from pathlib import Path
    from cs231n_lite.selfcheck import REGISTRY
    text = (Path(__file__).resolve().parent.parent / "docs" / "API.md").read_text()
    missing = [name for name in REGISTRY if name not in text
               and name.replace("_backward", "_forward/backward") not in text]
    assert missing == []
