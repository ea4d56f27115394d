"""Tests of the normalization layers (notebook 04_batch_normalization.ipynb)."""
import numpy as np

from .feedback import CheckFailed, call, expect_array, expect_gradients, expect_outputs
from .fixtures import load
from .registry import Suite

TOPIC = "normalization"
NOTEBOOK = "04_batch_normalization.ipynb"
SUITE = Suite(module="normalization", notebook=NOTEBOOK, fixtures="normalization")
FORWARD_TOL, BACKWARD_TOL, NUMERIC_TOL = 1e-9, 1e-8, 1e-6



def _normalize(x, axis, eps, ddof=0, eps_outside=False):
    """Wrong-variant helper: (x - mean) / std over `axis`."""
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    with np.errstate(all="ignore"):
        return (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))


def _check_gradients(name, values, f, mistakes):
    expect_gradients(name, ("dx", "dgamma", "dbeta"), values, f, BACKWARD_TOL, NUMERIC_TOL,
                     mistakes, relative_floor=1e-12)


# --------------------------------------------------------------------------
@SUITE.graded("batchnorm_forward", points=3)
def test_batchnorm_forward(batchnorm_forward, case="visible"):
    name = "batchnorm_forward"
    f = load(TOPIC, name, case)
    gamma, beta, eps, momentum = f["gamma"], f["beta"], float(f["eps"]), float(f["momentum"])
    param = {"mode": "train"} if f["use_default"] else {"mode": "train", "eps": eps, "momentum": momentum}
    x1 = f["x1"]
    result, _ = call(batchnorm_forward, name, x1, gamma, beta, param)
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (train mode)", out, f["out1"], FORWARD_TOL, mistakes=[
        ("the variance is the unbiased one (divided by N - 1); batch normalization divides by N "
         "(np.var's default).", gamma * _normalize(x1, 0, eps, ddof=1) + beta),
        ("eps was added outside the square root: use sqrt(var + eps).",
         gamma * _normalize(x1, 0, eps, eps_outside=True) + beta),
        ("the features were normalized over the wrong axis (each example over its features, "
         "as layer norm does); batch norm uses the statistics of each feature over the batch, axis 0.",
         gamma * _normalize(x1, 1, eps) + beta),
        ("gamma and beta were not applied: out = gamma * x_hat + beta.", _normalize(x1, 0, eps)),
    ])
    for key in ("running_mean", "running_var"):
        if key not in param:
            raise CheckFailed(f"{name}: bn_param has no '{key}' after a train-mode call. Store the "
                              f"updated running statistics back: bn_param['{key}'] = ...")
    mean, var = x1.mean(axis=0), x1.var(axis=0)
    start_mean, start_var = np.zeros_like(mean), np.ones_like(var)
    expect_array(name, "bn_param['running_mean'] after one batch", param["running_mean"],
                 f["running_mean1"], FORWARD_TOL, mistakes=[
                     ("the momentum is applied the wrong way round: running = momentum * running + "
                      "(1 - momentum) * batch_mean.", (1 - momentum) * start_mean + momentum * mean),
                     ("the running mean was replaced by the batch mean instead of averaged.", mean)])
    expect_array(name, "bn_param['running_var'] after one batch", param["running_var"],
                 f["running_var1"], FORWARD_TOL, mistakes=[
                     ("the momentum is applied the wrong way round: running = momentum * running + "
                      "(1 - momentum) * batch_var.", (1 - momentum) * start_var + momentum * var),
                     ("the running variance averages the unbiased variance; use the biased one "
                      "(divided by N) as for normalizing.",
                      momentum * start_var + (1 - momentum) * x1.var(axis=0, ddof=1))])
    for x in (f["x2"], f["x3"]):
        call(batchnorm_forward, name, x, gamma, beta, param)
    expect_array(name, "bn_param['running_mean'] after three batches", param["running_mean"],
                 f["running_mean3"], FORWARD_TOL)
    expect_array(name, "bn_param['running_var'] after three batches", param["running_var"],
                 f["running_var3"], FORWARD_TOL)
    param["mode"] = "test"
    x_test = f["x_test"]
    result, _ = call(batchnorm_forward, name, x_test, gamma, beta, param)
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (test mode)", out, f["out_test"], FORWARD_TOL, mistakes=[
        ("test mode used the statistics of the test batch; it must use only "
         "bn_param['running_mean'] and bn_param['running_var'].", gamma * _normalize(x_test, 0, eps) + beta),
    ])
    x32 = x1.astype(np.float32)
    result, _ = call(batchnorm_forward, name, x32, gamma.astype(np.float32), beta.astype(np.float32),
                     {"mode": "train", "eps": eps})
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out (float32 input)", out, f["out1"], 1e-3, dtype=np.float32, floor=1e-3)


def _test_batchnorm_backward(name, fn, case):
    f = load(TOPIC, "batchnorm_backward", case)
    x_hat, gamma, inv_std, dout = f["x_hat"], f["gamma"], f["inv_std"], f["dout"]
    dx_hat = dout * gamma
    direct = dx_hat * inv_std
    through_mean = -direct.mean(axis=0)
    through_var = -x_hat * (dx_hat * x_hat).mean(axis=0) * inv_std
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
            ("gamma is missing: the gradient reaching x_hat is dout * gamma.",
             (direct + through_mean + through_var) / gamma),
        ],
        "dgamma": [("dgamma was not summed over the batch: gamma is shared by all N examples, so "
                    "its gradient is a sum over them, shape (D,).", dout * x_hat)],
        "dbeta": [("dbeta was not summed over the batch: its gradient is dout summed over the "
                   "N examples, shape (D,).", dout)],
    })


