"""Tests of the normalization layers (notebook 04_batch_normalization.ipynb).

Caches are a contract: each forward's test checks the cache its docstring
documents, and each backward's test builds that cache itself from the
fixture (the reference forward's), locally and in the grader alike. The
visible cases pass eps and momentum values that are not the defaults, so an
ignored one shows. Each test's docstring lists the mistakes its messages name.
"""
import numpy as np

from .feedback import CheckFailed, call, expect_array, expect_cache, expect_gradients, expect_outputs
from .registry import Suite

NOTEBOOK = "04_batch_normalization.ipynb"
SUITE = Suite(module="normalization", notebook=NOTEBOOK, fixtures="normalization")
FORWARD_TOL, BACKWARD_TOL, NUMERIC_TOL = 1e-9, 1e-8, 1e-6
DEFAULT_EPS, DEFAULT_MOMENTUM = 1e-5, 0.9
UNSUMMED = "{key} was not summed over the batch: {param} is shared by all N examples, so its gradient is a sum, shape (D,)."
AVERAGED = "{key} was averaged over the batch; sum it (the loss already averages over the examples)."
SWAPPED = "dgamma and dbeta are swapped: dbeta = sum(dout), dgamma = sum(dout * x_hat)."


def _normalize(x, axis, eps, ddof=0, eps_outside=False):
    """Wrong-variant helper: (x - mean) / std over `axis`."""
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    with np.errstate(all="ignore"):
        return (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))


def _check_gradients(name, values, f, mistakes):
    expect_gradients(name, ("dx", "dgamma", "dbeta"), values, f, BACKWARD_TOL, NUMERIC_TOL,
                     mistakes, relative_floor=1e-12)


def _param_mistakes(dout, x_hat, axis=0, key_prefix=""):
    """The dgamma / dbeta mistakes shared by every normalization backward (sums over `axis`)."""
    dgamma, dbeta = (dout * x_hat).sum(axis=axis), dout.sum(axis=axis)
    n = np.prod([dout.shape[a] for a in np.atleast_1d(axis)])
    return {
        "dgamma": [(UNSUMMED.format(key="dgamma", param="gamma"), dout * x_hat),
                   (AVERAGED.format(key="dgamma"), dgamma / n), (SWAPPED, dbeta)],
        "dbeta": [(UNSUMMED.format(key="dbeta", param="beta"), dout),
                  (AVERAGED.format(key="dbeta"), dbeta / n), (SWAPPED, dgamma)],
    }


