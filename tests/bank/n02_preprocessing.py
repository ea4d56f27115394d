"""Bank entries of notebook 02 (cs231n_lite/preprocess.py): fit/apply pairs."""
from . import Bug, Correct

MEAN = "    mean = X.mean(axis=0, dtype=np.float64)\n"
AXES = "    axes = tuple(a for a in range(4) if a != channel_axis)\n"
GUARD = "    std = np.where(std < min_std, 1.0, std)\n"
SCALE = "    out = np.where(span > 0, 2.0 * (X - stats[\"min\"]) / safe - 1.0, 0.0)\n"
PCA = '''    mean, values, vectors = _eigen_covariance(X)
    pca = {"mean": mean, "components": vectors[:, :k], "explained_variance": values[:k],
           "explained_variance_ratio": values[:k] / values.sum()}
'''
OWN_PCA = '''    mean = X.mean(axis=0)
    values, vectors = np.linalg.eigh({cov})
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    vectors = vectors * np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(len(values))])
    pca = {{"mean": mean, "components": vectors[:, :k], "explained_variance": values[:k],
           "explained_variance_ratio": values[:k] / values.sum()}}
'''
W_PCA = "    W = vectors / np.sqrt(values + eps)\n"
ZCA = "    if kind == \"zca\":\n        W = W @ vectors.T\n"

