"""Tests of the activation layers (notebook 01_activation_functions.ipynb).

Each ``test_<name>(fn, case)`` takes the function under test, runs it on the
visible or hidden fixture, and raises CheckFailed with a precise message.
Caches are a contract: each forward's test checks the cache its docstring
documents, and each backward's test builds that cache itself from the
fixture, so a bug in a forward pass never costs the backward's points.
Every gradient is compared with the reference and with a numerical gradient
(centered differences of the reference forward). Each test's docstring
lists the mistakes its messages name.
"""
import numpy as np

from .feedback import (CheckFailed, call, expect_array, expect_cache, expect_gradients, expect_no_warnings,
                       expect_outputs)
from .registry import Suite

NOTEBOOK = "01_activation_functions.ipynb"
SUITE = Suite(module="layers", notebook=NOTEBOOK, fixtures="activations")
FORWARD_TOL = 1e-9
BACKWARD_TOL = 1e-8
NUMERIC_TOL = 1e-6
AT_ZERO = ("at x == 0 the slope is {slope} (x == 0 belongs to the negative side): use x > 0 for the "
           "identity side, not x >= 0.")


def _forward(name, fn, f, args, kwargs=None, mistakes=None, cache=None, backward=None):
    """Run a forward pass on fixture f, compare its out, then its cache with the documented layout."""
    result, _ = call(fn, name, *args, **(kwargs or {}))
    out, got_cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, context={"x": f["x"]}, mistakes=mistakes)
    if cache is not None:
        expect_cache(name, got_cache, cache, backward or name.replace("_forward", "_backward"))
    return out


def _backward(name, fn, f, cache, outputs, mistakes=None, context=None):
    """Run a backward pass on fixture f and check each gradient twice."""
    result, _ = call(fn, name, f["dout"], cache)
    values = expect_outputs(name, result, outputs)
    expect_gradients(name, outputs, values, f, BACKWARD_TOL, NUMERIC_TOL, mistakes,
                     context={"x": f["x"], **(context or {})})
    return values


def _sigmoid(x):
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-x))


# --------------------------------------------------------------------------
@SUITE.graded("sigmoid_forward", points=1)
def test_sigmoid_forward(sigmoid_forward, case="visible"):
    """Named mistakes: the exponent's sign flipped (everywhere, or in one of the two stable forms);
    a naive form that overflows at -1000 (a warning); float32 input not kept float32; the cache."""
    name = "sigmoid_forward"
    f = SUITE.load(name, case)
    x = f["x"]
    flipped = 1 / (1 + np.exp(x))
    _forward(name, sigmoid_forward, f, (x,), mistakes=[
        ("the sign of the exponent is flipped: sigmoid(x) = 1 / (1 + exp(-x)).", flipped),
        ("the sign of the exponent is flipped for x >= 0: there the form is 1 / (1 + exp(-x)).",
         np.where(x >= 0, flipped, _sigmoid(x))),
        ("for x < 0 the stable form is exp(x) / (1 + exp(x)); yours is 1 / (1 + exp(x)), the sigmoid of -x.",
         np.where(x < 0, flipped, _sigmoid(x))),
    ], cache=[("x", x), ("out", f["out"])])
    with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):   # numpy's defaults
        result, caught = call(sigmoid_forward, name, f["x_extreme"])
    out, _ = expect_outputs(name, result, ("out", "cache"))
    expect_no_warnings(name, caught, f"x = {f['x_extreme'].tolist()}")
    expect_array(name, "out", out, f["out_extreme"], FORWARD_TOL, context={"x": f["x_extreme"]})
    result, _ = call(sigmoid_forward, name, x.astype(np.float32))
    out, _ = expect_outputs(name, result, ("out", "cache"))
    # float32 keeps ~7 digits: compare in absolute terms (values lie in [0, 1]); the point is the dtype
    expect_array(name, "out for a float32 x", out, f["out"], 1e-3, dtype=np.float32, atol=1e-6)


