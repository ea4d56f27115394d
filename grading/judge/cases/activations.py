"""Cases of the activation layers (notebook 01; selfcheck/activations.py)."""
import numpy as np

from cs231n_lite import layers

from .common import H, check_case, fixture_dict, numeric, with_zeros

# Maxout: the top two pieces of every output differ by at least this much, so
# that a step of H in x, w or b never swaps them inside a centered difference.
MAXOUT_MIN_GAP = 1e-3


def _elementwise(name, forward, x, dout, **kw):
    """Fixtures of an elementwise activation's forward and backward."""
    out, cache = forward(x, **kw)
    backward = getattr(layers, name + "_backward")
    fields_f = {"x": x, "out": out}
    fields_b = {"x": x, "out": out, "dout": dout, "dx": backward(dout, cache)}
    away_from_kink = np.abs(x) > 10 * H
    numeric(lambda v: forward(v, **kw)[0], x, dout, "dx", fields_b, away_from_kink)
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


def build(case, seed):
    """Fixtures of the activation layers: {'<function>/<field>': array}."""
    check_case(case)
    rng = np.random.default_rng(seed)
    shape = (4, 5) if case == "visible" else (6, 7)
    fx, add = fixture_dict()

    def rand(scale=2.0):
        return scale * rng.standard_normal(shape)

    for name in ("sigmoid", "tanh"):
        x = rand(3.0)
        f, b = _elementwise(name, getattr(layers, name + "_forward"), x, rand(1.0))
        add(name + "_forward", f)
        add(name + "_backward", b)
    # the docstring's promise: no overflow warning at +-1000 (both cases, so students see it)
    extreme = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0])
    add("sigmoid_forward", {"x_extreme": extreme, "out_extreme": layers.sigmoid_forward(extreme)[0]})

    x = with_zeros(rand(), rng, 4)
    f, b = _elementwise("relu", layers.relu_forward, x, rand(1.0))
    add("relu_forward", f)
    add("relu_backward", b)

    alpha = 0.1 if case == "visible" else 0.03     # never the default 0.01: an ignored alpha shows
    x = with_zeros(rand(), rng, 3)
    kw = {"alpha": alpha}
    f, b = _elementwise("leaky_relu", layers.leaky_relu_forward, x, rand(1.0), **kw)
    add("leaky_relu_forward", {**f, "alpha": alpha})
    add("leaky_relu_backward", {**b, "alpha": alpha})

    alpha = 1.5 if case == "visible" else 0.7
    x = with_zeros(rand(2.5), rng, 3)                  # the kink: slope alpha at x == 0
    if case == "hidden":
        x.reshape(-1)[-3:] = [800.0, 50.0, -800.0]  # a naive exp overflows here
    with np.errstate(over="raise"):
        f, b = _elementwise("elu", layers.elu_forward, x, rand(1.0), alpha=alpha)
    add("elu_forward", {**f, "alpha": alpha})
    add("elu_backward", {**b, "alpha": alpha})

    # PReLU: alpha per feature; dalpha's numerical gradient through alpha
    x = with_zeros(rand(), rng, 3)
    alpha = rng.uniform(0.05, 0.5, size=shape[1])
    dout = rand(1.0)
    out, cache = layers.prelu_forward(x, alpha)
    dx, dalpha = layers.prelu_backward(dout, cache)
    b = {"x": x, "alpha": alpha, "dout": dout, "dx": dx, "dalpha": dalpha}
    numeric(lambda v: layers.prelu_forward(v, alpha)[0], x, dout, "dx", b, np.abs(x) > 10 * H)
    numeric(lambda a: layers.prelu_forward(x, a)[0], alpha, dout, "dalpha", b)
    add("prelu_forward", {"x": x, "alpha": alpha, "out": out})
    add("prelu_backward", b)

    # Maxout: N examples, D inputs, M outputs, K pieces
    N, D, M, K = (4, 5, 3, 2) if case == "visible" else (6, 4, 5, 3)
    x, w, b_ = _maxout_inputs(rng, N, D, M, K)
    dout = rng.standard_normal((N, M))
    out, cache = layers.maxout_forward(x, w, b_)
    dx, dw, db = layers.maxout_backward(dout, cache)
    bw = {"x": x, "w": w, "b": b_, "z": cache[3], "dout": dout, "dx": dx, "dw": dw, "db": db}
    numeric(lambda v: layers.maxout_forward(v, w, b_)[0], x, dout, "dx", bw)
    numeric(lambda v: layers.maxout_forward(x, v, b_)[0], w, dout, "dw", bw)
    numeric(lambda v: layers.maxout_forward(x, w, v)[0], b_, dout, "db", bw)
    add("maxout_forward", {"x": x, "w": w, "b": b_, "out": out, "z": cache[3]})
    add("maxout_backward", {**bw, **_maxout_ties(rng, N, D, M, K)})
    return fx


def _maxout_ties(rng, N, D, M, K):
    """tie_* fields: a Maxout layer whose winning pieces tie exactly (docstring: the first one wins).

    Output 0 has its pieces 0 and 1 identical (and winning by a margin);
    for K = 3, output M - 1 has pieces 1 and 2 identical and winning. No
    numerical gradient exists at a tie, so only the reference is compared.
    """
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, M, K)), rng.standard_normal((M, K))
    w[:, 0, 1], b[0, 1] = w[:, 0, 0], b[0, 0]
    b[0, :2] += 10.0                                        # the tied pieces win for every example
    if K >= 3:
        w[:, M - 1, 2], b[M - 1, 2] = w[:, M - 1, 1], b[M - 1, 1]
        b[M - 1, 1:] += 10.0
    dout = rng.standard_normal((N, M))
    _, cache = layers.maxout_forward(x, w, b)
    dx, dw, db = layers.maxout_backward(dout, cache)
    return {"tie_x": x, "tie_w": w, "tie_b": b, "tie_z": cache[3], "tie_dout": dout,
            "tie_dx": dx, "tie_dw": dw, "tie_db": db}
