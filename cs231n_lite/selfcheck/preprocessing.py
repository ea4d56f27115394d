"""Tests of the preprocessing fit/apply pairs (notebook 02_data_preprocessing.ipynb).

Apply functions are tested on a *test split* that differs from the training
split, with statistics fitted on the training split: an apply function that
recomputes statistics of its own input is caught and named.
"""
import numpy as np

from .feedback import CheckFailed, call, expect_array
from .fixtures import load
from .registry import Suite

TOPIC = "preprocessing"
NOTEBOOK = "02_data_preprocessing.ipynb"
SUITE = Suite(module="preprocess", notebook=NOTEBOOK, fixtures="preprocessing")
TOL = 1e-9
REFIT = ("statistics were recomputed from the data being transformed; an apply function must use "
         "the statistics fitted on the training data, unchanged (else test data is normalized "
         "with its own statistics).")



def _dict_result(name, result, keys):
    if not isinstance(result, dict) or not set(keys) <= set(result):
        got = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise CheckFailed(f"{name} must return a dict with keys {list(keys)}; got {got}.")
    return result


def _single_example(name, fn, X, expected, *args):
    """An apply function must work on one example alone (no statistics of its input)."""
    out, _ = call(fn, name, X[:1], *args)
    expect_array(name, "output for a single example (N = 1)", out, expected[:1], TOL,
                 mistakes=[(REFIT, np.zeros_like(expected[:1]))])


# --------------------------------------------------------------------------
@SUITE.graded("fit_mean", points=1)
def test_fit_mean(fit_mean, case="visible"):
    f = load(TOPIC, "fit_mean", case)
    X = f["X"]
    mean, _ = call(fit_mean, "fit_mean", X)
    expect_array("fit_mean", "mean", mean, f["mean"], TOL, mistakes=[
        ("the mean was taken over the wrong axis: average over the examples (axis 0), which gives "
         "one value per feature / pixel, not one per example.", X.reshape(len(X), -1).mean(axis=1)),
        ("the mean was taken over everything (one number); the mean image keeps one value per pixel.",
         np.full(f["mean"].shape, X.mean())),
    ])


@SUITE.graded("subtract_mean", points=1)
def test_subtract_mean(subtract_mean, case="visible"):
    f = load(TOPIC, "subtract_mean", case)
    X, mean = f["X"], f["mean"]
    out, _ = call(subtract_mean, "subtract_mean", X, mean)
    expect_array("subtract_mean", "out", out, f["out"], TOL, mistakes=[(REFIT, X - X.mean(axis=0))])
    _single_example("subtract_mean", subtract_mean, X, f["out"], mean)


@SUITE.graded("fit_channel_mean", points=2)
def test_fit_channel_mean(fit_channel_mean, case="visible"):
    f = load(TOPIC, "fit_channel_mean", case)
    for layout, axes, wrong_axes in (("NHWC", (0, 1, 2), (0, 2, 3)), ("NCHW", (0, 2, 3), (0, 1, 2))):
        X = f[f"X_{layout}"]
        cm, _ = call(fit_channel_mean, "fit_channel_mean", X, layout)
        channel_axis = 3 if layout == "NHWC" else 1
        expect_array("fit_channel_mean", f"channel_mean for layout '{layout}'", cm,
                     f[f"channel_mean_{layout}"], TOL, mistakes=[
                         (f"the channel mean was taken over the wrong axes for layout '{layout}': the "
                          f"channels are axis {channel_axis}; average over the other three.",
                          X.mean(axis=wrong_axes)),
                         ("one mean per image and channel was returned; also average over the examples.",
                          X.mean(axis=tuple(a for a in (1, 2, 3) if a != channel_axis))),
                     ])


@SUITE.graded("subtract_channel_mean", points=1)
def test_subtract_channel_mean(subtract_channel_mean, case="visible"):
    f = load(TOPIC, "subtract_channel_mean", case)
    for layout in ("NHWC", "NCHW"):
        X, cm = f[f"X_{layout}"], f[f"channel_mean_{layout}"]
        out, _ = call(subtract_channel_mean, "subtract_channel_mean", X, cm, layout)
        channel_axis = 3 if layout == "NHWC" else 1
        axes = tuple(a for a in range(4) if a != channel_axis)
        expect_array("subtract_channel_mean", f"out for layout '{layout}'", out, f[f"out_{layout}"], TOL,
                     mistakes=[(REFIT, X - X.mean(axis=axes, keepdims=True))])


