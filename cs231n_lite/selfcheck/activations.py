"""Tests of the activation layers (notebook 01_activation_functions.ipynb).

Each ``test_<name>(fn, case)`` takes the function under test, runs it on the
visible or hidden fixture, and raises CheckFailed with a precise message.
Backward tests build the cache themselves (its layout is documented in
layers.py), so a bug in a forward pass never costs the backward's points,
and compare every gradient with the reference and with a numerical
gradient (centered differences of the reference forward).
"""
import numpy as np

from .feedback import (CheckFailed, call, expect_array, expect_gradients, expect_no_warnings,
                       expect_outputs)
from .fixtures import load
from .registry import Suite

TOPIC = "activations"
NOTEBOOK = "01_activation_functions.ipynb"
SUITE = Suite(module="layers", notebook=NOTEBOOK, fixtures="activations")
FORWARD_TOL = 1e-9
BACKWARD_TOL = 1e-8
NUMERIC_TOL = 1e-6



def _forward(name, fn, f, args, kwargs=None, mistakes=None):
    """Run a forward pass on fixture f and compare its out."""
    result, _ = call(fn, name, *args, **(kwargs or {}))
    out, _cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, context={"x": f["x"]}, mistakes=mistakes)
    return out


def _backward(name, fn, f, cache, outputs, mistakes=None, context=None):
    """Run a backward pass on fixture f and check each gradient twice."""
    result, _ = call(fn, name, f["dout"], cache)
    values = expect_outputs(name, result, outputs)
    expect_gradients(name, outputs, values, f, BACKWARD_TOL, NUMERIC_TOL, mistakes,
                     context={"x": f["x"], **(context or {})})
    return values


# --------------------------------------------------------------------------
@SUITE.graded("sigmoid_forward", points=1)
def test_sigmoid_forward(sigmoid_forward, case="visible"):
    name = "sigmoid_forward"
    f = load(TOPIC, name, case)
    x = f["x"]
    _forward(name, sigmoid_forward, f, (x,), mistakes=[
        ("the sign of the exponent is flipped: sigmoid(x) = 1 / (1 + exp(-x)).", 1 / (1 + np.exp(x))),
    ])
    if "x_extreme" in f:
        result, caught = call(sigmoid_forward, name, f["x_extreme"])
        out, _ = expect_outputs(name, result, ("out", "cache"))
        expect_no_warnings(name, caught, f"x = {f['x_extreme'].tolist()}")
        expect_array(name, "out", out, f["out_extreme"], FORWARD_TOL,
                     context={"x": f["x_extreme"]})


@SUITE.graded("sigmoid_backward", points=2)
def test_sigmoid_backward(sigmoid_backward, case="visible"):
    f = load(TOPIC, "sigmoid_backward", case)
    x, out, dout = f["x"], f["out"], f["dout"]
    _backward("sigmoid_backward", sigmoid_backward, f, (x, out), ("dx",), mistakes={"dx": [
        ("the local gradient was computed from x instead of sigmoid(x): it is "
         "sigmoid(x) * (1 - sigmoid(x)), and the cache already holds sigmoid(x) as out.",
         dout * x * (1 - x)),
        ("the upstream gradient dout was not multiplied in (chain rule).", out * (1 - out)),
        ("the local gradient was used without the factor (1 - sigmoid(x)).", dout * out),
    ]})


@SUITE.graded("tanh_forward", points=1)
def test_tanh_forward(tanh_forward, case="visible"):
    f = load(TOPIC, "tanh_forward", case)
    _forward("tanh_forward", tanh_forward, f, (f["x"],))


@SUITE.graded("tanh_backward", points=2)
def test_tanh_backward(tanh_backward, case="visible"):
    f = load(TOPIC, "tanh_backward", case)
    x, out, dout = f["x"], f["out"], f["dout"]
    _backward("tanh_backward", tanh_backward, f, (x, out), ("dx",), mistakes={"dx": [
        ("you used 1 - x**2: the derivative is 1 - tanh(x)**2, with tanh(x) (out in the "
         "cache), not the input x.", dout * (1 - x ** 2)),
        ("tanh was applied twice: out in the cache is already tanh(x), so the derivative "
         "is 1 - out**2.", dout * (1 - np.tanh(out) ** 2)),
        ("the upstream gradient dout was not multiplied in (chain rule).", 1 - out ** 2),
    ]})


@SUITE.graded("relu_forward", points=1)
def test_relu_forward(relu_forward, case="visible"):
    f = load(TOPIC, "relu_forward", case)
    x = f["x"]
    _forward("relu_forward", relu_forward, f, (x,), mistakes=[
        ("the comparison is inverted: ReLU keeps the positive values and zeroes the negative ones.",
         np.minimum(0, x)),
        ("ReLU is max(0, x), not |x|.", np.abs(x)),
    ])


@SUITE.graded("relu_backward", points=2)
def test_relu_backward(relu_backward, case="visible"):
    f = load(TOPIC, "relu_backward", case)
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
    name = "leaky_relu_forward"
    f = load(TOPIC, name, case)
    x, alpha = f["x"], float(f["alpha"])
    kwargs = {} if f.get("use_default", False) else {"alpha": alpha}
    _forward(name, leaky_relu_forward, f, (x,), kwargs, mistakes=[
        ("alpha was applied on the positive side: the slope is 1 for x > 0 and alpha for x <= 0.",
         np.where(x > 0, alpha * x, x)),
        ("the negative side was set to alpha instead of alpha * x.", np.where(x > 0, x, alpha)),
    ])


