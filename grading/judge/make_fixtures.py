"""Build the test fixtures from the reference implementation.

    python grading/judge/make_fixtures.py           # write the visible fixtures
    python grading/judge/make_fixtures.py --check   # regenerate and compare; exit 1 on a difference

Each topic has one builder, ``<topic>_fixtures(case, seed)``, reached
through ``build(topic, case, seed)``: ``case`` ('visible' or 'hidden')
chooses the regime (shapes, extreme inputs, eps, momentum...), ``seed`` the
Generator every input is drawn from. Visible fixtures use the fixed seeds of
VISIBLE_SEEDS and are committed in cs231n_lite/selfcheck/fixtures/ (they ship
to students). Hidden fixtures are never written: the grader builds them per
student at grading time, with a seed derived from the course secret
(grading/judge/hidden.py), so the hidden regime must hold for any seed. Values
are float64.
"""
import argparse
import contextvars
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from cs231n_lite import hyperopt, layers, normalization, optim, preprocess, regularization  # noqa: E402  (reference)
from cs231n_lite.gradient_check import eval_numerical_gradient_array  # noqa: E402

VISIBLE_DIR = ROOT / "cs231n_lite" / "selfcheck" / "fixtures"
# changing one of these changes the committed visible fixtures
VISIBLE_SEEDS = {"activations": 231, "normalization": 232, "preprocessing": 233, "hyperopt": 236,
                 "optimization": 237}
CASES = ("visible", "hidden")
H = 1e-5  # numerical-gradient step
# Maxout: the top two pieces of every output differ by at least this much, so
# that a step of H in x, w or b never swaps them inside a centered difference.
MAXOUT_MIN_GAP = 1e-3
NUMERIC_TOL = 1e-6  # the tests' bound between a gradient and its numerical gradient
# How far a reference gradient may be from its numerical gradient (same error
# measure as the tests). Visible seeds are fixed: 1e-7 leaves a 10x margin.
# Hidden seeds are arbitrary, and centered differences of spatial batch norm
# (27 coupled outputs per input) carry rounding noise that exceeds 1e-7 for
# ~0.7% of seeds (3.4e-7 at worst over 20000; the tail falls ~25x per 1e-7):
# NUMERIC_TOL / 2 still guarantees that a correct gradient passes the test.
NUMERIC_SANITY = {"visible": 1e-7, "hidden": NUMERIC_TOL / 2}


def _check_case(case):
    """True for the visible regime, False for the hidden one; ValueError otherwise."""
    if case not in CASES:
        raise ValueError(f"case must be 'visible' or 'hidden', got {case!r}")
    return case == "visible"


def _with_zeros(x, rng, count):
    """x with `count` random entries set to exactly 0 (the ReLU kink)."""
    x = x.copy()
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, count, replace=False)] = 0.0
    return x


# build(..., only=name) keeps one function's fixtures: the others' numerical
# gradients (most of a topic's cost) are then never computed
_ONLY = contextvars.ContextVar("cs231n_lite_fixture_only", default=None)


class _Deferred:
    """A numerical gradient, computed when its function's fields are stored (if they are)."""

    def __init__(self, compute):
        self.compute = compute


def _numeric(forward, x, dout, key, out, mask=None):
    """Store the numerical gradient of sum(forward(x) * dout) and its mask.

    ``out[key]`` must already hold the reference gradient; ``build`` checks
    that the two agree (``check_numeric``). The gradient is computed when
    ``out`` is stored with add(), so its inputs must not change before then.
    """
    x = x.copy()
    out[key + "_num"] = _Deferred(lambda: eval_numerical_gradient_array(forward, x, dout, h=H))
    out[key + "_mask"] = np.ones(x.shape, bool) if mask is None else mask


def numeric_errors(fx):
    """{'<function>/<key>': error} of every reference gradient against its numerical one.

    The error is the tests' measure: largest relative error over the mask,
    with a floor at 1e-3 of the numerical gradient's largest |value|.
    """
    errors = {}
    for name in fx:
        if not name.endswith("_num"):
            continue
        key = name[:-len("_num")]
        num, ref, mask = fx[name], fx[key], fx[key + "_mask"]
        scale = np.maximum(1e-3 * np.abs(num).max(), np.abs(num) + np.abs(ref))
        errors[key] = float(np.max((np.abs(num - ref) / scale)[mask], initial=0.0))
    return errors


def check_numeric(fx, bound):
    """Raise AssertionError if a reference gradient is farther than ``bound`` from its numerical one."""
    bad = {k: e for k, e in numeric_errors(fx).items() if e > bound}
    if bad:
        raise AssertionError("reference gradient disagrees with its numerical gradient: " +
                             ", ".join(f"{k} {e:.1e}" for k, e in bad.items()) + f" (allowed {bound:.0e})")