BUGS = [
    Bug("fit_mean", "one number for everything", ((MEAN, "    mean = X.mean()\n"),), "over everything"),
    Bug("fit_mean", "the per-channel mean", ((MEAN, "    mean = X.mean(axis=(0, 1, 2), dtype=np.float64)\n"),),
        "per-channel mean"),
    Bug("fit_mean", "per example", ((MEAN, "    mean = X.reshape(len(X), -1).mean(axis=1)\n"),), "wrong axis"),
    Bug("fit_mean", "float32 kept for float32 images", ((MEAN, "    mean = X.mean(axis=0)\n"),), "dtype=np.float64"),
    Bug("subtract_mean", "refits the mean", (("    out = X - mean\n", "    out = X - X.mean(axis=0)\n"),),
        "statistics were recomputed"),
    Bug("subtract_mean", "adds the mean", (("    out = X - mean\n", "    out = X + mean\n"),), "added instead of subtracted"),
    Bug("subtract_mean", "in place", (("    out = X - mean\n", "    X -= mean\n    out = X\n"),),
        "an in-place operation on an input"),
    Bug("fit_channel_mean", "layout ignored (always NHWC)", ((AXES, "    axes = (0, 1, 2)\n"),),
        "wrong axes for layout 'NCHW'"),
    Bug("fit_channel_mean", "one mean per image", ((AXES, "    axes = tuple(a for a in range(1, 4) if a != channel_axis)\n"),),
        "one mean per image and channel"),
    Bug("fit_channel_mean", "float32 kept", (("    channel_mean = X.mean(axis=axes, dtype=np.float64)\n",
                                             "    channel_mean = X.mean(axis=axes)\n"),), "dtype=np.float64"),
    Bug("subtract_channel_mean", "refits", (("    out = X - channel_mean.reshape(shape)\n",
                                            "    out = X - X.mean(axis=tuple(a for a in range(4) if shape[a] == 1), keepdims=True)\n"),),
        "statistics were recomputed"),
    Bug("subtract_channel_mean", "no reshape for NCHW", (("    out = X - channel_mean.reshape(shape)\n",
                                                          "    out = X - channel_mean\n"),), "broadcasts along the last axis"),
    Bug("fit_standardize", "guard tests std == 0", ((GUARD, "    std = np.where(std == 0, 1.0, std)\n"),),
        "the guard tests std == 0"),
    Bug("fit_standardize", "guard with <=", ((GUARD, "    std = np.where(std <= min_std, 1.0, std)\n"),),
        "a std equal to min_std is used as it is"),
    Bug("fit_standardize", "min_std ignored", ((GUARD, "    std = np.where(std < 1e-8, 1.0, std)\n"),),
        "the min_std argument was ignored"),
    Bug("fit_standardize", "no guard", ((GUARD, ""),), "it must get std 1"),
    Bug("fit_standardize", "min_std added to every std", ((GUARD, "    std = std + min_std\n"),), "was added to every std"),
    Bug("fit_standardize", "unbiased std", (("    std = X.std(axis=0)\n", "    std = X.std(axis=0, ddof=1)\n"),), "unbiased"),
    Bug("standardize", "refits with fit_standardize(X)", (("    out = (X - stats[\"mean\"]) / stats[\"std\"]\n",
                                                         "    own = fit_standardize(X)\n"
                                                         "    out = (X - own[\"mean\"]) / own[\"std\"]\n"),),
        "statistics were recomputed"),
    Bug("standardize", "divides by the variance", (("    out = (X - stats[\"mean\"]) / stats[\"std\"]\n",
                                                   "    out = (X - stats[\"mean\"]) / stats[\"std\"] ** 2\n"),),
        "divided by the variance"),
    Bug("standardize", "mean not subtracted", (("    out = (X - stats[\"mean\"]) / stats[\"std\"]\n",
                                               "    out = X / stats[\"std\"]\n"),), "the mean was not subtracted"),
    Bug("fit_minmax", "per example", (("X.min(axis=0).astype(np.float64), \"max\": X.max(axis=0)",
                                      "X.min(axis=1).astype(np.float64), \"max\": X.max(axis=1)"),), "per example"),
    Bug("fit_minmax", "min and max swapped", (("{\"min\": X.min(axis=0).astype(np.float64), \"max\": X.max(axis=0)",
                                              "{\"max\": X.min(axis=0).astype(np.float64), \"min\": X.max(axis=0)"),),
        "swapped"),
    Bug("minmax_scale", "onto [0, 1]", ((SCALE, "    out = np.where(span > 0, (X - stats[\"min\"]) / safe, 0.0)\n"),),
        "map onto [-1, 1]"),
    Bug("minmax_scale", "clipped", ((SCALE, SCALE + "    out = np.clip(out, -1.0, 1.0)\n"),), "were clipped"),
    Bug("minmax_scale", "constant feature divided by zero",
        ((SCALE, "    out = 2.0 * (X - stats[\"min\"]) / span - 1.0\n"),), "maps to 0"),
    Bug("minmax_scale", "refits", ((SCALE, "    out = np.where(span > 0, 2.0 * (X - X.min(axis=0)) / "
                                           "np.where(X.max(axis=0) > X.min(axis=0), X.max(axis=0) - X.min(axis=0), 1.0)"
                                           " - 1.0, 0.0)\n"),), "statistics were recomputed"),
    Bug("fit_pca", "smallest components (eigh's ascending end)", ((PCA, PCA.replace("vectors[:, :k]", "vectors[:, -k:]")),),
        "ascending order"),
    Bug("fit_pca", "components as rows", ((PCA, PCA.replace("vectors[:, :k]", "vectors[:, :k].T")),), "are rows"),
    Bug("fit_pca", "ratio over the kept eigenvalues", ((PCA, PCA.replace("values[:k] / values.sum()", "values[:k] / values[:k].sum()")),),
        "sum of the k kept eigenvalues"),
    Bug("fit_pca", "uncentred covariance", ((PCA, OWN_PCA.format(cov="X.T @ X / len(X)")),), "uncentred"),
    Bug("fit_pca", "np.cov (N - 1)", ((PCA, OWN_PCA.format(cov="np.cov(X.T)")),), "N - 1"),
    Bug("fit_pca", "signs not fixed", ((PCA, OWN_PCA.format(cov="np.cov(X.T, bias=True)").replace(
        "    vectors = vectors * np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(len(values))])\n",
        "    vectors = -vectors\n")),), "up to their signs"),
    Bug("pca_transform", "not centred", (("    out = (X - pca[\"mean\"]) @ pca[\"components\"]\n",
                                         "    out = X @ pca[\"components\"]\n"),), "not centred"),
    Bug("pca_transform", "refits", (("    out = (X - pca[\"mean\"]) @ pca[\"components\"]\n",
                                    "    out = (X - X.mean(axis=0)) @ pca[\"components\"]\n"),), "statistics were recomputed"),
    Bug("pca_transform", "components.T", (("    out = (X - pca[\"mean\"]) @ pca[\"components\"]\n",
                                          "    out = (X - pca[\"mean\"]) @ pca[\"components\"].T\n"),), "not components.T"),
    Bug("fit_whitening", "no eps", ((W_PCA, "    W = vectors / np.sqrt(values)\n"),), "without eps"),
    Bug("fit_whitening", "eps outside the root", ((W_PCA, "    W = vectors / (np.sqrt(values) + eps)\n"),),
        "outside the square root"),
    Bug("fit_whitening", "no square root", ((W_PCA, "    W = vectors / (values + eps)\n"),), "the square root is missing"),
    Bug("fit_whitening", "eps ignored", ((W_PCA, "    W = vectors / np.sqrt(values + 1e-5)\n"),), "eps argument was ignored"),
    Bug("fit_whitening", "PCA W transposed", ((W_PCA, "    W = (vectors / np.sqrt(values + eps)).T\n"),), "W is transposed"),
    Bug("fit_whitening", "ZCA product on the wrong side", ((ZCA, "    if kind == \"zca\":\n        W = vectors.T @ W\n"),),
        "ZCA's product is in the wrong order"),
    Bug("fit_whitening", "kind ignored: always PCA", ((ZCA, ""),), "returned the PCA matrix"),
    Bug("fit_whitening", "kind ignored: always ZCA", ((ZCA, "    W = W @ vectors.T\n"),), "returned the ZCA matrix"),
    Bug("whiten", "refits", (("    out = (X - whitening[\"mean\"]) @ whitening[\"W\"]\n",
                             "    out = (X - X.mean(axis=0)) @ whitening[\"W\"]\n"),), "statistics were recomputed"),
    Bug("whiten", "not centred", (("    out = (X - whitening[\"mean\"]) @ whitening[\"W\"]\n",
                                  "    out = X @ whitening[\"W\"]\n"),), "not centred"),
    Bug("whiten", "W transposed", (("    out = (X - whitening[\"mean\"]) @ whitening[\"W\"]\n",
                                   "    out = (X - whitening[\"mean\"]) @ whitening[\"W\"].T\n"),), "W is transposed"),
]