# --------------------------------------------------------------------------
@SUITE.graded("batchnorm_forward", points=3)
def test_batchnorm_forward(batchnorm_forward, case="visible"):
    """Named mistakes: the unbiased variance; eps outside the root; eps or momentum ignored (the
    defaults used); the wrong axis (layer norm); gamma/beta not applied; the momentum the wrong way
    round; the running statistics replaced, not stored, or averaging the unbiased variance; test
    mode using the batch's statistics, no eps, no square root, or no gamma/beta; the cache."""
    name = "batchnorm_forward"
    f = SUITE.load(name, case)
    gamma, beta, eps, momentum = f["gamma"], f["beta"], float(f["eps"]), float(f["momentum"])
    param = {"mode": "train", "eps": eps, "momentum": momentum}
    x1 = f["x1"]
    result, _ = call(batchnorm_forward, name, x1, gamma, beta, param)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (train mode)", out, f["out1"], FORWARD_TOL, mistakes=[
        ("the variance is the unbiased one (divided by N - 1); batch normalization divides by N "
         "(np.var's default).", gamma * _normalize(x1, 0, eps, ddof=1) + beta),
        ("eps was added outside the square root: use sqrt(var + eps).",
         gamma * _normalize(x1, 0, eps, eps_outside=True) + beta),
        (f"bn_param['eps'] was ignored (the default {DEFAULT_EPS:g} used); use the eps it holds.",
         gamma * _normalize(x1, 0, DEFAULT_EPS) + beta),
        ("the features were normalized over the wrong axis (each example over its features, "
         "as layer norm does); batch norm uses the statistics of each feature over the batch, axis 0.",
         gamma * _normalize(x1, 1, eps) + beta),
        ("gamma and beta were not applied: out = gamma * x_hat + beta.", _normalize(x1, 0, eps)),
    ])
    expect_cache(name, cache, [("x_hat", f["x_hat1"], [("x_hat is the normalized x, (x - mean) * inv_std, "
                                                       "before gamma and beta.", out)]),
                               ("gamma", gamma),
                               ("inv_std", f["inv_std1"], [("inv_std is 1 / sqrt(var + eps), not the std.",
                                                            1 / f["inv_std1"])])],
                 "batchnorm_backward")
    for key in ("running_mean", "running_var"):
        if key not in param:
            raise CheckFailed(f"{name}: bn_param has no '{key}' after a train-mode call. Likely mistake: the "
                              f"running statistics were not stored back: bn_param['{key}'] = ...")
    mean, var = x1.mean(axis=0), x1.var(axis=0)
    start_mean, start_var = np.zeros_like(mean), np.ones_like(var)
    expect_array(name, "bn_param['running_mean'] after one batch", param["running_mean"],
                 f["running_mean1"], FORWARD_TOL, mistakes=[
                     ("the momentum is applied the wrong way round: running = momentum * running + "
                      "(1 - momentum) * batch_mean.", (1 - momentum) * start_mean + momentum * mean),
                     (f"bn_param['momentum'] was ignored (the default {DEFAULT_MOMENTUM:g} used).",
                      DEFAULT_MOMENTUM * start_mean + (1 - DEFAULT_MOMENTUM) * mean),
                     ("the running mean was replaced by the batch mean instead of averaged.", mean)])
    expect_array(name, "bn_param['running_var'] after one batch", param["running_var"],
                 f["running_var1"], FORWARD_TOL, mistakes=[
                     ("the momentum is applied the wrong way round: running = momentum * running + "
                      "(1 - momentum) * batch_var.", (1 - momentum) * start_var + momentum * var),
                     (f"bn_param['momentum'] was ignored (the default {DEFAULT_MOMENTUM:g} used).",
                      DEFAULT_MOMENTUM * start_var + (1 - DEFAULT_MOMENTUM) * var),
                     ("the running variance averages the unbiased variance; use the biased one "
                      "(divided by N) as for normalizing.",
                      momentum * start_var + (1 - momentum) * x1.var(axis=0, ddof=1)),
                     ("the running variance averages the batch's std; it averages the variance.",
                      momentum * start_var + (1 - momentum) * np.sqrt(var)),
                     ("the running variance was replaced by the batch variance instead of averaged.", var)])
    for x in (f["x2"], f["x3"]):
        call(batchnorm_forward, name, x, gamma, beta, param)
    expect_array(name, "bn_param['running_mean'] after three batches", param["running_mean"],
                 f["running_mean3"], FORWARD_TOL)
    expect_array(name, "bn_param['running_var'] after three batches", param["running_var"],
                 f["running_var3"], FORWARD_TOL)
    param["mode"] = "test"
    x_test, rm, rv = f["x_test"], f["running_mean3"], f["running_var3"]
    result, _ = call(batchnorm_forward, name, x_test, gamma, beta, param)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    with np.errstate(all="ignore"):
        expect_array(name, "out (test mode)", out, f["out_test"], FORWARD_TOL, mistakes=[
            ("test mode used the statistics of the test batch; it must use only "
             "bn_param['running_mean'] and bn_param['running_var'].", gamma * _normalize(x_test, 0, eps) + beta),
            ("test mode normalizes without eps: divide by sqrt(running_var + eps).",
             gamma * (x_test - rm) / np.sqrt(rv) + beta),
            ("test mode divides by running_var; divide by its square root, sqrt(running_var + eps).",
             gamma * (x_test - rm) / (rv + eps) + beta),
            ("test mode forgot gamma and beta: out = gamma * x_hat + beta in both modes.",
             (x_test - rm) / np.sqrt(rv + eps)),
        ])
    if cache is not None:
        raise CheckFailed(f"{name}: the cache in test mode must be None (as documented); got "
                          f"{type(cache).__name__}.")
    x32 = x1.astype(np.float32)
    result, _ = call(batchnorm_forward, name, x32, gamma.astype(np.float32), beta.astype(np.float32),
                     {"mode": "train", "eps": eps, "momentum": momentum})
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (float32 input)", out, f["out1"], 1e-3, dtype=np.float32, floor=1e-3)


