"""Each misconception detector, fed the wrong variant, names the mistake."""
import numpy as np
import pytest

from cs231n_lite.selfcheck import activations as T
from cs231n_lite.selfcheck.feedback import CheckFailed
from helpers import failure_message


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_backward_from_x(dout, cache):
    x, out = cache
    return dout * x * (1 - x)


def tanh_backward_one_minus_x_squared(dout, cache):
    x, out = cache
    return dout * (1 - x ** 2)


def relu_backward_at_zero(dout, cache):
    return dout * (cache >= 0)


def relu_backward_negative_side(dout, cache):
    return dout * (cache < 0)


def leaky_forward_alpha_positive(x, alpha=0.01):
    return np.where(x > 0, alpha * x, x), (x, alpha)


def leaky_backward_alpha_positive(dout, cache):
    x, alpha = cache
    return np.where(x > 0, alpha * dout, dout)


def elu_backward_alpha_exp_positive(dout, cache):
    x, alpha = cache
    return dout * alpha * np.exp(np.minimum(x, 50))


def elu_backward_no_alpha(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0)))


def elu_forward_no_alpha(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))), (x, alpha)


def prelu_backward_unsummed(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout), dout * x * (x <= 0)


def maxout_backward_every_piece(dout, cache):
    x, w, b, z = cache
    dz = np.broadcast_to(dout[:, :, None], z.shape)
    return np.einsum("nmk,dmk->nd", dz, w), np.einsum("nd,nmk->dmk", x, dz), dz.sum(axis=0)


def maxout_forward_sum(x, w, b):
    z = np.einsum("nd,dmk->nmk", x, w) + b
    return z.sum(axis=2), (x, w, b, z)


def sigmoid_forward_flipped(x):
    out = 1 / (1 + np.exp(x))
    return out, (x, out)


CASES = [
    (T.test_sigmoid_forward, sigmoid_forward_flipped, "the sign of the exponent is flipped"),
    (T.test_sigmoid_backward, sigmoid_backward_from_x, "computed from x instead of sigmoid(x)"),
    (T.test_tanh_backward, tanh_backward_one_minus_x_squared, "you used 1 - x**2"),
    (T.test_relu_backward, relu_backward_at_zero, "your gradient passes through where x == 0"),
    (T.test_relu_backward, relu_backward_negative_side, "your gradient passes where x < 0"),
    (T.test_leaky_relu_forward, leaky_forward_alpha_positive, "alpha was applied on the positive side"),
    (T.test_leaky_relu_backward, leaky_backward_alpha_positive, "alpha was applied on the positive side"),
    (T.test_elu_forward, elu_forward_no_alpha, "alpha is missing"),
    (T.test_elu_backward, elu_backward_alpha_exp_positive, "alpha * exp(x) was used on the positive side"),
    (T.test_elu_backward, elu_backward_no_alpha, "alpha is missing on the negative side"),
    (T.test_prelu_backward, prelu_backward_unsummed, "dalpha was not summed over the batch"),
    (T.test_maxout_forward, maxout_forward_sum, "the pieces were summed instead of taking their max"),
    (T.test_maxout_backward, maxout_backward_every_piece, "only the arg-max piece of each output receives it"),
]


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("test,wrong,phrase", CASES, ids=[w.__name__ for _, w, _ in CASES])
def test_detector_names_the_mistake(test, wrong, phrase, case):
    message = failure_message(test, wrong, case)
    assert "Likely mistake: " in message
    assert phrase in message


def test_prelu_unsummed_message_also_reports_the_shape():
    with pytest.raises(CheckFailed) as info:
        T.test_prelu_backward(prelu_backward_unsummed)
    assert "dalpha has shape (4, 5), expected (5,)" in str(info.value)


def test_unrelated_errors_get_no_misleading_hint():
    def relu_backward_times_two(dout, cache):
        return 2 * dout * (cache > 0)
    with pytest.raises(CheckFailed) as info:
        T.test_relu_backward(relu_backward_times_two)
    assert "Likely mistake" not in str(info.value)
    assert "relu_backward: dx differs from the reference" in str(info.value)