def _elementwise(name, forward, x, dout, **kw):
    """Fixtures of an elementwise activation's forward and backward."""
    out, cache = forward(x, **kw)
    backward = getattr(layers, name + "_backward")
    fields_f = {"x": x, "out": out}
    fields_b = {"x": x, "out": out, "dout": dout, "dx": backward(dout, cache)}
    away_from_kink = np.abs(x) > 10 * H
    _numeric(lambda v: forward(v, **kw)[0], x, dout, "dx", fields_b, away_from_kink)
    return fields_f, fields_b


def _maxout_inputs(rng, N, D, M, K):
    """x, w, b of a Maxout layer with no near-tie between its top two pieces.

    Redraws (rarely, and never for the visible seed) until every output's
    winning piece leads by MAXOUT_MIN_GAP: at a near-tie the numerical
    gradient straddles the kink and disagrees with the exact one.
    """
    while True:
        x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, M, K)), rng.standard_normal((M, K))
        top2 = np.sort(np.einsum("nd,dmk->nmk", x, w) + b, axis=2)[..., -2:]
        if np.min(top2[..., 1] - top2[..., 0]) > MAXOUT_MIN_GAP:
            return x, w, b


def _fixture_dict():
    """An empty fixture dict, and add(name, fields) storing each field as '<name>/<field>'."""
    fx = {}
    only = _ONLY.get()

    def add(name, fields):
        if only is not None and name != only:
            return
        for k, v in fields.items():
            if isinstance(v, _Deferred):
                v = fields[k] = v.compute()     # once, if the same fields are stored twice
            fx[f"{name}/{k}"] = np.asarray(v)
    return fx, add


def activation_fixtures(case, seed):
    """Fixtures of the activation layers: {'<function>/<field>': array}."""
    _check_case(case)
    rng = np.random.default_rng(seed)
    shape = (4, 5) if case == "visible" else (6, 7)
    fx, add = _fixture_dict()

    def rand(scale=2.0):
        return scale * rng.standard_normal(shape)

    for name in ("sigmoid", "tanh"):
        x = rand(3.0)
        f, b = _elementwise(name, getattr(layers, name + "_forward"), x, rand(1.0))
        add(name + "_forward", f)
        add(name + "_backward", b)
    if case == "hidden":
        extreme = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0])
        add("sigmoid_forward", {"x_extreme": extreme, "out_extreme": layers.sigmoid_forward(extreme)[0]})

    x = _with_zeros(rand(), rng, 4)
    f, b = _elementwise("relu", layers.relu_forward, x, rand(1.0))
    add("relu_forward", f)
    add("relu_backward", b)

    alpha = 0.1 if case == "visible" else 0.01
    x = _with_zeros(rand(), rng, 3)
    kw = {"alpha": alpha}
    f, b = _elementwise("leaky_relu", layers.leaky_relu_forward, x, rand(1.0), **kw)
    add("leaky_relu_forward", {**f, "alpha": alpha, "use_default": case == "hidden"})
    add("leaky_relu_backward", {**b, "alpha": alpha})

    alpha = 1.5 if case == "visible" else 0.7
    x = rand(2.5)
    if case == "hidden":
        x.reshape(-1)[:3] = [800.0, 50.0, -800.0]  # a naive exp overflows here
    with np.errstate(over="raise"):
        f, b = _elementwise("elu", layers.elu_forward, x, rand(1.0), alpha=alpha)
    add("elu_forward", {**f, "alpha": alpha})
    add("elu_backward", {**b, "alpha": alpha})

    # PReLU: alpha per feature; dalpha's numerical gradient through alpha
    x = _with_zeros(rand(), rng, 3)
    alpha = rng.uniform(0.05, 0.5, size=shape[1])
    dout = rand(1.0)
    out, cache = layers.prelu_forward(x, alpha)
    dx, dalpha = layers.prelu_backward(dout, cache)
    b = {"x": x, "alpha": alpha, "dout": dout, "dx": dx, "dalpha": dalpha}
    _numeric(lambda v: layers.prelu_forward(v, alpha)[0], x, dout, "dx", b, np.abs(x) > 10 * H)
    _numeric(lambda a: layers.prelu_forward(x, a)[0], alpha, dout, "dalpha", b)
    add("prelu_forward", {"x": x, "alpha": alpha, "out": out})
    add("prelu_backward", b)

    # Maxout: N examples, D inputs, M outputs, K pieces
    N, D, M, K = (4, 5, 3, 2) if case == "visible" else (6, 4, 5, 3)
    x, w, b_ = _maxout_inputs(rng, N, D, M, K)
    dout = rng.standard_normal((N, M))
    out, cache = layers.maxout_forward(x, w, b_)
    dx, dw, db = layers.maxout_backward(dout, cache)
    bw = {"x": x, "w": w, "b": b_, "z": cache[3], "dout": dout, "dx": dx, "dw": dw, "db": db}
    _numeric(lambda v: layers.maxout_forward(v, w, b_)[0], x, dout, "dx", bw)
    _numeric(lambda v: layers.maxout_forward(x, v, b_)[0], w, dout, "dw", bw)
    _numeric(lambda v: layers.maxout_forward(x, w, v)[0], b_, dout, "db", bw)
    add("maxout_forward", {"x": x, "w": w, "b": b_, "out": out})
    add("maxout_backward", bw)
    return fx