def _test_batchnorm_backward(name, fn, case):
    f = SUITE.load("batchnorm_backward", case)
    x_hat, gamma, inv_std, dout = f["x_hat"], f["gamma"], f["inv_std"], f["dout"]
    N = len(dout)
    dx_hat = dout * gamma
    direct = dx_hat * inv_std
    through_mean = -direct.mean(axis=0)
    through_var = -x_hat * (dx_hat * x_hat).mean(axis=0) * inv_std
    right = direct + through_mean + through_var
    result, _ = call(fn, name, dout, (x_hat, gamma, inv_std))
    values = expect_outputs(name, result, ("dx", "dgamma", "dbeta"))
    _check_gradients(name, values, f, {
        "dx": [
            ("the path through the batch mean is missing: mean depends on every x_i.",
             direct + through_var),
            ("the path through the batch variance is missing: var depends on every x_i.",
             direct + through_mean),
            ("only the direct path gamma * inv_std * dout is there; x also reaches the loss "
             "through the mean and the variance.", direct),
            ("gamma is missing: the gradient reaching x_hat is dout * gamma.", right / gamma),
            ("d/dvar (var + eps)^(-1/2) = -1/2 * inv_std ** 3: a power of inv_std is missing (inv_std, "
             "not inv_std ** 3).", direct + through_mean + through_var / inv_std ** 2),
            ("the whole gradient was divided by N once more; the 1/N factors come from the mean and "
             "the variance only.", right / N),
            ("the factor 1/N is missing: dx = gamma * inv_std / N * (N * dout - ...).", right * N),
        ],
        **_param_mistakes(dout, x_hat),
    })


@SUITE.graded("batchnorm_backward", points=3)
def test_batchnorm_backward(batchnorm_backward, case="visible"):
    """Named mistakes: the path through the mean or the variance missing (or both); gamma missing;
    inv_std instead of inv_std ** 3 in dvar; divided by N once more; dgamma/dbeta not summed,
    averaged or swapped."""
    _test_batchnorm_backward("batchnorm_backward", batchnorm_backward, case)


@SUITE.graded("batchnorm_backward_alt", points=2)
def test_batchnorm_backward_alt(batchnorm_backward_alt, case="visible"):
    """Named mistakes: as batchnorm_backward (the same gradients in closed form)."""
    _test_batchnorm_backward("batchnorm_backward_alt", batchnorm_backward_alt, case)


@SUITE.graded("layernorm_forward", points=2)
def test_layernorm_forward(layernorm_forward, case="visible"):
    """Named mistakes: the statistics over the batch (axis 0); eps outside the root or ignored; the
    unbiased variance; gamma/beta not applied; keepdims missing (a shape error); a single example
    normalized differently; the cache."""
    name = "layernorm_forward"
    f = SUITE.load(name, case)
    x, gamma, beta, eps = f["x"], f["gamma"], f["beta"], float(f["eps"])
    try:
        result, _ = call(layernorm_forward, name, x, gamma, beta, {"eps": eps})
    except CheckFailed as exc:
        if "could not be broadcast" in str(exc):
            raise CheckFailed(f"{exc} Likely mistake: the per-example mean and variance have shape (N,); "
                              "keep them (N, 1) with keepdims=True so that they broadcast over the features.") from None
        raise
    out, cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the statistics were taken over the batch (axis 0), as batch norm does; layer norm "
         "normalizes each example over its own features (axis 1).", gamma * _normalize(x, 0, eps) + beta),
        ("eps was added outside the square root: use sqrt(var + eps).",
         gamma * _normalize(x, 1, eps, eps_outside=True) + beta),
        (f"ln_param['eps'] was ignored (the default {DEFAULT_EPS:g} used).",
         gamma * _normalize(x, 1, DEFAULT_EPS) + beta),
        ("the variance is the unbiased one (divided by D - 1); divide by D.",
         gamma * _normalize(x, 1, eps, ddof=1) + beta),
        ("gamma and beta were not applied: out = gamma * x_hat + beta.", _normalize(x, 1, eps)),
    ])
    x_hat = _normalize(x, 1, eps)
    inv_std = 1 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    expect_cache(name, cache, [("x_hat", x_hat), ("gamma", gamma),
                               ("inv_std", inv_std, [("inv_std has shape (N, 1), one per example (keepdims=True).",
                                                      inv_std.ravel())])], "layernorm_backward")
    # a single example must be normalized exactly as inside a batch (no batch statistics)
    result, _ = call(layernorm_forward, name, x[:1], gamma, beta, {"eps": eps})
    single, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out for a batch of one example (N = 1)", single, f["out"][:1], FORWARD_TOL)