@SUITE.graded("sigmoid_backward", points=2)
def test_sigmoid_backward(sigmoid_backward, case="visible"):
    """Named mistakes: the local gradient from x instead of out; dout not multiplied in; the factor
    (1 - out) missing; tanh's derivative 1 - out**2; sigmoid applied again to out."""
    f = SUITE.load("sigmoid_backward", case)
    x, out, dout = f["x"], f["out"], f["dout"]
    again = _sigmoid(out)
    _backward("sigmoid_backward", sigmoid_backward, f, (x, out), ("dx",), mistakes={"dx": [
        ("the local gradient was computed from x instead of sigmoid(x): it is "
         "sigmoid(x) * (1 - sigmoid(x)), and the cache already holds sigmoid(x) as out.",
         dout * x * (1 - x)),
        ("the upstream gradient dout was not multiplied in (chain rule).", out * (1 - out)),
        ("the local gradient was used without the factor (1 - sigmoid(x)).", dout * out),
        ("1 - out**2 is the derivative of tanh; the sigmoid's is out * (1 - out).", dout * (1 - out ** 2)),
        ("sigmoid was applied again to out: the cache's out is already sigmoid(x), so the local "
         "gradient is out * (1 - out).", dout * again * (1 - again)),
    ]})


@SUITE.graded("tanh_forward", points=1)
def test_tanh_forward(tanh_forward, case="visible"):
    """Named mistakes: the sigmoid instead of tanh; 2 * sigmoid(2x) without its - 1; the cache."""
    f = SUITE.load("tanh_forward", case)
    x = f["x"]
    _forward("tanh_forward", tanh_forward, f, (x,), mistakes=[
        ("that is the sigmoid 1 / (1 + exp(-x)); tanh is (exp(x) - exp(-x)) / (exp(x) + exp(-x)), "
         "np.tanh, with values in [-1, 1].", _sigmoid(x)),
        ("tanh(x) = 2 * sigmoid(2x) - 1: the - 1 is missing.", 2 * _sigmoid(2 * x)),
    ], cache=[("x", x), ("out", f["out"])])


@SUITE.graded("tanh_backward", points=2)
def test_tanh_backward(tanh_backward, case="visible"):
    """Named mistakes: 1 - x**2 (the input, not out); tanh applied twice; dout not multiplied in;
    1 - out (the square missing); the sigmoid's derivative out * (1 - out)."""
    f = SUITE.load("tanh_backward", case)
    x, out, dout = f["x"], f["out"], f["dout"]
    _backward("tanh_backward", tanh_backward, f, (x, out), ("dx",), mistakes={"dx": [
        ("you used 1 - x**2: the derivative is 1 - tanh(x)**2, with tanh(x) (out in the "
         "cache), not the input x.", dout * (1 - x ** 2)),
        ("tanh was applied twice: out in the cache is already tanh(x), so the derivative "
         "is 1 - out**2.", dout * (1 - np.tanh(out) ** 2)),
        ("the upstream gradient dout was not multiplied in (chain rule).", 1 - out ** 2),
        ("the square is missing: the derivative is 1 - out**2, not 1 - out.", dout * (1 - out)),
        ("out * (1 - out) is the sigmoid's derivative; tanh's is 1 - out**2.", dout * out * (1 - out)),
    ]})


@SUITE.graded("relu_forward", points=1)
def test_relu_forward(relu_forward, case="visible"):
    """Named mistakes: the comparison inverted (min); |x|; the boolean mask returned instead of the
    values; a leaky ReLU's slope on the negative side; the input changed in place; the cache."""
    f = SUITE.load("relu_forward", case)
    x = f["x"]
    _forward("relu_forward", relu_forward, f, (x,), mistakes=[
        ("the comparison is inverted: ReLU keeps the positive values and zeroes the negative ones.",
         np.minimum(0, x)),
        ("ReLU is max(0, x), not |x|.", np.abs(x)),
        ("you returned the mask x > 0; ReLU returns the values, max(0, x) (or x * (x > 0)).",
         (x > 0).astype(float)),
        ("the negative side has a slope (a leaky ReLU); ReLU's negative side is 0.",
         np.where(x > 0, x, 0.01 * x)),
    ], cache=[("x", x)])


