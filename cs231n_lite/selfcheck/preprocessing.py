"""Tests of the preprocessing fit/apply pairs (notebook 02_data_preprocessing.ipynb).

Apply functions are tested on a *test split* that differs from the training
split, with statistics fitted on the training split: an apply function that
recomputes statistics of its own input is caught and named. Each test's
docstring lists the mistakes its messages name.
"""
import numpy as np

from .feedback import CheckFailed, call, expect_array
from .registry import Suite

NOTEBOOK = "02_data_preprocessing.ipynb"
SUITE = Suite(module="preprocess", notebook=NOTEBOOK, fixtures="preprocessing")
TOL = 1e-9
REFIT = ("statistics were recomputed from the data being transformed; an apply function must use "
         "the statistics fitted on the training data, unchanged (else test data is normalized "
         "with its own statistics).")
NOT_CENTRED = "the data was not centred with the training mean before projecting: (X - mean) @ ..."


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


def _float64_from_float32(name, fn, X, expected, *args, what="the output"):
    """The docstring's float64 promise, on float32 input (where numpy's own mean stays float32)."""
    out, _ = call(fn, name, X.astype(np.float32), *args)
    if isinstance(out, dict):
        out = out.get("mean")
    expect_array(name, f"{what} for float32 input", out, expected, 1e-5, dtype=np.float64, dtype_hint=(
        "numpy's mean of float32 data stays float32, and the docstring promises float64: average with "
        "dtype=np.float64 (X.mean(axis=..., dtype=np.float64))."))


# --------------------------------------------------------------------------
@SUITE.graded("fit_mean", points=1)
def test_fit_mean(fit_mean, case="visible"):
    """Named mistakes: the mean over the wrong axis (per example); one number for everything; the
    per-channel mean instead of the mean image; float32 kept for float32 input (float64 promised)."""
    f = SUITE.load("fit_mean", case)
    X = f["X"]
    mean, _ = call(fit_mean, "fit_mean", X)
    expect_array("fit_mean", "mean", mean, f["mean"], TOL, mistakes=[
        ("the mean was taken over the wrong axis: average over the examples (axis 0), which gives "
         "one value per feature / pixel, not one per example.", X.reshape(len(X), -1).mean(axis=1)),
        ("the mean was taken over everything (one number); the mean image keeps one value per pixel.",
         np.full(f["mean"].shape, X.mean())),
        ("the mean was taken over everything (one number); the mean image keeps one value per pixel.",
         np.array(X.mean())),
        ("that is the per-channel mean; the mean image keeps one value per pixel and channel, "
         "X.mean(axis=0).", X.mean(axis=tuple(range(X.ndim - 1)))),
    ])
    _float64_from_float32("fit_mean", fit_mean, X, f["mean"], what="mean")


@SUITE.graded("subtract_mean", points=1)
def test_subtract_mean(subtract_mean, case="visible"):
    """Named mistakes: the mean refitted on the data transformed; the mean added; the input changed
    in place; a single example broken."""
    f = SUITE.load("subtract_mean", case)
    X, mean = f["X"], f["mean"]
    out, _ = call(subtract_mean, "subtract_mean", X, mean)
    expect_array("subtract_mean", "out", out, f["out"], TOL, mistakes=[
        (REFIT, X - X.mean(axis=0)), ("the mean was added instead of subtracted.", X + mean)])
    _single_example("subtract_mean", subtract_mean, X, f["out"], mean)
    _float64_from_float32("subtract_mean", subtract_mean, X, f["out"], mean)


@SUITE.graded("fit_channel_mean", points=2)
def test_fit_channel_mean(fit_channel_mean, case="visible"):
    """Named mistakes: the wrong axes for a layout (NHWC vs NCHW ignored); one mean per image and
    channel; float32 kept for float32 input."""
    f = SUITE.load("fit_channel_mean", case)
    for layout, wrong_axes in (("NHWC", (0, 2, 3)), ("NCHW", (0, 1, 2))):
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
    for layout in ("NHWC", "NCHW"):
        _float64_from_float32("fit_channel_mean", fit_channel_mean, f[f"X_{layout}"], f[f"channel_mean_{layout}"],
                              layout, what=f"channel_mean for layout '{layout}'")


BROADCAST_NCHW = ("the (C,) mean broadcasts along the last axis, which is W in 'NCHW': reshape it to "
                  "(1, C, 1, 1) there (and to (1, 1, 1, C) for 'NHWC').")


@SUITE.graded("subtract_channel_mean", points=1)
def test_subtract_channel_mean(subtract_channel_mean, case="visible"):
    """Named mistakes: the mean refitted on the data transformed; the (C,) mean broadcast along W
    for 'NCHW' (a shape error, or the wrong axis)."""
    f = SUITE.load("subtract_channel_mean", case)
    for layout in ("NHWC", "NCHW"):
        X, cm = f[f"X_{layout}"], f[f"channel_mean_{layout}"]
        try:
            out, _ = call(subtract_channel_mean, "subtract_channel_mean", X, cm, layout)
        except CheckFailed as exc:
            if layout == "NCHW" and "could not be broadcast" in str(exc):
                raise CheckFailed(f"{exc} Likely mistake: {BROADCAST_NCHW}") from None
            raise
        channel_axis = 3 if layout == "NHWC" else 1
        axes = tuple(a for a in range(4) if a != channel_axis)
        mistakes = [(REFIT, X - X.mean(axis=axes, keepdims=True))]
        if layout == "NCHW" and X.shape[3] == len(cm):
            mistakes.append((BROADCAST_NCHW, X - cm))
        expect_array("subtract_channel_mean", f"out for layout '{layout}'", out, f[f"out_{layout}"], TOL,
                     mistakes=mistakes)