CORRECT = [
    Correct("fit_mean", "float64 sum over N", ((MEAN, "    mean = X.astype(np.float64).sum(axis=0) / len(X)\n"),)),
    Correct("subtract_channel_mean", "a branch per layout", (("    out = X - channel_mean.reshape(shape)\n",
                                                              "    if layout == \"NCHW\":\n"
                                                              "        out = X - channel_mean[None, :, None, None]\n"
                                                              "    else:\n        out = X - channel_mean\n"),)),
    Correct("fit_standardize", "std from the centred squares", (("    std = X.std(axis=0)\n",
                                                                "    std = np.sqrt(((X - mean) ** 2).mean(axis=0))\n"),)),
    Correct("minmax_scale", "scaled then shifted", ((SCALE, "    out = np.where(span > 0, (X - stats[\"min\"]) / safe * 2.0 - 1.0, 0.0)\n"),)),
    Correct("fit_pca", "SVD of the centred data", ((PCA, '''    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    values = s ** 2 / len(X)
    vectors = vt.T
    vectors = vectors * np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    pca = {"mean": mean, "components": vectors[:, :k], "explained_variance": values[:k],
           "explained_variance_ratio": values[:k] / values.sum()}
'''),)),
    Correct("fit_whitening", "np.diag products", ((W_PCA, "    W = vectors @ np.diag(1.0 / np.sqrt(values + eps))\n"),)),
    Correct("whiten", "np.dot", (("    out = (X - whitening[\"mean\"]) @ whitening[\"W\"]\n",
                                 "    out = np.dot(X - whitening[\"mean\"], whitening[\"W\"])\n"),)),
]