@SUITE.graded("relu_backward", points=2)
def test_relu_backward(relu_backward, case="visible"):
    """Named mistakes: gradient at x == 0 (x >= 0); gradient on the negative side; the mask without
    dout; dout times relu(x); dout changed in place."""
    f = SUITE.load("relu_backward", case)
    x, dout = f["x"], f["dout"]
    _backward("relu_backward", relu_backward, f, x, ("dx",), mistakes={"dx": [
        ("your gradient passes through where x == 0; the subgradient used here is 0 at "
         "x == 0, so use x > 0, not x >= 0.", dout * (x >= 0)),
        ("your gradient passes where x < 0: the gradient flows only where the unit was "
         "active, x > 0.", dout * (x < 0)),
        ("you returned the mask without multiplying by the upstream gradient dout.",
         (x > 0).astype(float)),
        ("you multiplied dout by relu(x) instead of by the indicator x > 0.", dout * np.maximum(0, x)),
    ]})


@SUITE.graded("leaky_relu_forward", points=1)
def test_leaky_relu_forward(leaky_relu_forward, case="visible"):
    """Named mistakes: alpha on the positive side; alpha instead of alpha * x; the alpha argument
    ignored (0.01 used); a plain ReLU (negative side 0); the cache."""
    name = "leaky_relu_forward"
    f = SUITE.load(name, case)
    x, alpha = f["x"], float(f["alpha"])
    kwargs = {"alpha": alpha}          # never the default 0.01: an ignored alpha shows
    mistakes = [
        ("alpha was applied on the positive side: the slope is 1 for x > 0 and alpha for x <= 0.",
         np.where(x > 0, alpha * x, x)),
        ("the negative side was set to alpha instead of alpha * x.", np.where(x > 0, x, alpha)),
        ("the negative side is 0, as in a plain ReLU; it is alpha * x.", np.maximum(0, x)),
    ]
    if alpha != 0.01:
        mistakes.append(("the alpha argument was ignored (0.01 used); use the alpha you are given.",
                         np.where(x > 0, x, 0.01 * x)))
    _forward(name, leaky_relu_forward, f, (x,), kwargs, mistakes=mistakes, cache=[("x", x), ("alpha", alpha)])


@SUITE.graded("leaky_relu_backward", points=2)
def test_leaky_relu_backward(leaky_relu_backward, case="visible"):
    """Named mistakes: alpha on the positive side; no gradient on the negative side; slope 1 at
    x == 0; the cache's alpha ignored (0.01 used); dout not multiplied in."""
    f = SUITE.load("leaky_relu_backward", case)
    x, dout, alpha = f["x"], f["dout"], float(f["alpha"])
    mistakes = [
        ("alpha was applied on the positive side: the local slope is 1 for x > 0 and "
         "alpha for x <= 0.", np.where(x > 0, alpha * dout, dout)),
        ("the negative side got no gradient at all, as in a plain ReLU: it gets alpha * dout.",
         dout * (x > 0)),
        (AT_ZERO.format(slope="alpha"), np.where(x >= 0, dout, alpha * dout)),
        ("the upstream gradient dout was not multiplied in (chain rule).", np.where(x > 0, 1.0, alpha)),
    ]
    if alpha != 0.01:
        mistakes.append(("the cache's alpha was ignored (0.01 used).", np.where(x > 0, dout, 0.01 * dout)))
    _backward("leaky_relu_backward", leaky_relu_backward, f, (x, alpha), ("dx",), mistakes={"dx": mistakes})


@SUITE.graded("prelu_forward", points=1)
def test_prelu_forward(prelu_forward, case="visible"):
    """Named mistakes: alpha on the positive side; the negative side 0 (a ReLU); the cache."""
    f = SUITE.load("prelu_forward", case)
    x, alpha = f["x"], f["alpha"]
    _forward("prelu_forward", prelu_forward, f, (x, alpha), mistakes=[
        ("alpha was applied on the positive side.", np.where(x > 0, alpha * x, x)),
        ("the negative side is 0, as in a plain ReLU; it is alpha[j] * x[i, j].", np.maximum(0, x)),
    ], cache=[("x", x), ("alpha", alpha)])


