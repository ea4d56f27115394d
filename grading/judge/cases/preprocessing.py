"""Cases of the preprocessing fit/apply pairs (notebook 02; selfcheck/preprocessing.py)."""
import numpy as np

from cs231n_lite import preprocess

from .common import check_case, fixture_dict


def _standardize_case(rng, X, min_std):
    """fit_standardize's fields: X with features whose std is 0, 1e-10, min_std / 10 and exactly min_std.

    A guard written ``std == 0``, one that ignores min_std (1e-8) and one
    written ``std <= min_std`` each treat one of these features wrongly.
    The exact one alternates 4 +- min_std (a power of 2): its mean, deviations
    and std are computed exactly by any sound formula.
    """
    X = X.copy()
    n = len(X)
    X[:, 3] = 4.0 + 1e-10 * rng.standard_normal(n)
    X[:, 4] = -2.0 + 0.1 * min_std * rng.standard_normal(n)
    X[:, 5] = 4.0 + min_std * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    given, default = preprocess.fit_standardize(X, min_std=min_std), preprocess.fit_standardize(X)
    return {"X": X, "min_std": min_std, "mean": given["mean"], "std": given["std"],
            "std_default": default["std"]}


def build(case, seed):
    """Fixtures of the preprocessing fit/apply pairs: {'<function>/<field>': array}."""
    visible = check_case(case)
    rng = np.random.default_rng(seed)
    fx, add = fixture_dict()

    # images: train and a brighter test split, as float pixel values
    N, H, W, C = (6, 4, 5, 3) if visible else (5, 3, 7, 2)
    offsets = rng.uniform(40, 200, C)
    images = lambda n, shift: np.clip(rng.normal(offsets + shift, 30, (n, H, W, C)), 0, 255).round()
    X_img, X_img_test = images(N, 0), images(3, 25)
    mean = preprocess.fit_mean(X_img)
    add("fit_mean", {"X": X_img, "mean": mean})
    add("subtract_mean", {"X_train": X_img, "X": X_img_test, "mean": mean,
                          "out": preprocess.subtract_mean(X_img_test, mean)})
    for layout, X, Xt in (("NHWC", X_img, X_img_test),
                          ("NCHW", X_img.transpose(0, 3, 1, 2), X_img_test.transpose(0, 3, 1, 2))):
        cm = preprocess.fit_channel_mean(X, layout)
        add("fit_channel_mean", {f"X_{layout}": X, f"channel_mean_{layout}": cm})
        add("subtract_channel_mean", {f"X_{layout}": Xt, f"channel_mean_{layout}": cm,
                                      f"out_{layout}": preprocess.subtract_channel_mean(Xt, cm, layout)})

    # feature matrices: correlated, offset, one constant feature
    N, D = (40, 6) if visible else (60, 7)
    mixing = rng.standard_normal((D, D)) * rng.uniform(0.2, 5.0, D)
    features = lambda n, shift: rng.standard_normal((n, D)) @ mixing + 10 + shift
    X, X_test = features(N, 0.0), features(9, 1.5)
    X_test[:2] = X.max(axis=0) + 1.0, X.min(axis=0) - 1.0   # outside the training range (not clipped)
    X[:, 2], X_test[:, 2] = 4.0, 4.5                 # constant in training
    stats = preprocess.fit_standardize(X)
    add("fit_standardize", _standardize_case(rng, X, 2.0 ** -10 if visible else 2.0 ** -12))
    add("standardize", {"X_train": X, "X": X_test, "mean": stats["mean"], "std": stats["std"],
                        "out": preprocess.standardize(X_test, stats)})
    mm = preprocess.fit_minmax(X)
    add("fit_minmax", {"X": X, "min": mm["min"], "max": mm["max"]})
    add("minmax_scale", {"X_train": X, "X": X_test, "min": mm["min"], "max": mm["max"],
                         "out": preprocess.minmax_scale(X_test, mm)})

    # PCA / whitening: a nearly redundant feature makes one eigenvalue ~0
    Xp = rng.standard_normal((N, D)) @ mixing + 5.0
    Xp[:, -1] = Xp[:, 0] - 0.5 * Xp[:, 1] + 1e-4 * rng.standard_normal(N)
    Xp_test = rng.standard_normal((9, D)) @ mixing + 5.0
    k = 3 if visible else 4
    pca = preprocess.fit_pca(Xp, k)
    add("fit_pca", {"X": Xp, "k": k, **pca})
    add("pca_transform", {"X_train": Xp, "X": Xp_test, **pca, "out": preprocess.pca_transform(Xp_test, pca)})
    eps = 1e-4 if visible else 1e-3          # not the default 1e-5: an ignored eps shows
    for kind in ("pca", "zca"):
        wh = preprocess.fit_whitening(Xp, eps=eps, kind=kind)
        add("fit_whitening", {"X": Xp, "eps": eps, "mean": wh["mean"], f"W_{kind}": wh["W"]})
        add("whiten", {"X_train": Xp, "X": Xp_test, "mean": wh["mean"], f"W_{kind}": wh["W"],
                       f"out_{kind}": preprocess.whiten(Xp_test, wh)})
    return fx
