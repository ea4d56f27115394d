"""Initializers: reference values, the tests' statistical tolerances, and the named mistakes."""
import numpy as np
import pytest

from cs231n_lite import init
from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.selfcheck import initialization as T
from cs231n_lite.selfcheck.feedback import CheckFailed
from cs231n_lite.selfcheck.fixtures import install_hidden
from helpers import failure_message
from grading.judge.hidden import HiddenSource


def test_reference_distributions():
    rng = np.random.default_rng(3)
    w = init.he_init(400, 300, rng)
    assert w.shape == (400, 300) and w.var() == pytest.approx(2 / 400, rel=0.02)
    w = init.glorot_uniform_init(400, 300, rng)
    assert np.abs(w).max() <= np.sqrt(6 / 700) and w.var() == pytest.approx(2 / 700, rel=0.02)
    q = init.orthonormal_init(50, 20, rng)
    np.testing.assert_allclose(q.T @ q, np.eye(20), atol=1e-12)
    wide = init.orthonormal_init(20, 50, rng)
    np.testing.assert_allclose(wide @ wide.T, np.eye(20), atol=1e-12)


@pytest.mark.parametrize("variance,draw", [
    (1 / 500, lambda r: r.standard_normal((500, 400)) / np.sqrt(500)),
    (2 / 900, lambda r: r.uniform(-np.sqrt(6 / 900), np.sqrt(6 / 900), (500, 400))),
])
def test_statistical_checks_do_not_fail_correct_weights(variance, draw):
    # 300 independent draws: a check that failed more often than once in a million would show
    # up here with probability < 3e-4; every one of the 300 must pass.
    for seed in range(300):
        w = draw(np.random.default_rng(seed))
        T._check_variance("f", w, variance, [])
    for seed in range(300):
        T._check_gaussian_shape("f", np.random.default_rng(seed).standard_normal((500, 400)) * 0.1, 0.01)


def he_without_two(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def xavier_fan_out(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)


def xavier_std_as_variance(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_in, fan_out)) / fan_in


def he_variance_as_std(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_in, fan_out)) * 2 / fan_in


def glorot_without_six(fan_in, fan_out, rng=None):
    b = np.sqrt(1 / (fan_in + fan_out))
    return rng.uniform(-b, b, (fan_in, fan_out))


def glorot_gaussian(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / (fan_in + fan_out))


def he_global_random(fan_in, fan_out, rng=None):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in)


def he_transposed(fan_in, fan_out, rng=None):
    return rng.standard_normal((fan_out, fan_in)) * np.sqrt(2 / fan_in)


def small_random_ignoring_std(fan_in, fan_out, std=0.01, rng=None):
    return 0.01 * rng.standard_normal((fan_in, fan_out))


def small_random_uniform(fan_in, fan_out, std=0.01, rng=None):
    return rng.uniform(-std * np.sqrt(3), std * np.sqrt(3), (fan_in, fan_out))


def zeros_int(fan_in, fan_out):
    return np.zeros((fan_in, fan_out), dtype=int)


def lsuv_dividing_by_variance(model, X, tol=0.1, max_iter=10):
    rng = np.random.default_rng(0)            # the given orthonormal start
    for i in range(1, model.num_layers + 1):
        model.params[f"W{i}"] = init.orthonormal_init(*model.params[f"W{i}"].shape, rng)
    variances = []
    for i in range(1, model.num_layers + 1):
        for _ in range(max_iter):
            var = init.layer_output_variances(model, X)[i - 1]
            if abs(var - 1) < tol:
                break
            model.params[f"W{i}"] /= var
            model.params[f"b{i}"] /= var
        variances.append(init.layer_output_variances(model, X)[i - 1])
    return variances


CASES = [
    (T.test_he_init, he_without_two, "the factor 2 is missing"),
    (T.test_he_init, he_variance_as_std, "which is the variance"),
    (T.test_xavier_init, xavier_fan_out, "you used fan_out"),
    (T.test_xavier_init, xavier_std_as_variance, "instead of sqrt(fan_in)"),
    (T.test_glorot_uniform_init, glorot_without_six, "the 6 is missing"),
    (T.test_glorot_uniform_init, glorot_gaussian, "the weights look Gaussian"),
    (T.test_he_init, he_global_random, "global np.random state"),
    (T.test_he_init, he_transposed, "you returned (fan_out, fan_in)"),
    (T.test_small_random_init, small_random_uniform, "a Gaussian has 68.3%"),
    (T.test_zeros_init, zeros_int, "dtype int64, expected float64"),
    (T.test_lsuv_init, lsuv_dividing_by_variance, "Likely mistake: a factor 1 / variance"),
]