@SUITE.graded("prelu_backward", points=2)
def test_prelu_backward(prelu_backward, case="visible"):
    """Named mistakes: dx with alpha on the positive side or slope 1 at x == 0; dalpha not summed
    over the batch, averaged, collected where x > 0 too, or without dout."""
    f = SUITE.load("prelu_backward", case)
    x, alpha, dout = f["x"], f["alpha"], f["dout"]
    per_example = dout * x * (x <= 0)
    _backward("prelu_backward", prelu_backward, f, (x, alpha), ("dx", "dalpha"), mistakes={
        "dx": [("alpha was applied on the positive side.", np.where(x > 0, alpha * dout, dout)),
               (AT_ZERO.format(slope="alpha"), np.where(x >= 0, dout, alpha * dout))],
        "dalpha": [
            ("dalpha was not summed over the batch: alpha is shared by all N examples, so "
             "its gradient is the sum of their contributions, shape (D,).", per_example),
            ("dalpha was averaged over the batch; the loss already averages, so sum here.",
             per_example.mean(axis=0)),
            ("dalpha also collected gradient where x > 0; alpha only acts where x <= 0.",
             (dout * x).sum(axis=0)),
            ("dalpha lacks the upstream gradient: it is the sum of dout * x where x <= 0.",
             (x * (x <= 0)).sum(axis=0)),
        ]})


@SUITE.graded("elu_forward", points=1)
def test_elu_forward(elu_forward, case="visible"):
    """Named mistakes: alpha missing (or ignored); the - 1 missing; alpha * exp(x) - 1; the cache."""
    name = "elu_forward"
    f = SUITE.load(name, case)
    x, alpha = f["x"], float(f["alpha"])
    kwargs = {"alpha": alpha}          # never the default 1.0
    with np.errstate(all="ignore"):
        neg = np.exp(np.minimum(x, 0))
        _forward(name, elu_forward, f, (x,), kwargs, mistakes=[
            ("alpha is missing (or ignored): the negative side is alpha * (exp(x) - 1).",
             np.where(x > 0, x, neg - 1)),
            ("the '- 1' is missing: the negative side is alpha * (exp(x) - 1), which is 0 at x = 0.",
             np.where(x > 0, x, alpha * neg)),
            ("alpha multiplies exp(x) only: the negative side is alpha * (exp(x) - 1), not "
             "alpha * exp(x) - 1.", np.where(x > 0, x, alpha * neg - 1)),
        ], cache=[("x", x), ("alpha", alpha)])


@SUITE.graded("elu_backward", points=2)
def test_elu_backward(elu_backward, case="visible"):
    """Named mistakes: alpha * exp(x) on the positive side too; alpha missing; slope 1 at x == 0;
    the forward's - 1 kept in the derivative; dout not multiplied in."""
    f = SUITE.load("elu_backward", case)
    x, dout, alpha = f["x"], f["dout"], float(f["alpha"])
    with np.errstate(all="ignore"):
        neg = np.exp(np.minimum(x, 0))
        wrong_everywhere = dout * alpha * np.exp(np.minimum(x, 50))
    _backward("elu_backward", elu_backward, f, (x, alpha), ("dx",), mistakes={"dx": [
        ("alpha * exp(x) was used on the positive side too: for x > 0 ELU is the identity, "
         "local slope 1.", wrong_everywhere),
        ("alpha is missing on the negative side: the derivative of alpha * (exp(x) - 1) is "
         "alpha * exp(x).", np.where(x > 0, dout, dout * neg)),
        (AT_ZERO.format(slope="alpha * exp(0) = alpha"), np.where(x >= 0, dout, dout * alpha * neg)),
        ("the - 1 of the forward pass was kept: the derivative of alpha * (exp(x) - 1) is alpha * exp(x).",
         np.where(x > 0, dout, dout * alpha * (neg - 1))),
        ("the upstream gradient dout was not multiplied in (chain rule).", np.where(x > 0, 1.0, alpha * neg)),
    ]})