@SUITE.graded("batchnorm_backward", points=3)
def test_batchnorm_backward(batchnorm_backward, case="visible"):
    _test_batchnorm_backward("batchnorm_backward", batchnorm_backward, case)


@SUITE.graded("batchnorm_backward_alt", points=2)
def test_batchnorm_backward_alt(batchnorm_backward_alt, case="visible"):
    _test_batchnorm_backward("batchnorm_backward_alt", batchnorm_backward_alt, case)


@SUITE.graded("layernorm_forward", points=2)
def test_layernorm_forward(layernorm_forward, case="visible"):
    name = "layernorm_forward"
    f = load(TOPIC, name, case)
    x, gamma, beta, eps = f["x"], f["gamma"], f["beta"], float(f["eps"])
    result, _ = call(layernorm_forward, name, x, gamma, beta, {"eps": eps})
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the statistics were taken over the batch (axis 0), as batch norm does; layer norm "
         "normalizes each example over its own features (axis 1).", gamma * _normalize(x, 0, eps) + beta),
        ("eps was added outside the square root: use sqrt(var + eps).",
         gamma * _normalize(x, 1, eps, eps_outside=True) + beta),
        ("the variance is the unbiased one (divided by D - 1); divide by D.",
         gamma * _normalize(x, 1, eps, ddof=1) + beta),
    ])
    # a single example must be normalized exactly as inside a batch (no batch statistics)
    result, _ = call(layernorm_forward, name, x[:1], gamma, beta, {"eps": eps})
    single, _ = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out for a batch of one example (N = 1)", single, f["out"][:1], FORWARD_TOL)


@SUITE.graded("layernorm_backward", points=2)
def test_layernorm_backward(layernorm_backward, case="visible"):
    name = "layernorm_backward"
    f = load(TOPIC, name, case)
    x_hat, gamma, inv_std, dout = f["x_hat"], f["gamma"], f["inv_std"], f["dout"]
    result, _ = call(layernorm_backward, name, dout, (x_hat, gamma, inv_std))
    values = expect_outputs(name, result, ("dx", "dgamma", "dbeta"))
    direct = dout * gamma * inv_std
    _check_gradients(name, values, f, {
        "dx": [("only the direct path is there; x also reaches the loss through each example's "
                "mean and variance (sums over axis 1).", direct)],
        "dgamma": [("dgamma was not summed over the batch; shape (D,).", dout * x_hat)],
        "dbeta": [("dbeta was not summed over the batch; shape (D,).", dout)],
    })


@SUITE.graded("spatial_batchnorm_forward", points=2, uses=("batchnorm_forward",))
def test_spatial_batchnorm_forward(spatial_batchnorm_forward, case="visible"):
    name = "spatial_batchnorm_forward"
    f = load(TOPIC, name, case)
    x, gamma, beta, eps = f["x"], f["gamma"], f["beta"], float(f["eps"])
    param = {"mode": "train", "eps": eps}
    result, _ = call(spatial_batchnorm_forward, name, x, gamma, beta, param)
    out, _ = expect_outputs(name, result, ("out", "cache"))
    g, b = gamma[None, :, None, None], beta[None, :, None, None]
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the statistics were taken per (C, H, W) position over N only; spatial batch norm uses "
         "one mean and variance per channel, over N, H and W.", g * _normalize(x, 0, eps) + b),
        ("the statistics were taken per example and channel (over H and W only, instance norm); "
         "also average over the batch N.", g * _normalize(x, (2, 3), eps) + b),
        ("the statistics were taken over everything but the batch (per example, layer norm).",
         g * _normalize(x, (1, 2, 3), eps) + b),
    ])
    for key in ("running_mean", "running_var"):
        if key not in param:
            raise CheckFailed(f"{name}: bn_param has no '{key}'; pass bn_param on to batchnorm_forward.")
        expect_array(name, f"bn_param['{key}']", param[key], f[key], FORWARD_TOL)


@SUITE.graded("spatial_batchnorm_backward", points=2, uses=("batchnorm_backward", "batchnorm_backward_alt"))
def test_spatial_batchnorm_backward(spatial_batchnorm_backward, case="visible", forward=None):
    """The cache comes from the reference layout unless a forward is given (its own cache)."""
    from ..normalization import spatial_batchnorm_forward as given_forward
    name = "spatial_batchnorm_backward"
    f = load(TOPIC, name, case)
    x, gamma, beta, eps, dout = f["x"], f["gamma"], f["beta"], float(f["eps"]), f["dout"]
    forward = forward or given_forward
    result, _ = call(forward, "spatial_batchnorm_forward (whose cache the backward needs)",
                     x, gamma, beta, {"mode": "train", "eps": eps})
    _, cache = expect_outputs("spatial_batchnorm_forward", result, ("out", "cache"))
    result, _ = call(spatial_batchnorm_backward, name, dout, cache)
    values = expect_outputs(name, result, ("dx", "dgamma", "dbeta"))
    dbeta_per_position = dout.sum(axis=0)
    _check_gradients(name, values, f, {
        "dbeta": [("dbeta was not summed over H and W: one beta per channel gets the sum over "
                   "N, H and W.", dbeta_per_position)],
    })