@SUITE.graded("leaky_relu_backward", points=2)
def test_leaky_relu_backward(leaky_relu_backward, case="visible"):
    f = load(TOPIC, "leaky_relu_backward", case)
    x, dout, alpha = f["x"], f["dout"], float(f["alpha"])
    _backward("leaky_relu_backward", leaky_relu_backward, f, (x, alpha), ("dx",), mistakes={"dx": [
        ("alpha was applied on the positive side: the local slope is 1 for x > 0 and "
         "alpha for x <= 0.", np.where(x > 0, alpha * dout, dout)),
        ("the negative side got no gradient at all, as in a plain ReLU: it gets alpha * dout.",
         dout * (x > 0)),
    ]})


@SUITE.graded("prelu_forward", points=1)
def test_prelu_forward(prelu_forward, case="visible"):
    f = load(TOPIC, "prelu_forward", case)
    x, alpha = f["x"], f["alpha"]
    _forward("prelu_forward", prelu_forward, f, (x, alpha), mistakes=[
        ("alpha was applied on the positive side.", np.where(x > 0, alpha * x, x)),
    ])


@SUITE.graded("prelu_backward", points=2)
def test_prelu_backward(prelu_backward, case="visible"):
    f = load(TOPIC, "prelu_backward", case)
    x, alpha, dout = f["x"], f["alpha"], f["dout"]
    per_example = dout * x * (x <= 0)
    _backward("prelu_backward", prelu_backward, f, (x, alpha), ("dx", "dalpha"), mistakes={
        "dx": [("alpha was applied on the positive side.", np.where(x > 0, alpha * dout, dout))],
        "dalpha": [
            ("dalpha was not summed over the batch: alpha is shared by all N examples, so "
             "its gradient is the sum of their contributions, shape (D,).", per_example),
            ("dalpha was averaged over the batch; the loss already averages, so sum here.",
             per_example.mean(axis=0)),
            ("dalpha also collected gradient where x > 0; alpha only acts where x <= 0.",
             (dout * x).sum(axis=0)),
        ]})


@SUITE.graded("elu_forward", points=1)
def test_elu_forward(elu_forward, case="visible"):
    name = "elu_forward"
    f = load(TOPIC, name, case)
    x, alpha = f["x"], float(f["alpha"])
    kwargs = {} if f.get("use_default", False) else {"alpha": alpha}
    with np.errstate(all="ignore"):
        _forward(name, elu_forward, f, (x,), kwargs, mistakes=[
            ("alpha is missing: the negative side is alpha * (exp(x) - 1).",
             np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
            ("the '- 1' is missing: the negative side is alpha * (exp(x) - 1), which is 0 at x = 0.",
             np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))),
        ])


@SUITE.graded("elu_backward", points=2)
def test_elu_backward(elu_backward, case="visible"):
    f = load(TOPIC, "elu_backward", case)
    x, dout, alpha = f["x"], f["dout"], float(f["alpha"])
    with np.errstate(all="ignore"):
        neg = np.exp(np.minimum(x, 0))
        wrong_everywhere = dout * alpha * np.exp(np.minimum(x, 50))
    _backward("elu_backward", elu_backward, f, (x, alpha), ("dx",), mistakes={"dx": [
        ("alpha * exp(x) was used on the positive side too: for x > 0 ELU is the identity, "
         "local slope 1.", wrong_everywhere),
        ("alpha is missing on the negative side: the derivative of alpha * (exp(x) - 1) is "
         "alpha * exp(x).", np.where(x > 0, dout, dout * neg)),
    ]})


@SUITE.graded("maxout_forward", points=2)
def test_maxout_forward(maxout_forward, case="visible"):
    name = "maxout_forward"
    f = load(TOPIC, name, case)
    x, w, b = f["x"], f["w"], f["b"]
    pieces = np.stack([x @ w[:, :, k] + b[:, k] for k in range(w.shape[2])], axis=2)
    result, _ = call(maxout_forward, name, x, w, b)
    out, _cache = expect_outputs(name, result, ("out", "cache"))
    expect_array(name, "out", out, f["out"], FORWARD_TOL, mistakes=[
        ("the pieces were summed instead of taking their max.", pieces.sum(axis=2)),
        ("the bias b was left out of the pieces.", (pieces - b).max(axis=2)),
        ("the pieces were averaged instead of taking their max.", pieces.mean(axis=2)),
    ])


@SUITE.graded("maxout_backward", points=3)
def test_maxout_backward(maxout_backward, case="visible"):
    f = load(TOPIC, "maxout_backward", case)
    x, w, b, z, dout = f["x"], f["w"], f["b"], f["z"], f["dout"]
    dz_all = np.broadcast_to(dout[:, :, None], z.shape)
    every_piece = "the gradient went to every piece; only the arg-max piece of each output receives it."
    _backward("maxout_backward", maxout_backward, f, (x, w, b, z), ("dx", "dw", "db"), mistakes={
        "dx": [(every_piece, np.einsum("nmk,dmk->nd", dz_all, w))],
        "dw": [(every_piece, np.einsum("nd,nmk->dmk", x, dz_all))],
        "db": [(every_piece, dz_all.sum(axis=0))],
    }, context={})


__all__ = [n for n in dir() if n.startswith("test_")] + ["CheckFailed"]
