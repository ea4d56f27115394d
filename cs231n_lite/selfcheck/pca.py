"""Tests of PCA and whitening (notebook 02_data_preprocessing.ipynb; the fit/apply pairs' second half).

Imported by selfcheck/preprocessing.py, whose tests come first in the
notebook. Each test's docstring lists the mistakes its messages name.
"""
import numpy as np

from .feedback import CheckFailed, call, diagnose, expect_array
from .preprocessing import NOT_CENTRED, REFIT, SUITE, TOL, _dict_result


def _signs_hint(got, expected):
    """Explanation when columns match up to sign, else None."""
    if got.shape == expected.shape and np.allclose(np.abs(got), np.abs(expected), atol=1e-8) \
            and not np.allclose(got, expected, atol=1e-8):
        return ("the components match up to their signs; flip each so that its largest-magnitude "
                "entry is positive (the convention stated in the docstring).")
    return None


def _signed(vectors):
    """Columns flipped so that each one's largest-magnitude entry is positive (the docstring's rule)."""
    k = vectors.shape[1]
    return vectors * np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(k)])


@SUITE.graded("fit_pca", points=3)
def test_fit_pca(fit_pca, case="visible"):
    """Named mistakes: uncentred data; components as rows; in ascending order of eigenvalue (eigh's
    order); signs not fixed; nondeterministic; the variance divided by N - 1; the ratio over the
    top k only."""
    f = SUITE.load("fit_pca", case)
    X, k = f["X"], int(f["k"])
    pca, _ = call(fit_pca, "fit_pca", X, k)
    pca = _dict_result("fit_pca", pca, ("mean", "components", "explained_variance", "explained_variance_ratio"))
    again, _ = call(fit_pca, "fit_pca", X, k)
    if not np.array_equal(np.asarray(again["components"]), np.asarray(pca["components"])):
        raise CheckFailed("fit_pca: fitting the same data twice gave different components. Likely mistake: "
                          "the fit must be deterministic (no random initialization or sampling).")
    expect_array("fit_pca", "mean", pca["mean"], f["mean"], TOL)
    comps = np.asarray(pca["components"])
    hint = _signs_hint(comps, f["components"])
    if hint:
        raise CheckFailed(f"fit_pca: components differ from the reference in sign. Likely mistake: {hint}")
    centered = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(centered.T @ centered / len(X))
    uncentered = np.linalg.eigh(X.T @ X / len(X))[1][:, ::-1][:, :k]
    ascending = _signed(vectors[:, :k])
    expect_array("fit_pca", "components", comps, f["components"], 1e-7, mistakes=[
        ("PCA was computed on uncentred data: subtract the training mean before the covariance.",
         _signed(uncentered)),
        ("the components are rows; return them as the (D, k) columns.", f["components"].T),
        ("the components are in ascending order of eigenvalue (np.linalg.eigh's order): take the k "
         "eigenvectors of the largest eigenvalues, largest first.", ascending),
        ("the components are in ascending order of eigenvalue (np.linalg.eigh's order): take the k "
         "eigenvectors of the largest eigenvalues, largest first.", ascending[:, ::-1]),
    ])
    ev = f["explained_variance"]
    expect_array("fit_pca", "explained_variance", pca["explained_variance"], ev, 1e-9, mistakes=[
        ("the variance is divided by N - 1 (np.cov's default); use 1/N as in the docstring.",
         ev * len(X) / (len(X) - 1)),
        ("explained_variance is in ascending order; it lists the top-k eigenvalues, largest first.", ev[::-1]),
    ])
    expect_array("fit_pca", "explained_variance_ratio", pca["explained_variance_ratio"],
                 f["explained_variance_ratio"], 1e-9, mistakes=[
                     ("the ratio divides by the sum of the k kept eigenvalues; divide by the total variance "
                      "(the sum of all D eigenvalues), so the ratios sum to less than 1.", ev / ev.sum())])


@SUITE.graded("pca_transform", points=1)
def test_pca_transform(pca_transform, case="visible"):
    """Named mistakes: the data not centred; statistics refitted; projected on the rows
    (components.T, a shape error)."""
    f = SUITE.load("pca_transform", case)
    pca = {k: f[k] for k in ("mean", "components", "explained_variance", "explained_variance_ratio")}
    X = f["X"]
    try:
        out, _ = call(pca_transform, "pca_transform", X, pca)
    except CheckFailed as exc:
        if "matmul" in str(exc) or "shapes" in str(exc) or "aligned" in str(exc):
            raise CheckFailed(f"{exc} Likely mistake: the components are the (D, k) columns: project "
                              "with (X - mean) @ components, not components.T.") from None
        raise
    expect_array("pca_transform", "out", out, f["out"], TOL, mistakes=[
        (NOT_CENTRED, X @ f["components"]),
        (REFIT, (X - X.mean(axis=0)) @ f["components"]),
    ])


def _eig(cov):
    """Eigenvalues (descending, clipped at 0) and eigenvectors (signed as in fit_pca) of a covariance."""
    values, vectors = np.linalg.eigh(cov)
    idx = np.argsort(values)[::-1]
    return np.clip(values[idx], 0, None), _signed(vectors[:, idx])


def _whitening(values, vectors, scale, kind, order="right"):
    """U diag(scale) for 'pca', U diag(scale) U^T for 'zca'; order='left' gives the transposed mistakes."""
    if kind == "pca":
        return vectors * scale if order == "right" else (vectors * scale).T
    return (vectors * scale) @ vectors.T if order == "right" else vectors.T @ np.diag(scale) @ vectors