def normalization_fixtures(case, seed):
    """Fixtures of the normalization layers: {'<function>/<field>': array}."""
    visible = _check_case(case)
    rng = np.random.default_rng(seed)
    N, D = (10, 5) if visible else (16, 6)
    eps, momentum = (1e-5, 0.9) if visible else (1e-3, 0.7)  # not 0.5: a swapped rule must differ
    fx, add = _fixture_dict()

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
    param = {"mode": "train"} if visible else {"mode": "train", "eps": eps, "momentum": momentum}
    xs = [batch() for _ in range(3)]
    f = {"x1": xs[0], "x2": xs[1], "x3": xs[2], "gamma": gamma, "beta": beta, "eps": eps,
         "momentum": momentum, "use_default": visible}
    f["out1"], cache = normalization.batchnorm_forward(xs[0], gamma, beta, param)
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
    _numeric(lambda v: train(v, gamma, beta), xs[0], dout, "dx", b, smooth)
    _numeric(lambda v: train(xs[0], v, beta), gamma, dout, "dgamma", b)
    _numeric(lambda v: train(xs[0], gamma, v), beta, dout, "dbeta", b)
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
    _numeric(lambda v: lnf(v, gamma, beta), x, dout, "dx", b)
    _numeric(lambda v: lnf(x, v, beta), gamma, dout, "dgamma", b)
    _numeric(lambda v: lnf(x, gamma, v), beta, dout, "dbeta", b)
    add("layernorm_backward", b)

    # spatial batchnorm: (N, C, H, W) with a different offset and scale per channel
    shape = (2, 3, 4, 5) if visible else (3, 4, 3, 3)
    C = shape[1]
    x = rng.uniform(0.5, 4.0, (1, C, 1, 1)) * rng.standard_normal(shape) + rng.uniform(-5, 5, (1, C, 1, 1))
    g, bb = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    param = {"mode": "train", "eps": eps}
    out, cache = normalization.spatial_batchnorm_forward(x, g, bb, param)
    add("spatial_batchnorm_forward", {"x": x, "gamma": g, "beta": bb, "eps": eps, "out": out,
                                      "running_mean": param["running_mean"], "running_var": param["running_var"]})
    dout = rng.standard_normal(shape)
    b = {"x": x, "gamma": g, "beta": bb, "eps": eps, "dout": dout}
    b["dx"], b["dgamma"], b["dbeta"] = normalization.spatial_batchnorm_backward(dout, cache)
    sbn = lambda xx, gg, bbb: normalization.spatial_batchnorm_forward(xx, gg, bbb, {"mode": "train", "eps": eps})[0]
    _numeric(lambda v: sbn(v, g, bb), x, dout, "dx", b)
    _numeric(lambda v: sbn(x, v, bb), g, dout, "dgamma", b)
    _numeric(lambda v: sbn(x, g, v), bb, dout, "dbeta", b)
    add("spatial_batchnorm_backward", b)
    return fx


def preprocessing_fixtures(case, seed):
    """Fixtures of the preprocessing fit/apply pairs: {'<function>/<field>': array}."""
    visible = _check_case(case)
    rng = np.random.default_rng(seed)
    fx, add = _fixture_dict()

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
    X[:, 2], X_test[:, 2] = 4.0, 4.5                 # constant in training
    stats = preprocess.fit_standardize(X)
    add("fit_standardize", {"X": X, "mean": stats["mean"], "std": stats["std"]})
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
    eps = 1e-5 if visible else 1e-3
    for kind in ("pca", "zca"):
        wh = preprocess.fit_whitening(Xp, eps=eps, kind=kind)
        add("fit_whitening", {"X": Xp, "eps": eps, "mean": wh["mean"], f"W_{kind}": wh["W"]})
        add("whiten", {"X_train": Xp, "X": Xp_test, "mean": wh["mean"], f"W_{kind}": wh["W"],
                       f"out_{kind}": preprocess.whiten(Xp_test, wh)})
    return fx


def _trajectory(rule, w0, dws, config):
    """The weights after each step of ``rule`` fed the gradients ``dws``, as (K, *w.shape)."""
    w, out = w0.copy(), []
    for dw in dws:
        w, config = rule(w, dw, config)
        out.append(w)
    return np.array(out), config