@SUITE.graded("maxout_forward", points=2)
def test_maxout_forward(maxout_forward, case="visible"):
    """Named mistakes: the pieces summed or averaged; the bias left out; the max over the M
    outputs instead of the K pieces; the cache (its z must hold every piece, bias included)."""
    name = "maxout_forward"
    f = SUITE.load(name, case)
    x, w, b, z = f["x"], f["w"], f["b"], f["z"]
    result, _ = call(maxout_forward, name, x, w, b)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the pieces were summed instead of taking their max.", z.sum(axis=2)),
        ("the bias b was left out of the pieces.", (z - b).max(axis=2)),
        ("the pieces were averaged instead of taking their max.", z.mean(axis=2)),
        ("the max was taken over the M outputs (axis 1); take it over the K pieces (axis 2).", z.max(axis=1)),
    ])
    expect_cache(name, cache, [("x", x), ("w", w), ("b", b), ("z", z, [
        ("the cache's z lacks the bias: z[n, m, k] = x[n] @ w[:, m, k] + b[m, k], every piece in full.", z - b)])],
        "maxout_backward")


@SUITE.graded("maxout_backward", points=3)
def test_maxout_backward(maxout_backward, case="visible"):
    """Named mistakes: the gradient sent to every piece; to every piece tied for the max (the first
    one gets it); to the last tied piece; dw or db not summed over the batch."""
    name = "maxout_backward"
    f = SUITE.load(name, case)
    x, w, b, z, dout = f["x"], f["w"], f["b"], f["z"], f["dout"]
    dz_all = np.broadcast_to(dout[:, :, None], z.shape)
    every_piece = "the gradient went to every piece; only the arg-max piece of each output receives it."
    winner = (z == z.max(axis=2, keepdims=True)) * dout[:, :, None]
    _backward(name, maxout_backward, f, (x, w, b, z), ("dx", "dw", "db"), mistakes={
        "dx": [(every_piece, np.einsum("nmk,dmk->nd", dz_all, w))],
        "dw": [(every_piece, np.einsum("nd,nmk->dmk", x, dz_all)),
               ("dw was not summed over the batch: w is shared by all N examples.",
                np.einsum("nd,nmk->ndmk", x, winner))],
        "db": [(every_piece, dz_all.sum(axis=0)),
               ("db was not summed over the batch: b is shared by all N examples, shape (M, K).", winner)],
    }, context={})
    # exact ties: the docstring's rule (the first tied piece wins, as argmax picks it)
    x, w, z, dout = f["tie_x"], f["tie_w"], f["tie_z"], f["tie_dout"]
    result, _ = call(maxout_backward, name, dout, (x, w, f["tie_b"], z))
    values = expect_outputs(name, result, ("dx", "dw", "db"))
    tied = (z == z.max(axis=2, keepdims=True)) * dout[:, :, None]
    last = z.shape[2] - 1 - z[:, :, ::-1].argmax(axis=2)
    to_last = np.zeros_like(z)
    n_idx, m_idx = np.indices(last.shape)
    to_last[n_idx, m_idx, last] = dout
    every_tied = ("where pieces tie for the max, every tied piece got the gradient; only the first of "
                  "them does (the docstring's rule, as z.argmax picks it).")
    last_tied = "where pieces tie for the max, the last of them got the gradient; the first one does (z.argmax)."
    for key, value, as_tied, as_last in zip(
            ("dx", "dw", "db"), values,
            (np.einsum("nmk,dmk->nd", tied, w), np.einsum("nd,nmk->dmk", x, tied), tied.sum(axis=0)),
            (np.einsum("nmk,dmk->nd", to_last, w), np.einsum("nd,nmk->dmk", x, to_last), to_last.sum(axis=0))):
        expect_array(name, f"{key} where two pieces tie for the max", value, f[f"tie_{key}"], BACKWARD_TOL,
                     mistakes=[(every_tied, as_tied), (last_tied, as_last)])


__all__ = [n for n in dir() if n.startswith("test_")] + ["CheckFailed"]