def _whitening_variants(X, eps, kind):
    """(explanation, W) of the classic whitening mistakes, the most telling first."""
    n = len(X)
    centered = X - X.mean(axis=0)
    S, U = _eig(centered.T @ centered / n)

    def from_covariance(cov):
        s, u = _eig(cov)
        return _whitening(s, u, 1 / np.sqrt(s + eps), kind)

    with np.errstate(all="ignore"):
        variants = [
            ("eps was added outside the square root: 1 / sqrt(S + eps), not 1 / (sqrt(S) + eps).",
             _whitening(S, U, 1 / (np.sqrt(S) + eps), kind)),
            ("the square root is missing: W = U diag(1 / sqrt(S + eps)) (times U^T for ZCA).",
             _whitening(S, U, 1 / (S + eps), kind)),
            ("the covariance is divided by N - 1 (np.cov's default); the docstring's is 1/N.",
             from_covariance(centered.T @ centered / (n - 1))),
            ("the covariance of uncentred data was used: subtract the training mean first.",
             from_covariance(X.T @ X / n)),
        ]
        right = 1 / np.sqrt(S + eps)
        if kind == "pca":
            variants += [
                ("W is transposed: (X - mean) @ W needs W = U diag(1 / sqrt(S + eps)), whose columns are the "
                 "scaled eigenvectors.", _whitening(S, U, right, kind, order="left")),
                ("kind='pca' returned the ZCA matrix; PCA whitening stops at U diag(1 / sqrt(S + eps)), "
                 "without the final U^T.", _whitening(S, U, right, "zca"))]
        else:
            variants += [
                ("ZCA's product is in the wrong order: W = U diag(1 / sqrt(S + eps)) U^T, not U^T diag(...) U.",
                 _whitening(S, U, right, kind, order="left")),
                ("ZCA's product is in the wrong order: U^T (U diag(1 / sqrt(S + eps))) is just the diagonal; "
                 "multiply on the right, (U diag(...)) @ U^T.", np.diag(right)),
                ("kind='zca' returned the PCA matrix: multiply U diag(1 / sqrt(S + eps)) by U^T (that rotation "
                 "back is what keeps ZCA-whitened data close to the input).", _whitening(S, U, right, "pca"))]
        if eps != 1e-5:
            variants.append(("the eps argument was ignored (the default 1e-5 used); use the eps you are given.",
                             _whitening(S, U, 1 / np.sqrt(S + 1e-5), kind)))
        variants.append(("whitening without eps: use 1 / sqrt(S + eps).", _whitening(S, U, 1 / np.sqrt(S), kind)))
    return variants


@SUITE.graded("fit_whitening", points=3)
def test_fit_whitening(fit_whitening, case="visible"):
    """Named mistakes: no eps (or eps ignored); eps outside the square root; the square root missing;
    W transposed (PCA); ZCA's product in the wrong order; kind ignored (PCA for ZCA or the
    reverse); the covariance over N - 1 or of uncentred data; signs not fixed."""
    f = SUITE.load("fit_whitening", case)
    X, eps = f["X"], float(f["eps"])
    centered = X - X.mean(axis=0)
    values = np.linalg.eigvalsh(centered.T @ centered / len(X))
    for kind in ("pca", "zca"):
        result, _ = call(fit_whitening, "fit_whitening", X, eps=eps, kind=kind)
        result = _dict_result("fit_whitening", result, ("mean", "W"))
        W, expected = np.asarray(result["W"]), f[f"W_{kind}"]
        expect_array("fit_whitening", f"mean ({kind})", result["mean"], f["mean"], TOL)
        if kind == "pca":
            hint = _signs_hint(W, expected)
            if hint:
                raise CheckFailed(f"fit_whitening: W (pca) differs from the reference in sign. Likely mistake: {hint}")
        variants = _whitening_variants(X, eps, kind)
        if np.isfinite(W).all() and np.abs(W).max() > 10 * np.abs(expected).max() and not diagnose(W, variants):
            raise CheckFailed(f"fit_whitening: W ({kind}) has entries up to {np.abs(W).max():.3g} where "
                              f"the reference stays below {np.abs(expected).max():.3g}. Likely "
                              "mistake: whitening without eps; a near-zero eigenvalue blows up 1 / sqrt(S). "
                              "Use 1 / sqrt(S + eps).")
        expect_array("fit_whitening", f"W ({kind})", W, expected, 1e-6, floor=1e-6 * np.abs(expected).max(),
                     mistakes=variants)
        if kind == "pca":   # the property that defines whitening: identity covariance for the kept directions
            white = centered @ W
            cov = white.T @ white / len(X)
            expected_diag = np.sort(np.clip(values, 0, None) / (np.clip(values, 0, None) + eps))[::-1]
            if not np.allclose(np.diag(cov), expected_diag, atol=1e-6):
                raise CheckFailed("fit_whitening: the whitened training data does not have covariance "
                                  "diag(S / (S + eps)).")


@SUITE.graded("whiten", points=1)
def test_whiten(whiten, case="visible"):
    """Named mistakes: statistics refitted on the data transformed; the data not centred; W
    transposed (or W @ X)."""
    f = SUITE.load("whiten", case)
    X = f["X"]
    for kind in ("pca", "zca"):
        wh = {"mean": f["mean"], "W": f[f"W_{kind}"]}
        out, _ = call(whiten, "whiten", X, wh)
        expected = f[f"out_{kind}"]
        expect_array("whiten", f"out ({kind})", out, expected, 1e-9, floor=1e-9 * np.abs(expected).max(),
                     mistakes=[(REFIT, (X - X.mean(axis=0)) @ wh["W"]),
                               ("the data was not centred with the training mean.", X @ wh["W"]),
                               ("W is transposed: whitened data is (X - mean) @ W.", (X - f["mean"]) @ wh["W"].T),
                               ("the product is in the wrong order: (X - mean) @ W, one row per example.",
                                wh["W"] @ (X - f["mean"]).T)])