def optimization_fixtures(case, seed):
    """Fixtures of the update rules, schedules, l2_penalty and dropout: {'<function>/<field>': array}.

    Hyperparameters are chosen so that every known wrong variant differs:
    epsilon is large (1e-3-ish) next to some tiny gradients, so eps inside the
    square root shows; decay rates and betas are far from 0.5, so a swapped
    average shows; keep_prob is never 0.5, so a drop probability shows.
    """
    visible = _check_case(case)
    rng = np.random.default_rng(seed)
    fx, add = _fixture_dict()

    shape, steps = ((4, 5), 5) if visible else (tuple(rng.integers(3, 7, 2)), int(rng.integers(4, 8)))
    loguniform = lambda lo, hi: float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    def gradients():
        dws = rng.standard_normal((steps, *shape))
        dws[:, :, 0] *= 0.01          # tiny gradients: there epsilon matters
        return dws

    if visible:
        hyper = {"momentum_update": {"learning_rate": 0.05, "momentum": 0.8},
                 "nesterov_momentum": {"learning_rate": 0.05, "momentum": 0.8},
                 "adagrad": {"learning_rate": 0.1, "epsilon": 1e-3},
                 "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-3},
                 "adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-3}}
    else:
        mu = lambda: rng.uniform(0.6, 0.95)
        hyper = {"momentum_update": {"learning_rate": loguniform(1e-3, 1e-1), "momentum": mu()},
                 "nesterov_momentum": {"learning_rate": loguniform(1e-3, 1e-1), "momentum": mu()},
                 "adagrad": {"learning_rate": loguniform(1e-3, 1e-1), "epsilon": loguniform(1e-4, 1e-2)},
                 "rmsprop": {"learning_rate": loguniform(1e-3, 1e-1), "decay_rate": rng.uniform(0.7, 0.97),
                             "epsilon": loguniform(1e-4, 1e-2)},
                 "adam": {"learning_rate": loguniform(1e-3, 1e-1), "beta1": rng.uniform(0.7, 0.95),
                          "beta2": rng.uniform(0.85, 0.99), "epsilon": loguniform(1e-4, 1e-2)}}
    for name, h in hyper.items():
        rule = getattr(optim, name)
        w0, dws = rng.standard_normal(shape), gradients()
        ws, _ = _trajectory(rule, w0, dws, dict(h))
        ws_default, _ = _trajectory(rule, w0, dws, None)
        f = {"w0": w0, "dws": dws, "ws": ws, "ws_default": ws_default,
             "hyper_names": np.array(sorted(h)), "hyper_values": np.array([h[k] for k in sorted(h)])}
        if name == "adam":   # resume from a state saved after t0 steps
            t0 = 3 if visible else int(rng.integers(2, 20))
            m0, v0 = 0.1 * rng.standard_normal(shape), 0.1 * rng.uniform(0.1, 1.0, shape)
            f["m0"], f["v0"], f["t0"] = m0, v0, t0
            f["ws_resume"], cfg = _trajectory(rule, w0, dws, {**h, "m": m0.copy(), "v": v0.copy(), "t": t0})
            f["m_resume"], f["v_resume"] = cfg["m"], cfg["v"]
        add(name, f)

    # schedules: iterations 0..; the step boundaries included
    base_lr = 0.1 if visible else loguniform(1e-3, 1.0)
    step_size = 5 if visible else int(rng.integers(3, 40))
    gamma = 0.5 if visible else rng.uniform(0.1, 0.8)
    k = 0.05 if visible else loguniform(1e-3, 0.3)
    its = np.unique(np.concatenate([np.arange(4 * step_size + 2),
                                    [0, 100, 1000] if visible else rng.integers(0, 5000, 5)]))
    add("step_decay", {"base_lr": base_lr, "step_size": step_size, "gamma": gamma, "iterations": its,
                       "lr": [optim.step_decay(base_lr, int(i), step_size, gamma) for i in its]})
    for name in ("exponential_decay", "inverse_time_decay"):
        add(name, {"base_lr": base_lr, "k": k, "iterations": its,
                   "lr": [getattr(optim, name)(base_lr, int(i), k) for i in its]})

    # L2: a net's parameters, with biases and normalization parameters
    dims = [5, 4, 3] if visible else list(rng.integers(2, 7, 4))
    params = {}
    for i in range(1, len(dims)):
        params[f"W{i}"] = rng.standard_normal((dims[i - 1], dims[i]))
        params[f"b{i}"] = rng.standard_normal(dims[i])
        if i < len(dims) - 1:
            params[f"gamma{i}"] = rng.uniform(0.5, 2.0, dims[i])
            params[f"beta{i}"] = rng.standard_normal(dims[i])
    reg = 0.3 if visible else loguniform(1e-3, 1.0)
    loss, grads = regularization.l2_penalty(params, reg)
    f = {"reg": reg, "loss": loss, "names": np.array(list(params))}
    for name, p in params.items():
        f["p_" + name], f["d_" + name] = p, grads[name]
        if regularization.is_decayed(name):   # the others have a zero gradient
            _numeric(lambda v, name=name: np.array(regularization.l2_penalty({**params, name: v}, reg)[0]),
                     p, np.array(1.0), "d_" + name, f)
    add("l2_penalty", f)

    # dropout: the forward is tested statistically (selfcheck draws its inputs);
    # the backward gets a cache in the documented layout, from the reference forward
    keep_prob = 0.7 if visible else float(rng.choice([rng.uniform(0.2, 0.45), rng.uniform(0.55, 0.9)]))
    add("dropout_forward", {"keep_prob": keep_prob,
                            "shape": [200, 300] if visible else [int(rng.integers(150, 250)), 256]})
    dshape = (6, 7) if visible else tuple(rng.integers(4, 9, 2))
    x, dout = rng.standard_normal(dshape), rng.standard_normal(dshape)
    while True:   # both kept and dropped units (else some wrong backward passes equal the right one)
        mask_seed = int(rng.integers(2 ** 31))
        param = {"keep_prob": keep_prob, "mode": "train", "seed": mask_seed}
        _, (_, mask) = layers.dropout_forward(x, dict(param))
        if min(mask.sum(), (~mask).sum()) >= 3:
            break
    b = {"x": x, "dout": dout, "keep_prob": keep_prob, "seed": mask_seed, "mask": mask,
         "dx": layers.dropout_backward(dout, (param, mask))}
    _numeric(lambda v: layers.dropout_forward(v, dict(param))[0], x, dout, "dx", b)
    add("dropout_backward", b)
    return fx


# trial_status codes in the fixtures: 0 'ok', 1 'aborted: NaN', 2 'aborted: loss > Fx initial'
STATUS_CODES = {hyperopt.STATUS_OK: 0, hyperopt.STATUS_NAN: 1}
SPEC_KIND_CODES = {"log_uniform": 0, "uniform": 1, "int": 2}


def _status_code(status):
    return STATUS_CODES.get(status, 2)


def _plateau_curve(rng, n):
    """A validation-accuracy-like curve: rises, plateaus, with noise and repeated values."""
    t = np.arange(n)
    curve = 0.9 - 0.5 * np.exp(-t / rng.uniform(1.5, 4.0)) + rng.normal(0, 0.01, n)
    return np.round(curve, 2)   # rounding makes ties, as accuracies on a fixed set have


def hyperopt_fixtures(case, seed):
    """Fixtures of the deterministic hyperparameter-search functions (notebook 06).

    trial_status: loss histories -> status codes; grid_search: a space ->
    the grid in order; refine_range, early_stopping, decay_on_plateau:
    several scenarios each, fields suffixed _<i> (n_cases gives how many).
    """
    visible = _check_case(case)
    rng = np.random.default_rng(seed)
    fx = {}

    def add(name, fields):
        for k, v in fields.items():
            fx[f"{name}/{k}"] = np.asarray(v, dtype=np.float64)

    # trial_status ---------------------------------------------------------
    nan, inf = np.nan, np.inf
    if visible:
        factor = 3.0
        histories = np.array([
            [2.3, 2.1, 1.9, 1.7, 1.6, 1.5, 1.4, 1.3],      # healthy
            [2.3, 2.0, 1.8, nan, nan, nan, nan, nan],       # NaN
            [2.3, 2.5, 3.0, 4.0, 5.0, 6.0, 6.5, inf],      # inf at the end
            [2.3, 2.2, 2.0, 7.0, 1.9, 1.8, 1.7, 1.6],      # spike above 3x, then back
            [2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 5.5, 5.0],      # exactly 3x: not above
            [2.0, 1.0, 0.5, 0.2, 0.7, 1.6, 1.2, 1.0],      # > 3x the minimum, < 3x the first
            [2.3, 8.0, 9.0, nan, nan, nan, nan, nan],       # explodes, then NaN: NaN wins
            [2.3, 2.4, 3.5, 5.0, 6.0, 6.6, 6.8, 6.85],     # grows to 2.98x
        ])
    else:
        factor = float(rng.choice([2.0, 2.5, 4.0]))
        L, k = int(rng.integers(6, 12)), int(rng.integers(8, 14))
        first = rng.uniform(0.5, 3.0, (k, 1))
        histories = first * np.exp(np.cumsum(rng.normal(-0.05, 0.3, (k, L)), axis=1))
        histories[:, 0] = first[:, 0]
        for i in range(k):
            event = rng.integers(5)
            at = int(rng.integers(1, L))
            if event == 0:
                histories[i, at:] = nan
            elif event == 1:
                histories[i, at] = first[i, 0] * factor * rng.uniform(1.01, 3.0)
            elif event == 2:
                histories[i, at] = first[i, 0] * factor   # on the boundary: still ok
            elif event == 3:
                histories[i, at] = -inf if rng.random() < 0.5 else inf
    codes = [_status_code(hyperopt.trial_status(h, factor)) for h in histories]
    add("trial_status", {"histories": histories, "factor": factor, "codes": codes})

    # grid_search ----------------------------------------------------------
    if visible:
        lr, reg, hidden, choice, counts = (1e-4, 1e-1), (0.0, 0.5), (50, 200), (0.0, 0.5), (4, 3, 2)
    else:
        lo = 10 ** rng.uniform(-6, -3)
        lr, reg = (lo, lo * 10 ** rng.uniform(2, 4)), (float(rng.uniform(-1, 0)), float(rng.uniform(0.1, 1)))
        hi = int(rng.integers(2, 6))
        hidden = (1, hi)
        choice = tuple(np.round(rng.uniform(0, 1, int(rng.integers(1, 4))), 3))
        counts = (int(rng.integers(2, 5)), int(rng.integers(1, 4)), hi + 2)  # int axis: duplicates merge
    space = {"lr": ("log_uniform", *lr), "reg": ("uniform", *reg), "hidden": ("int", *hidden),
             "p": ("choice", list(choice))}
    points = dict(zip(["lr", "reg", "hidden"], counts))
    trials = hyperopt.grid_search(lambda c: {"loss_history": [1.0]}, space, points)
    add("grid_search", {"lr": lr, "reg": reg, "hidden": hidden, "choice": choice, "counts": counts,
                        "configs": [[t["config"][k] for k in space] for t in trials]})

    # refine_range ---------------------------------------------------------
    scenarios = []
    if visible:
        r = np.random.default_rng(0)
        lrs = 10 ** r.uniform(-5, -1, 20)
        acc = 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc, np.ones(20), 5))          # interior optimum
        acc_up = 0.5 + 0.1 * np.log10(lrs)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_up, np.ones(20), 3))       # best near the edge
        regs = r.uniform(0.0, 1.0, 12)
        scenarios.append(("uniform", 0.0, 1.0, regs, 0.7 - (regs - 0.05) ** 2, np.ones(12), 4))  # lower edge
        sizes = r.integers(16, 513, 10).astype(float)
        scenarios.append(("int", 16, 512, sizes, -np.abs(sizes - 300) / 1000, np.ones(10), 3))
        ok = (np.log10(lrs) < -1.5).astype(float)                                        # aborted: high lr
        acc_ab = np.where(ok > 0, 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2, 0.95)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_ab, ok, 3))
    else:
        for kind in rng.permutation(["log_uniform", "uniform", "int", "log_uniform"]):
            n = int(rng.integers(6, 25))
            if kind == "log_uniform":
                low = 10 ** rng.uniform(-7, -2)
                high = low * 10 ** rng.uniform(1, 5)
                values = 10 ** rng.uniform(np.log10(low), np.log10(high), n)
                s, s_lo, s_hi = np.log10(values), np.log10(low), np.log10(high)
            elif kind == "uniform":
                low = float(rng.uniform(-1, 1)); high = low + float(rng.uniform(0.1, 3))
                values = rng.uniform(low, high, n)
                s, s_lo, s_hi = values, low, high
            else:
                low = int(rng.integers(1, 50)); high = low + int(rng.integers(10, 500))
                values = rng.integers(low, high + 1, n).astype(float)
                s, s_lo, s_hi = values, low, high
            peak = rng.uniform(s_lo - 0.1 * (s_hi - s_lo), s_hi + 0.1 * (s_hi - s_lo))
            metric = 0.9 - ((s - peak) / (s_hi - s_lo)) ** 2 + rng.normal(0, 0.01, n)
            ok = (rng.random(n) < 0.8).astype(float)
            ok[int(rng.integers(n))] = 1.0
            scenarios.append((str(kind), low, high, values, metric, ok, int(rng.integers(1, 7))))
    for i, (kind, low, high, values, metric, ok, top) in enumerate(scenarios):
        trials = [{"config": {"x": float(v) if kind != "int" else int(v)},
                   "result": {"val_acc": float(m)},
                   "status": hyperopt.STATUS_OK if o else hyperopt.STATUS_NAN}
                  for v, m, o in zip(values, metric, ok)]
        (_, new_low, new_high), warning = hyperopt.refine_range(trials, "x", {"x": (kind, low, high)}, top=top)
        side = 0 if warning is None else (1 if "lower edge" in warning else 2)
        add("refine_range", {f"kind_{i}": SPEC_KIND_CODES[kind], f"range_{i}": (low, high),
                             f"values_{i}": values, f"metric_{i}": metric, f"ok_{i}": ok, f"top_{i}": top,
                             f"new_range_{i}": (new_low, new_high), f"side_{i}": side})
    add("refine_range", {"n_cases": len(scenarios)})

    # early_stopping and decay_on_plateau ---------------------------------
    if visible:
        stop_cases = [  # history, patience, mode (1 = max, 0 = min), min_delta
            ([0.50, 0.60, 0.65, 0.64, 0.66, 0.66, 0.65, 0.64, 0.70, 0.71], 3, 1, 0.0),  # stops before 0.70
            ([0.50, 0.60, 0.60, 0.60, 0.59, 0.58], 2, 1, 0.0),                            # ties do not improve
            ([0.30, 0.40, 0.50, 0.55, 0.58, 0.60], 2, 1, 0.0),                            # never stops
            ([2.0, 1.5, 1.2, 1.25, 1.1, 1.15, 1.3, 1.4, 0.9], 2, 0, 0.0),                 # a loss (min)
            ([0.50, 0.60, 0.605, 0.607, 0.615, 0.62, 0.70], 2, 1, 0.01),                  # min_delta
        ]
        plateau_cases = [  # history, lr, factor, patience, mode, min_delta
            ([0.5, 0.6, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.67, 0.6, 0.6], 0.1, 0.5, 2, 1, 0.0),
            ([2.0, 1.8, 1.9, 1.7, 1.7, 1.7, 1.7, 1.6], 1e-2, 0.1, 1, 0, 0.0),
            ([0.5, 0.525, 0.53, 0.535, 0.54, 0.6, 0.6], 1.0, 0.3, 2, 1, 0.02),
        ]
    else:
        stop_cases, plateau_cases = [], []
        for _ in range(5):
            n = int(rng.integers(5, 20))
            curve, mode = _plateau_curve(rng, n), int(rng.integers(2))
            if mode == 0:
                curve = np.round(1.0 - curve, 2)
            stop_cases.append((curve, int(rng.integers(1, 5)), mode, float(rng.choice([0.0, 0.0, 0.015]))))
        for _ in range(4):
            n = int(rng.integers(5, 20))
            curve, mode = _plateau_curve(rng, n), int(rng.integers(2))
            if mode == 0:
                curve = np.round(1.0 - curve, 2)
            plateau_cases.append((curve, float(10 ** rng.uniform(-4, 0)), float(rng.choice([0.1, 0.2, 0.5])),
                                  int(rng.integers(1, 4)), mode, float(rng.choice([0.0, 0.015]))))
        rising = np.round(np.sort(rng.uniform(0.3, 0.8, 3)), 2)       # then a long plateau: several cuts
        flat = np.r_[rising, np.full(int(rng.integers(5, 9)), rising[-1])]
        plateau_cases.append((flat, float(10 ** rng.uniform(-3, 0)), 0.5, int(rng.integers(1, 3)), 1, 0.0))
    for i, (history, patience, mode, min_delta) in enumerate(stop_cases):
        out = hyperopt.early_stopping(history, patience, mode=["min", "max"][mode], min_delta=min_delta)
        add("early_stopping", {f"history_{i}": history, f"patience_{i}": patience, f"mode_{i}": mode,
                               f"min_delta_{i}": min_delta, f"best_epoch_{i}": out["best_epoch"],
                               f"stop_epoch_{i}": out["stop_epoch"]})
    add("early_stopping", {"n_cases": len(stop_cases)})
    for i, (history, lr, factor, patience, mode, min_delta) in enumerate(plateau_cases):
        rates = hyperopt.decay_on_plateau(history, lr, factor, patience, mode=["min", "max"][mode],
                                          min_delta=min_delta)
        add("decay_on_plateau", {f"history_{i}": history, f"lr_{i}": lr, f"factor_{i}": factor,
                                 f"patience_{i}": patience, f"mode_{i}": mode, f"min_delta_{i}": min_delta,
                                 f"rates_{i}": rates})
    add("decay_on_plateau", {"n_cases": len(plateau_cases)})
    return fx