@SUITE.graded("fit_standardize", points=2)
def test_fit_standardize(fit_standardize, case="visible"):
    f = load(TOPIC, "fit_standardize", case)
    X = f["X"]
    stats, _ = call(fit_standardize, "fit_standardize", X)
    stats = _dict_result("fit_standardize", stats, ("mean", "std"))
    expect_array("fit_standardize", "mean", stats["mean"], f["mean"], TOL, mistakes=[
        ("the statistics were taken per example (axis 1); standardization is per feature (axis 0).",
         X.mean(axis=1))])
    raw_std = X.std(axis=0)
    expect_array("fit_standardize", "std", stats["std"], f["std"], TOL, mistakes=[
        ("a feature that is constant in training has std 0; it must get std 1 (the guard), or "
         "standardizing divides by zero.", raw_std),
        ("the std is the unbiased one (ddof=1); use np.std's default.", np.where(raw_std < 1e-8, 1.0, X.std(axis=0, ddof=1))),
        ("the statistics were taken per example (axis 1); standardization is per feature (axis 0).", X.std(axis=1)),
    ])


@SUITE.graded("standardize", points=1)
def test_standardize(standardize, case="visible"):
    f = load(TOPIC, "standardize", case)
    X, stats = f["X"], {"mean": f["mean"], "std": f["std"]}
    out, _ = call(standardize, "standardize", X, stats)
    with np.errstate(all="ignore"):
        refit = (X - X.mean(axis=0)) / np.where(X.std(axis=0) < 1e-8, 1.0, X.std(axis=0))
    expect_array("standardize", "out", out, f["out"], TOL, mistakes=[(REFIT, refit)])
    _single_example("standardize", standardize, X, f["out"], stats)


@SUITE.graded("fit_minmax", points=1)
def test_fit_minmax(fit_minmax, case="visible"):
    f = load(TOPIC, "fit_minmax", case)
    X = f["X"]
    stats, _ = call(fit_minmax, "fit_minmax", X)
    stats = _dict_result("fit_minmax", stats, ("min", "max"))
    for key, wrong in (("min", X.min(axis=1)), ("max", X.max(axis=1))):
        expect_array("fit_minmax", key, stats[key], f[key], TOL, mistakes=[
            ("the range was taken per example (axis 1); take it per feature (axis 0).", wrong)])


@SUITE.graded("minmax_scale", points=2)
def test_minmax_scale(minmax_scale, case="visible"):
    f = load(TOPIC, "minmax_scale", case)
    X, stats = f["X"], {"min": f["min"], "max": f["max"]}
    out, _ = call(minmax_scale, "minmax_scale", X, stats)
    span = np.where(f["max"] > f["min"], f["max"] - f["min"], 1.0)
    with np.errstate(all="ignore"):
        to_unit = np.where(f["max"] > f["min"], (X - f["min"]) / span, 0.0)
        refit_span = X.max(axis=0) - X.min(axis=0)
        refit = np.where(refit_span > 0, 2 * (X - X.min(axis=0)) / np.where(refit_span > 0, refit_span, 1) - 1, 0.0)
    expect_array("minmax_scale", "out", out, f["out"], TOL, mistakes=[
        ("the result is in [0, 1]; map onto [-1, 1]: 2 * (x - min) / (max - min) - 1.", to_unit),
        (REFIT, refit),
        ("values outside the training range were clipped; keep them (test data can exceed it).",
         np.clip(f["out"], -1, 1)),
    ])


def _signs_hint(got, expected):
    """Explanation when columns match up to sign, else None."""
    if got.shape == expected.shape and np.allclose(np.abs(got), np.abs(expected), atol=1e-8) \
            and not np.allclose(got, expected, atol=1e-8):
        return ("the components match up to their signs; flip each so that its largest-magnitude "
                "entry is positive (the convention stated in the docstring).")
    return None