@SUITE.graded("layernorm_backward", points=2)
def test_layernorm_backward(layernorm_backward, case="visible"):
    """Named mistakes: only the direct path; batch norm's formula (sums over the batch); gamma
    missing; dgamma/dbeta not summed, averaged or swapped."""
    name = "layernorm_backward"
    f = SUITE.load(name, case)
    x_hat, gamma, inv_std, dout = f["x_hat"], f["gamma"], f["inv_std"], f["dout"]
    result, _ = call(layernorm_backward, name, dout, (x_hat, gamma, inv_std))
    values = expect_outputs(name, result, ("dx", "dgamma", "dbeta"))
    dx_hat = dout * gamma
    D = dout.shape[1]
    N = dout.shape[0]
    def per_example(g):           # the gradient with g reaching x_hat (the reference for g = dout * gamma)
        return (inv_std / D) * (D * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    over_batch = (inv_std / N) * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    _check_gradients(name, values, f, {
        "dx": [("only the direct path is there; x also reaches the loss through each example's "
                "mean and variance (sums over axis 1).", dx_hat * inv_std),
               ("batch norm's formula was used: layer norm's mean and variance are per example, so the "
                "sums run over the D features (axis 1), with D in place of N.", over_batch),
               ("gamma is missing: the gradient reaching x_hat is dout * gamma.", per_example(dout))],
        **_param_mistakes(dout, x_hat),
    })


@SUITE.graded("spatial_batchnorm_forward", points=2, uses=("batchnorm_forward",))
def test_spatial_batchnorm_forward(spatial_batchnorm_forward, case="visible"):
    """Named mistakes: statistics per position over N only, per example and channel (instance
    norm), or per example (layer norm); reshaped without moving the channels last (channels mixed);
    mapped back without the inverse transpose; bn_param not passed on; the cache."""
    name = "spatial_batchnorm_forward"
    f = SUITE.load(name, case)
    x, gamma, beta, eps, momentum = f["x"], f["gamma"], f["beta"], float(f["eps"]), float(f["momentum"])
    N, C, H, W = x.shape
    param = {"mode": "train", "eps": eps, "momentum": momentum}
    result, _ = call(spatial_batchnorm_forward, name, x, gamma, beta, param)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    g, b = gamma[None, :, None, None], beta[None, :, None, None]
    mixed = x.reshape(-1, C)                     # no transpose: each row mixes channels and positions
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    right_flat = gamma * _normalize(flat, 0, eps) + beta
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the statistics were taken per (C, H, W) position over N only; spatial batch norm uses "
         "one mean and variance per channel, over N, H and W.", g * _normalize(x, 0, eps) + b),
        ("the statistics were taken per example and channel (over H and W only, instance norm); "
         "also average over the batch N.", g * _normalize(x, (2, 3), eps) + b),
        ("the statistics were taken over everything but the batch (per example, layer norm).",
         g * _normalize(x, (1, 2, 3), eps) + b),
        ("x was reshaped to (N * H * W, C) without moving the channels last first: x.reshape(-1, C) "
         "mixes channels and positions; transpose to (N, H, W, C) before reshaping.",
         (gamma * _normalize(mixed, 0, eps) + beta).reshape(x.shape)),
        ("the (N * H * W, C) result was reshaped straight back to (N, C, H, W); undo the transpose: "
         "reshape to (N, H, W, C), then transpose(0, 3, 1, 2).", right_flat.reshape(x.shape)),
        (f"bn_param was not passed on to batchnorm_forward (a new dict: the default eps {DEFAULT_EPS:g} "
         "was used); pass the bn_param you are given.",
         (gamma * _normalize(flat, 0, DEFAULT_EPS) + beta).reshape(N, H, W, C).transpose(0, 3, 1, 2)),
    ])
    expect_cache(name, cache, [("x_hat", f["x_hat"]), ("gamma", gamma), ("inv_std", f["inv_std"])],
                 "spatial_batchnorm_backward")
    for key in ("running_mean", "running_var"):
        if key not in param:
            raise CheckFailed(f"{name}: bn_param has no '{key}'. Likely mistake: bn_param was not passed on "
                              "to batchnorm_forward (pass the same dict).")
        expect_array(name, f"bn_param['{key}']", param[key], f[key], FORWARD_TOL)
    param["mode"] = "test"
    result, _ = call(spatial_batchnorm_forward, name, f["x_test"], gamma, beta, param)
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (test mode, the running statistics)", out, f["out_test"], FORWARD_TOL)