TOPICS = {"activations": activation_fixtures, "normalization": normalization_fixtures,
          "preprocessing": preprocessing_fixtures, "hyperopt": hyperopt_fixtures,
          "optimization": optimization_fixtures}


def build(topic, case, seed, only=None):
    """The fixture dict of ``topic`` in regime ``case``, inputs drawn from ``seed``.

    Parameters
    ----------
    topic : str
        A key of TOPICS.
    case : {'visible', 'hidden'}
        The regime (shapes, extreme inputs, eps...).
    seed : int or sequence of int
        Seed of the Generator every input is drawn from.
    only : str, optional
        Keep this function's fields only (same draws; the grader's hidden
        case of one function).

    Returns
    -------
    dict of str to numpy.ndarray
        ``'<function>/<field>' -> array``; every reference gradient has been
        checked against its numerical gradient (NUMERIC_SANITY).
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown fixture topic {topic!r}; known: {', '.join(TOPICS)}")
    token = _ONLY.set(only)
    try:
        fx = TOPICS[topic](case, seed)
    finally:
        _ONLY.reset(token)
    if only is not None:   # builders with their own add() keep everything
        fx = {k: v for k, v in fx.items() if k.startswith(only + "/")}
    try:
        check_numeric(fx, NUMERIC_SANITY[case])
    except AssertionError as exc:
        raise AssertionError(f"{topic} fixtures ({case}, seed {seed}): {exc}") from None
    return fx


def generate(visible_dir=VISIBLE_DIR):
    """Write every topic's visible fixture; returns the paths."""
    folder = Path(visible_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for topic, seed in VISIBLE_SEEDS.items():
        path = folder / f"{topic}.npz"
        np.savez_compressed(path, **build(topic, "visible", seed))
        paths.append(path)
    return paths


# Whitening matrices (and data whitened with them) go through 1 / sqrt(S + eps)
# with an eigenvalue S ~ 1e-9 << eps: a last-bit change of the covariance
# (another BLAS's summation order) moves them by ~ eps_mach * ||C|| / eps.
WHITENED_FIELDS = ("W_pca", "W_zca", "out_pca", "out_zca")


def _finite_scale(x):
    """Largest finite |value| of x (0 if none): an inf must not make atol infinite."""
    finite = np.abs(x[np.isfinite(x)])
    return float(finite.max(initial=0.0))


def tolerance(key, x, y):
    """(rtol, atol) for comparing two versions of the float array ``key``.

    Not exact, because another CPU's libm (exp, expm1, tanh) or BLAS/LAPACK
    may differ in the last bit; each kind of value amplifies that differently:
    * inputs and reference outputs inherit it as ~1e-15 relative: rtol 1e-9,
      plus atol 1e-12 of the array's scale for entries near 0;
    * whitening (WHITENED_FIELDS) amplifies it by ||C|| / eps ~ 1e7 (2e-9
      measured between two machines): rtol 1e-7, still 10x below the 1e-6
      at which the tests compare W;
    * a numerical gradient ``*_num`` divides a difference of two nearby sums
      by 2h = 2e-5, i.e. magnifies it ~1e5 times (7.6e-12 seen on
      elu_backward/dx_num); the tests only use it at NUMERIC_TOL = 1e-6
      relative, so atol 1e-7 of its largest |value| is safe and still tight.
    """
    scale = max(_finite_scale(x), _finite_scale(y))
    field = key.rsplit("/", 1)[-1]
    if field.endswith("_num"):
        return 0.0, 1e-7 * scale
    if field in WHITENED_FIELDS:
        return 1e-7, 1e-12 * scale
    return 1e-9, 1e-12 * scale


def compare(a, b):
    """Differences between two fixture files, as a list of strings (empty if they agree).

    Float arrays are compared with ``tolerance``; other arrays (masks, ints,
    booleans) must be equal.
    """
    a, b = Path(a), Path(b)
    with np.load(a) as fa, np.load(b) as fb:
        problems = [f"{a.name}: key {k} only in one file" for k in sorted(set(fa.files) ^ set(fb.files))]
        for k in sorted(set(fa.files) & set(fb.files)):
            x, y = fa[k], fb[k]
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{a.name}:{k}: {x.shape}/{x.dtype} vs {y.shape}/{y.dtype}")
            elif x.dtype.kind == "f":
                rtol, atol = tolerance(k, x, y)
                if not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
                    problems.append(f"{a.name}:{k}: values differ (max {np.max(np.abs(x - y)):.1e}; "
                                    f"allowed rtol {rtol:g}, atol {atol:.1e})")
            elif not np.array_equal(x, y):
                problems.append(f"{a.name}:{k}: values differ")
    return problems


def check(visible_dir=VISIBLE_DIR):
    """Regenerate the visible fixtures in a temporary folder; compare with ``visible_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        problems = []
        for fresh in generate(tmp):
            committed = Path(visible_dir) / fresh.name
            if not committed.exists():
                problems.append(f"{committed} is missing")
            else:
                problems += compare(fresh, committed)
        return problems


def main():
    parser = argparse.ArgumentParser(description="Generate or check the test fixtures.")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for p in problems:
            print(p)
        print("fixtures are up to date" if not problems else f"{len(problems)} difference(s)")
        sys.exit(1 if problems else 0)
    for path in generate():
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