@SUITE.graded("fit_pca", points=3)
def test_fit_pca(fit_pca, case="visible"):
    f = load(TOPIC, "fit_pca", case)
    X, k = f["X"], int(f["k"])
    pca, _ = call(fit_pca, "fit_pca", X, k)
    pca = _dict_result("fit_pca", pca, ("mean", "components", "explained_variance", "explained_variance_ratio"))
    again, _ = call(fit_pca, "fit_pca", X, k)
    if not np.array_equal(np.asarray(again["components"]), np.asarray(pca["components"])):
        raise CheckFailed("fit_pca: fitting the same data twice gave different components; the fit "
                          "must be deterministic (no random initialization or sampling).")
    expect_array("fit_pca", "mean", pca["mean"], f["mean"], TOL)
    uncentered = np.linalg.eigh(X.T @ X / len(X))[1][:, ::-1][:, :k]
    comps = np.asarray(pca["components"])
    hint = _signs_hint(comps, f["components"])
    if hint:
        raise CheckFailed(f"fit_pca: components differ from the reference in sign. Likely mistake: {hint}")
    signed = uncentered * np.sign(uncentered[np.abs(uncentered).argmax(axis=0), np.arange(k)])
    expect_array("fit_pca", "components", comps, f["components"], 1e-7, mistakes=[
        ("PCA was computed on uncentred data: subtract the training mean before the covariance.", signed),
        ("the components are rows; return them as the (D, k) columns.", f["components"].T),
    ])
    expect_array("fit_pca", "explained_variance", pca["explained_variance"], f["explained_variance"], 1e-9,
                 mistakes=[("the variance is divided by N - 1; use 1/N as in the docstring.",
                            f["explained_variance"] * len(X) / (len(X) - 1))])
    expect_array("fit_pca", "explained_variance_ratio", pca["explained_variance_ratio"],
                 f["explained_variance_ratio"], 1e-9)


@SUITE.graded("pca_transform", points=1)
def test_pca_transform(pca_transform, case="visible"):
    f = load(TOPIC, "pca_transform", case)
    pca = {k: f[k] for k in ("mean", "components", "explained_variance", "explained_variance_ratio")}
    X = f["X"]
    out, _ = call(pca_transform, "pca_transform", X, pca)
    expect_array("pca_transform", "out", out, f["out"], TOL, mistakes=[
        ("the data was not centred with the training mean before projecting.", X @ f["components"]),
        (REFIT, (X - X.mean(axis=0)) @ f["components"]),
    ])


@SUITE.graded("fit_whitening", points=3)
def test_fit_whitening(fit_whitening, case="visible"):
    f = load(TOPIC, "fit_whitening", case)
    X, eps = f["X"], float(f["eps"])
    centered = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(centered.T @ centered / len(X))
    for kind in ("pca", "zca"):
        result, _ = call(fit_whitening, "fit_whitening", X, eps=eps, kind=kind)
        result = _dict_result("fit_whitening", result, ("mean", "W"))
        W = np.asarray(result["W"])
        expect_array("fit_whitening", f"mean ({kind})", result["mean"], f["mean"], TOL)
        if kind == "pca":
            hint = _signs_hint(W, f["W_pca"])
            if hint:
                raise CheckFailed(f"fit_whitening: W (pca) differs from the reference in sign. Likely mistake: {hint}")
        with np.errstate(all="ignore"):
            no_eps = vectors / np.sqrt(np.clip(values, 0, None))
            if kind == "zca":
                no_eps = no_eps @ vectors.T
        if np.isfinite(W).all() and np.abs(W).max() > 10 * np.abs(f[f"W_{kind}"]).max():
            raise CheckFailed(f"fit_whitening: W ({kind}) has entries up to {np.abs(W).max():.3g} where "
                              f"the reference stays below {np.abs(f[f'W_{kind}']).max():.3g}. Likely "
                              "mistake: whitening without eps; a near-zero eigenvalue blows up 1 / sqrt(S). "
                              "Use 1 / sqrt(S + eps).")
        expect_array("fit_whitening", f"W ({kind})", W, f[f"W_{kind}"], 1e-6, floor=1e-6 * np.abs(f[f"W_{kind}"]).max(),
                     mistakes=[("whitening without eps: use 1 / sqrt(S + eps).", no_eps)])
        # the property that defines whitening: identity covariance for the kept directions
        if kind != "pca":
            continue
        white = centered @ W
        cov = white.T @ white / len(X)
        expected_diag = np.sort(np.clip(values, 0, None) / (np.clip(values, 0, None) + eps))[::-1]
        if not np.allclose(np.diag(cov), expected_diag, atol=1e-6):
            raise CheckFailed("fit_whitening: the whitened training data does not have covariance "
                              "diag(S / (S + eps)).")


@SUITE.graded("whiten", points=1)
def test_whiten(whiten, case="visible"):
    f = load(TOPIC, "whiten", case)
    X = f["X"]
    for kind in ("pca", "zca"):
        wh = {"mean": f["mean"], "W": f[f"W_{kind}"]}
        out, _ = call(whiten, "whiten", X, wh)
        expect_array("whiten", f"out ({kind})", out, f[f"out_{kind}"], 1e-9, floor=1e-9 * np.abs(f[f"out_{kind}"]).max(),
                     mistakes=[(REFIT, (X - X.mean(axis=0)) @ wh["W"]),
                               ("the data was not centred with the training mean.", X @ wh["W"])])