@pytest.mark.parametrize("test,wrong,phrase", CASES, ids=[w.__name__ for _, w, _ in CASES])
def test_detector_names_the_mistake(test, wrong, phrase):
    assert phrase in failure_message(test, wrong)


@pytest.mark.parametrize("case", ["visible", "hidden"])
def test_ignored_std_is_caught_visibly(case):
    with pytest.raises(CheckFailed, match="the std argument was ignored"):
        T.test_small_random_init(small_random_ignoring_std, case=case)


def recording(fn):
    """fn, also recording what the test drew: seeded weights, or lsuv's data batch."""
    seen = []

    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        if isinstance(args[-1], np.ndarray):          # lsuv_init(model, X)
            seen.append(args[-1].copy())
        elif kwargs.get("rng") is not None:           # not the calls with the default rng=None
            seen.append(result.copy())
        return result
    return wrapper, seen


def draws(test, fn, case, student=None):
    """What the test drew for fn, with the hidden inputs of `student` installed (or none)."""
    wrapper, seen = recording(fn)
    previous = install_hidden(HiddenSource(b"course", student) if student else None)
    try:
        test(wrapper, case=case)
    finally:
        install_hidden(previous)
    return seen


@pytest.mark.parametrize("test,fn", [(T.test_he_init, init.he_init),
                                     (T.test_glorot_uniform_init, init.glorot_uniform_init),
                                     (T.test_small_random_init, init.small_random_init),
                                     (T.test_lsuv_init, init.lsuv_init)],
                         ids=["he", "glorot", "small_random", "lsuv"])
def test_hidden_draws_are_per_student_and_visible_ones_fixed(test, fn):
    alice, again = draws(test, fn, "hidden", "alice"), draws(test, fn, "hidden", "alice")
    bob = draws(test, fn, "hidden", "bob")
    assert len(alice) == len(again) == len(bob) >= 1
    for a, a2, b in zip(alice, again, bob):
        np.testing.assert_array_equal(a, a2)
        assert a.shape == b.shape and not np.array_equal(a, b)
    visible = draws(test, fn, "visible")
    for v, v2 in zip(visible, draws(test, fn, "visible", "bob")):
        np.testing.assert_array_equal(v, v2)


def test_visible_draws_keep_their_fixed_seed():
    weights = [w for w in draws(T.test_he_init, init.he_init, "visible") if w.shape == (500, 400)][-1]
    np.testing.assert_array_equal(weights, init.he_init(500, 400, rng=np.random.default_rng(0)))


def test_hidden_initializer_test_needs_the_grader():
    previous = install_hidden(None)
    try:
        with pytest.raises(RuntimeError, match="only in the grader"):
            T.test_he_init(init.he_init, case="hidden")
        T.test_he_init(init.he_init, case="visible")
    finally:
        install_hidden(previous)


def test_global_state_is_left_alone():
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    T.test_he_init(init.he_init)
    assert np.random.rand() == expected


def test_net_accepts_initializer_names():
    for name in ("zeros", "small_random", "xavier", "glorot_uniform", "he"):
        net = FullyConnectedNet([30], input_dim=40, initializer=name, seed=0)
        assert net.params["W1"].shape == (40, 30)
    with pytest.raises(ValueError, match="unknown initializer"):
        FullyConnectedNet([3], initializer="kaiming")
    a = FullyConnectedNet([30], input_dim=40, initializer="he", seed=4).params["W1"]
    b = FullyConnectedNet([30], input_dim=40, initializer="he", seed=4).params["W1"]
    np.testing.assert_array_equal(a, b)


def test_lsuv_reaches_unit_variance_on_a_relu_net():
    rng = np.random.default_rng(0)
    X = 5 * rng.standard_normal((400, 30)) + 2
    net = FullyConnectedNet([40] * 6, input_dim=30, activation="relu", seed=0)
    variances = init.lsuv_init(net, X, tol=0.05)
    assert len(variances) == 7 and all(abs(v - 1) < 0.05 for v in variances)
