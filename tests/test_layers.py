"""The reference layers (given and graded) against numerical gradients."""
import warnings

import numpy as np
import pytest

from cs231n_lite import layers
from cs231n_lite.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                        layer_gradient_errors, rel_error)

rng = np.random.default_rng(0)


def away_from_zero(shape):
    return rng.uniform(0.05, 3.0, shape) * rng.choice([-1, 1], shape)


def test_affine_forward_values():
    x = np.arange(24, dtype=float).reshape(2, 3, 4) / 10
    w = np.linspace(-1, 1, 12 * 5).reshape(12, 5)
    b = np.array([1.0, -1.0, 0.5, 0.0, 2.0])
    out, _ = layers.affine_forward(x, w, b)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out, x.reshape(2, 12) @ w + b)


def test_affine_backward_matches_numerical_gradient():
    x, w, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((8, 5)), rng.standard_normal(5)
    errors = layer_gradient_errors(layers.affine_forward, layers.affine_backward, [x, w, b])
    assert max(errors) < 1e-8, errors


def test_softmax_loss_value_and_gradient():
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss, dx = layers.softmax_loss(x, y)
    probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(6), y])), rel=1e-12)
    numeric = eval_numerical_gradient(lambda v: layers.softmax_loss(v, y)[0], x.copy())
    assert rel_error(dx, numeric) < 1e-7
    # uniform scores give log(C)
    assert layers.softmax_loss(np.zeros((5, 10)), np.zeros(5, int))[0] == pytest.approx(np.log(10))


def test_softmax_loss_is_stable_for_huge_scores():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dx = layers.softmax_loss(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert np.isfinite(loss) and np.isfinite(dx).all()
    assert loss == pytest.approx(500.0)


ELEMENTWISE = [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {"alpha": 0.1}),
               ("elu", {"alpha": 1.5})]


@pytest.mark.parametrize("name,kwargs", ELEMENTWISE)
def test_elementwise_backward_matches_numerical_gradient(name, kwargs):
    forward, backward = getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")
    errors = layer_gradient_errors(forward, backward, [away_from_zero((5, 7))], **kwargs)
    assert errors[0] < 1e-8


def test_prelu_and_maxout_backward_match_numerical_gradients():
    x = away_from_zero((5, 4))
    assert max(layer_gradient_errors(layers.prelu_forward, layers.prelu_backward,
                                     [x, rng.uniform(0.1, 0.4, 4)])) < 1e-8
    assert max(layer_gradient_errors(layers.maxout_forward, layers.maxout_backward,
                                     [x, rng.standard_normal((4, 3, 3)), rng.standard_normal((3, 3))])) < 1e-7


def test_reference_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(layers.sigmoid_forward(x)[0], 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(layers.relu_forward(x)[0], [0, 0, 3])
    np.testing.assert_allclose(layers.leaky_relu_forward(x)[0], [-0.02, 0, 3])
    np.testing.assert_allclose(layers.elu_forward(x, alpha=2.0)[0], [2 * (np.exp(-2) - 1), 0, 3])
    out, cache = layers.relu_forward(x)
    np.testing.assert_array_equal(layers.relu_backward(np.ones(3), cache), [0, 0, 1])  # 0 at x == 0


def test_stable_sigmoid_and_elu_on_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(layers.sigmoid_forward(np.array([-1000.0, 1000.0]))[0], [0.0, 1.0])
        out, cache = layers.elu_forward(np.array([-1000.0, 1000.0]))
        np.testing.assert_allclose(out, [-1.0, 1000.0])
        np.testing.assert_allclose(layers.elu_backward(np.ones(2), cache), [0.0, 1.0])


def test_activations_keep_float32():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for name, kwargs in ELEMENTWISE:
        assert getattr(layers, f"{name}_forward")(x, **kwargs)[0].dtype == np.float32, name


def test_maxout_routes_gradient_to_the_winning_piece_only():
    x = np.array([[1.0, 2.0]])
    w = np.zeros((2, 1, 2))
    w[:, 0, 0] = [1.0, 0.0]   # piece 0: x1 = 1
    w[:, 0, 1] = [0.0, 1.0]   # piece 1: x2 = 2 wins
    out, cache = layers.maxout_forward(x, w, np.zeros((1, 2)))
    assert out[0, 0] == 2.0
    dx, dw, db = layers.maxout_backward(np.array([[1.0]]), cache)
    np.testing.assert_array_equal(db, [[0.0, 1.0]])
    np.testing.assert_array_equal(dw[:, 0, 0], [0.0, 0.0])
    np.testing.assert_array_equal(dx, [[0.0, 1.0]])


def test_numerical_gradient_helpers_on_known_functions():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(eval_numerical_gradient(lambda v: np.sum(v ** 3), x.copy()), 3 * x ** 2, rtol=1e-8)
    df = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(eval_numerical_gradient_array(np.sin, x.copy(), df), np.cos(x) * df, rtol=1e-8)
    assert rel_error(np.array([1.0]), np.array([1.0 + 1e-9])) < 1e-9
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