@SUITE.graded("fit_standardize", points=2)
def test_fit_standardize(fit_standardize, case="visible"):
    """Named mistakes: per example (axis 1); no guard (std 0); a guard testing std == 0 instead of
    std < min_std; min_std ignored; std == min_std replaced (<= instead of <); eps added instead
    of the guard; the unbiased std."""
    name = "fit_standardize"
    f = SUITE.load(name, case)
    X, min_std = f["X"], float(f["min_std"])
    raw = X.std(axis=0)
    for kwargs, expected, guard in (({"min_std": min_std}, f["std"], min_std), ({}, f["std_default"], 1e-8)):
        stats, _ = call(fit_standardize, name, X, **kwargs)
        stats = _dict_result(name, stats, ("mean", "std"))
        expect_array(name, "mean", stats["mean"], f["mean"], TOL, mistakes=[
            ("the statistics were taken per example (axis 1); standardization is per feature (axis 0).",
             X.mean(axis=1))])
        what = f"std (min_std={min_std:g})" if kwargs else "std (default min_std)"
        mistakes = [
            ("a feature that is constant in training has std 0; it must get std 1 (the guard), or "
             "standardizing divides by zero.", raw),
            ("the guard tests std == 0; every feature whose std is below min_std (not just 0) gets std 1: "
             "std < min_std.", np.where(raw == 0, 1.0, raw)),
            ("a std equal to min_std is used as it is: replace only std < min_std (strictly).",
             np.where(raw <= guard, 1.0, raw)),
            ("min_std was added to every std; the guard replaces a std below min_std by 1 and leaves the "
             "others as they are.", raw + guard),
            ("the std is the unbiased one (ddof=1); use np.std's default.",
             np.where(X.std(axis=0, ddof=1) < guard, 1.0, X.std(axis=0, ddof=1))),
            ("the statistics were taken per example (axis 1); standardization is per feature (axis 0).",
             X.std(axis=1)),
        ]
        if kwargs:
            mistakes.insert(2, ("the min_std argument was ignored (1e-8 used); compare with the min_std "
                                "you are given.", np.where(raw < 1e-8, 1.0, raw)))
        expect_array(name, what, stats["std"], expected, TOL, mistakes=mistakes)


@SUITE.graded("standardize", points=1)
def test_standardize(standardize, case="visible"):
    """Named mistakes: statistics refitted on the data transformed; divided by the variance; the
    mean not subtracted; a single example broken."""
    f = SUITE.load("standardize", case)
    X, stats = f["X"], {"mean": f["mean"], "std": f["std"]}
    out, _ = call(standardize, "standardize", X, stats)
    with np.errstate(all="ignore"):
        refit = (X - X.mean(axis=0)) / np.where(X.std(axis=0) < 1e-8, 1.0, X.std(axis=0))
    expect_array("standardize", "out", out, f["out"], TOL, mistakes=[
        (REFIT, refit),
        ("divided by the variance; standardizing divides by the standard deviation stats['std'].",
         (X - f["mean"]) / f["std"] ** 2),
        ("the mean was not subtracted: (X - mean) / std.", X / f["std"]),
    ])
    _single_example("standardize", standardize, X, f["out"], stats)


@SUITE.graded("fit_minmax", points=1)
def test_fit_minmax(fit_minmax, case="visible"):
    """Named mistakes: the range per example (axis 1); min and max swapped."""
    f = SUITE.load("fit_minmax", case)
    X = f["X"]
    stats, _ = call(fit_minmax, "fit_minmax", X)
    stats = _dict_result("fit_minmax", stats, ("min", "max"))
    for key, wrong, other in (("min", X.min(axis=1), X.max(axis=0)), ("max", X.max(axis=1), X.min(axis=0))):
        expect_array("fit_minmax", key, stats[key], f[key], TOL, mistakes=[
            ("the range was taken per example (axis 1); take it per feature (axis 0).", wrong),
            ("'min' and 'max' are swapped.", other)])


@SUITE.graded("minmax_scale", points=2)
def test_minmax_scale(minmax_scale, case="visible"):
    """Named mistakes: onto [0, 1] instead of [-1, 1]; statistics refitted; values outside the
    training range clipped; a constant feature divided by zero (it maps to 0)."""
    f = SUITE.load("minmax_scale", case)
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
    ], nonfinite=("a feature with max == min in training was divided by max - min = 0; such a feature "
                  "maps to 0."))


from .pca import (test_fit_pca, test_fit_whitening, test_pca_transform,  # noqa: E402,F401  (notebook order)
                  test_whiten)