@SUITE.graded("spatial_batchnorm_backward", points=2, uses=("batchnorm_backward", "batchnorm_backward_alt"))
def test_spatial_batchnorm_backward(spatial_batchnorm_backward, case="visible"):
    """Named mistakes: dout reshaped without moving the channels last; dx mapped back without the
    inverse transpose; dgamma/dbeta not summed over H and W, or averaged. The cache is the
    documented layout (spatial_batchnorm_forward's docstring), built from the fixture."""
    name = "spatial_batchnorm_backward"
    f = SUITE.load(name, case)
    x_hat, gamma, inv_std, dout = f["x_hat"], f["gamma"], f["inv_std"], f["dout"]
    N, C, H, W = dout.shape
    result, _ = call(spatial_batchnorm_backward, name, dout, (x_hat, gamma, inv_std))
    values = expect_outputs(name, result, ("dx", "dgamma", "dbeta"))

    def flat_backward(d):                         # closed form on the (N * H * W, C) layout
        M = len(d)
        dg, db = (d * x_hat).sum(axis=0), d.sum(axis=0)
        return gamma * inv_std / M * (M * d - db - x_hat * dg), dg, db

    mixed_dx, mixed_dg, mixed_db = flat_backward(dout.reshape(-1, C))
    right_dx = flat_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C))[0]
    x_hat_nchw = x_hat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    no_transpose = ("dout was reshaped to (N * H * W, C) without moving the channels last first; transpose "
                    "to (N, H, W, C) before reshaping, as the forward pass did.")
    _check_gradients(name, values, f, {
        "dx": [(no_transpose, mixed_dx.reshape(dout.shape)),
               ("dx was reshaped straight back to (N, C, H, W); undo the transpose: reshape to (N, H, W, C), "
                "then transpose(0, 3, 1, 2).", right_dx.reshape(dout.shape))],
        "dgamma": [(no_transpose, mixed_dg),
                   ("dgamma was not summed over H and W: one gamma per channel gets the sum over N, H and W.",
                    (dout * x_hat_nchw).sum(axis=0)),
                   (AVERAGED.format(key="dgamma"), (dout * x_hat_nchw).sum(axis=(0, 2, 3)) / (N * H * W))],
        "dbeta": [(no_transpose, mixed_db),
                  ("dbeta was not summed over H and W: one beta per channel gets the sum over "
                   "N, H and W.", dout.sum(axis=0)),
                  (AVERAGED.format(key="dbeta"), dout.sum(axis=(0, 2, 3)) / (N * H * W))],
    })
