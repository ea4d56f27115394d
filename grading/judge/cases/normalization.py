"""Cases of the normalization layers (notebook 04; selfcheck/normalization.py)."""
import numpy as np

from cs231n_lite import normalization

from .common import check_case, fixture_dict, numeric


def build(case, seed):
    """Fixtures of the normalization layers: {'<function>/<field>': array}."""
    visible = check_case(case)
    rng = np.random.default_rng(seed)
    N, D = (10, 5) if visible else (16, 6)
    # never the defaults (1e-5, 0.9), so that an ignored eps or momentum shows; momentum not 0.5,
    # so that a swapped rule differs
    eps, momentum = (3e-4, 0.8) if visible else (1e-3, 0.7)
    fx, add = fixture_dict()

    # Feature 1 has a variance ~ eps: there eps matters. Hidden: near 0, not 0.5, because
    # the tests also run batchnorm_forward in float32, whose rounding of 0.5 (3e-8),
    # amplified by 1 / sqrt(eps), reaches the 1e-6 they allow where out ~ 0 (0.6% of seeds).
    tiny_offset = 0.5 if visible else 0.01

    def batch(n=N):
        x = 4.0 * rng.standard_normal((n, D)) + rng.uniform(-3, 3, D)
        x[:, 1] = 3e-3 * rng.standard_normal(n) + tiny_offset
        if not visible:
            x[:, 2] = 7.0                                  # constant feature: variance 0
        return x

    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    param = {"mode": "train", "eps": eps, "momentum": momentum}
    xs = [batch() for _ in range(3)]
    f = {"x1": xs[0], "x2": xs[1], "x3": xs[2], "gamma": gamma, "beta": beta, "eps": eps, "momentum": momentum}
    f["out1"], cache = normalization.batchnorm_forward(xs[0], gamma, beta, param)
    f["x_hat1"], f["inv_std1"] = cache[0], cache[2]
    f["running_mean1"], f["running_var1"] = param["running_mean"].copy(), param["running_var"].copy()
    for x in xs[1:]:
        normalization.batchnorm_forward(x, gamma, beta, param)
    f["running_mean3"], f["running_var3"] = param["running_mean"], param["running_var"]
    f["x_test"] = batch(7)
    param["mode"] = "test"
    f["out_test"], _ = normalization.batchnorm_forward(f["x_test"], gamma, beta, param)
    add("batchnorm_forward", f)

    # backward: the cache of the first train call
    dout = rng.standard_normal((N, D))
    x_hat, _, inv_std = cache
    b = {"x": xs[0], "gamma": gamma, "beta": beta, "eps": eps, "x_hat": x_hat, "inv_std": inv_std,
         "dout": dout}
    b["dx"], b["dgamma"], b["dbeta"] = normalization.batchnorm_backward(dout, cache)
    train = lambda x, g, bb: normalization.batchnorm_forward(x, g, bb, {"mode": "train", "eps": eps})[0]
    # centered differences need h << std: skip the tiny-variance column (and the constant one)
    smooth = np.broadcast_to(xs[0].std(axis=0) > 0.1, xs[0].shape)
    numeric(lambda v: train(v, gamma, beta), xs[0], dout, "dx", b, smooth)
    numeric(lambda v: train(xs[0], v, beta), gamma, dout, "dgamma", b)
    numeric(lambda v: train(xs[0], gamma, v), beta, dout, "dbeta", b)
    add("batchnorm_backward", b)
    add("batchnorm_backward_alt", b)

    # layer norm: per example; the hidden case includes a single-example batch
    x = batch(4 if visible else 5)
    x[:, 2] = 6.0 * rng.standard_normal(x.shape[0])      # no constant column across features
    ln = {"eps": eps}
    out, cache = normalization.layernorm_forward(x, gamma, beta, ln)
    add("layernorm_forward", {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "out": out})
    dout = rng.standard_normal(x.shape)
    x_hat, _, inv_std = cache
    b = {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "x_hat": x_hat, "inv_std": inv_std, "dout": dout}
    b["dx"], b["dgamma"], b["dbeta"] = normalization.layernorm_backward(dout, cache)
    lnf = lambda xx, g, bb: normalization.layernorm_forward(xx, g, bb, {"eps": eps})[0]
    numeric(lambda v: lnf(v, gamma, beta), x, dout, "dx", b)
    numeric(lambda v: lnf(x, v, beta), gamma, dout, "dgamma", b)
    numeric(lambda v: lnf(x, gamma, v), beta, dout, "dbeta", b)
    add("layernorm_backward", b)

    # spatial batchnorm: (N, C, H, W) with a different offset and scale per channel
    shape = (2, 3, 4, 5) if visible else (3, 4, 3, 3)
    C = shape[1]
    x = rng.uniform(0.5, 4.0, (1, C, 1, 1)) * rng.standard_normal(shape) + rng.uniform(-5, 5, (1, C, 1, 1))
    g, bb = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    param = {"mode": "train", "eps": eps, "momentum": momentum}
    out, cache = normalization.spatial_batchnorm_forward(x, g, bb, param)
    f = {"x": x, "gamma": g, "beta": bb, "eps": eps, "momentum": momentum, "out": out,
         "x_hat": cache[0], "inv_std": cache[2],
         "running_mean": param["running_mean"].copy(), "running_var": param["running_var"].copy()}
    f["x_test"] = 2.0 * rng.standard_normal((2, *shape[1:])) + 1.0
    param["mode"] = "test"
    f["out_test"], _ = normalization.spatial_batchnorm_forward(f["x_test"], g, bb, param)
    add("spatial_batchnorm_forward", f)
    dout = rng.standard_normal(shape)
    # the backward's cache: the documented layout, as the reference forward makes it
    b = {"x": x, "gamma": g, "beta": bb, "eps": eps, "dout": dout, "x_hat": cache[0], "inv_std": cache[2]}
    b["dx"], b["dgamma"], b["dbeta"] = normalization.spatial_batchnorm_backward(dout, cache)
    sbn = lambda xx, gg, bbb: normalization.spatial_batchnorm_forward(xx, gg, bbb, {"mode": "train", "eps": eps})[0]
    numeric(lambda v: sbn(v, g, bb), x, dout, "dx", b)
    numeric(lambda v: sbn(x, v, bb), g, dout, "dgamma", b)
    numeric(lambda v: sbn(x, g, v), bb, dout, "dbeta", b)
    add("spatial_batchnorm_backward", b)
    return fx
