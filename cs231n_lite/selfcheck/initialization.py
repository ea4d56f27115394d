"""Tests of the initializers (notebook 03_weight_initialization.ipynb).

Random weights cannot be compared with fixed reference values (many correct
implementations draw in another order), so the tests check what defines an
initializer: shape, dtype, reproducibility from the given Generator, no use
of the global np.random state, and the distribution. Each statistic is
accepted within Z = 5.5 standard errors of its expected value: a correct
implementation fails one statistic with probability 3.8e-8, and a whole
test (fewer than 20 statistics) less than once in a million runs.

The visible case draws from fixed seeds; the hidden case from seeds derived
from the grader's per-student seed of the function (``hidden_seed``), so
each student's hidden weights, data and networks are different.
"""
import numpy as np

from .feedback import CheckFailed, call
from .fixtures import case_rng as _rng, case_seed as _seed
from .registry import Suite
from .stats import Z, near as _near

NOTEBOOK = "03_weight_initialization.ipynb"
SUITE = Suite(module="init", notebook=NOTEBOOK)
SHAPES = {"visible": (500, 400), "hidden": (300, 700)}



def _weights(name, fn, fan_in, fan_out, **kwargs):
    """Call an initializer and check type, shape and dtype."""
    w, _ = call(fn, name, fan_in, fan_out, **kwargs)
    if not isinstance(w, np.ndarray):
        raise CheckFailed(f"{name} must return a numpy array of shape ({fan_in}, {fan_out}); "
                          f"got {type(w).__name__}.")
    if w.shape != (fan_in, fan_out):
        hint = (" Likely mistake: you returned (fan_out, fan_in); affine_forward computes x @ w, so "
                "w is (fan_in, fan_out)." if w.shape == (fan_out, fan_in) else "")
        raise CheckFailed(f"{name}: w has shape {w.shape}, expected ({fan_in}, {fan_out}).{hint}")
    if w.dtype != np.float64:
        raise CheckFailed(f"{name}: w has dtype {w.dtype}, expected float64.")
    if not np.isfinite(w).all():
        raise CheckFailed(f"{name}: w contains NaN or inf.")
    return w


def _check_rng_use(name, fn, case, fan_in, fan_out, **kwargs):
    """Same seed -> same weights, other seed -> other weights, global state untouched."""
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        first = _weights(name, fn, fan_in, fan_out, rng=_rng(name, case, 7), **kwargs)
        state_after = np.random.get_state()
        np.random.seed(2)
        again = _weights(name, fn, fan_in, fan_out, rng=_rng(name, case, 7), **kwargs)
        other = _weights(name, fn, fan_in, fan_out, rng=_rng(name, case, 8), **kwargs)
    finally:
        np.random.set_state(saved)
    np.random.seed(1)
    untouched = np.random.get_state()
    np.random.set_state(saved)
    global_used = not (state_after[1] == untouched[1]).all() or state_after[2] != untouched[2]
    if not np.array_equal(first, again) or global_used:
        raise CheckFailed(f"{name}: the weights depend on the global np.random state. Likely mistake: "
                          "you used np.random.randn/normal/uniform instead of the rng argument "
                          "(rng.standard_normal, rng.normal, rng.uniform), so a seed does not "
                          "reproduce the weights.")
    if np.array_equal(first, other):
        raise CheckFailed(f"{name}: two different Generators gave identical weights; draw from rng.")



def _check_variance(name, w, variance, mistakes):
    """Mean 0 and the given variance, or a message naming the closest known mistake."""
    n = w.size
    mean, var = float(w.mean()), float(w.var())
    se_var = variance * np.sqrt(2.0 / n)  # exact for a Gaussian; larger than needed for a uniform
    if not _near(mean, 0.0, np.sqrt(variance / n)):
        raise CheckFailed(f"{name}: mean {mean:.3g}, expected 0 (allowed +/- {Z * np.sqrt(variance / n):.2g}).")
    if _near(var, variance, se_var):
        return
    msg = (f"{name}: variance {var:.4g}, expected {variance:.4g} (allowed +/- {Z * se_var:.2g}, "
           f"measured over {n} weights).")
    for explanation, wrong_variance in mistakes:
        if _near(var, wrong_variance, wrong_variance * np.sqrt(2.0 / n)):
            msg += f" Likely mistake: {explanation}"
            break
    raise CheckFailed(msg)


def _check_gaussian_shape(name, w, variance):
    """About 68.27% of a Gaussian lies within one standard deviation (57.7% for a uniform)."""
    p = 0.682689492
    inside = float(np.mean(np.abs(w) <= np.sqrt(variance)))
    se = np.sqrt(p * (1 - p) / w.size)
    if not _near(inside, p, se):
        raise CheckFailed(f"{name}: {inside:.1%} of the weights lie within one standard deviation; a "
                          f"Gaussian has {p:.1%}. Draw from a normal distribution (rng.standard_normal).")


def _gaussian_test(name, fn, case, variance_of, mistakes_of, **kwargs):
    fan_in, fan_out = SHAPES[case]
    _check_rng_use(name, fn, case, 7, 5, **kwargs)
    w = _weights(name, fn, fan_in, fan_out, rng=_rng(name, case, 0), **kwargs)
    variance = variance_of(fan_in, fan_out)
    _check_variance(name, w, variance, mistakes_of(fan_in, fan_out))
    _check_gaussian_shape(name, w, variance)
    if case == "hidden":  # the default rng=None must work, and a single-input layer too
        _weights(name, fn, 3, 2, **kwargs)
        _weights(name, fn, 1, 4, rng=_rng(name, case, 1), **kwargs)


# --------------------------------------------------------------------------
@SUITE.graded("zeros_init", points=1)
def test_zeros_init(zeros_init, case="visible"):
    name = "zeros_init"
    fan_in, fan_out = SHAPES[case]
    w = _weights(name, zeros_init, fan_in, fan_out)
    if np.any(w != 0):
        raise CheckFailed(f"{name}: {int(np.count_nonzero(w))} of {w.size} weights are not zero.")


@SUITE.graded("small_random_init", points=1)
def test_small_random_init(small_random_init, case="visible"):
    std = 0.01 if case == "visible" else 0.05
    kwargs = {} if case == "visible" else {"std": std}
    _gaussian_test("small_random_init", small_random_init, case,
                   lambda fi, fo: std ** 2,
                   lambda fi, fo: [("the std argument was ignored (0.01 was used).", 1e-4),
                                   ("std was used as the variance: the weights are std * N(0, 1).", std)],
                   **kwargs)


@SUITE.graded("xavier_init", points=2)
def test_xavier_init(xavier_init, case="visible"):
    _gaussian_test("xavier_init", xavier_init, case,
                   lambda fi, fo: 1.0 / fi,
                   lambda fi, fo: [
                       ("you used fan_out; the lecture's Xavier keeps the forward variance, 1 / fan_in.", 1.0 / fo),
                       ("you divided by fan_in instead of sqrt(fan_in): 1 / fan_in is the variance, its "
                        "standard deviation is 1 / sqrt(fan_in).", 1.0 / fi ** 2),
                       ("this is Glorot's compromise 2 / (fan_in + fan_out); the lecture's form is 1 / fan_in.",
                        2.0 / (fi + fo)),
                       ("the factor 2 belongs to He init (ReLU); Xavier is N(0, 1 / fan_in).", 2.0 / fi),
                   ])


@SUITE.graded("he_init", points=2)
def test_he_init(he_init, case="visible"):
    _gaussian_test("he_init", he_init, case,
                   lambda fi, fo: 2.0 / fi,
                   lambda fi, fo: [
                       ("the factor 2 is missing (that is Xavier, variance 1 / fan_in); ReLU zeroes half "
                        "of its inputs, and 2 / fan_in compensates.", 1.0 / fi),
                       ("you used fan_out; He init uses 2 / fan_in.", 2.0 / fo),
                       ("you scaled by 2 / fan_in, which is the variance; the standard deviation is "
                        "sqrt(2 / fan_in).", 4.0 / fi ** 2),
                       ("you scaled by 2 / sqrt(fan_in); the standard deviation is sqrt(2 / fan_in).", 4.0 / fi),
                   ])


@SUITE.graded("glorot_uniform_init", points=2)
def test_glorot_uniform_init(glorot_uniform_init, case="visible"):
    name = "glorot_uniform_init"
    fan_in, fan_out = SHAPES[case]
    _check_rng_use(name, glorot_uniform_init, case, 7, 5)
    w = _weights(name, glorot_uniform_init, fan_in, fan_out, rng=_rng(name, case, 0))
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    largest = float(np.abs(w).max())
    if largest > bound:
        hint = ""
        if float(np.mean(np.abs(w) <= np.sqrt(2.0 / (fan_in + fan_out)))) > 0.64:
            hint = " Likely mistake: the weights look Gaussian; draw them from rng.uniform(-b, b)."
        elif largest <= np.sqrt(6.0 / fan_in) * 1.0001:
            hint = " Likely mistake: the bound used fan_in only; it is sqrt(6 / (fan_in + fan_out))."
        raise CheckFailed(f"{name}: a weight of magnitude {largest:.4g} exceeds the bound "
                          f"b = sqrt(6 / (fan_in + fan_out)) = {bound:.4g}.{hint}")
    # the n weights come close to the bound: P(max|w| < (1 - eps) b) = (1 - eps)^n
    eps = 20.0 / w.size
    if largest < (1 - eps) * bound:
        hint = ""
        if largest <= np.sqrt(1.0 / (fan_in + fan_out)):
            hint = " Likely mistake: the 6 is missing from the bound sqrt(6 / (fan_in + fan_out))."
        elif largest <= np.sqrt(3.0 / (fan_in + fan_out)):
            hint = " Likely mistake: 3 instead of 6 in the bound (that is the bound for variance 1 / (fan_in + fan_out))."
        raise CheckFailed(f"{name}: the largest |w| is {largest:.4g}, but uniform weights on [-b, b] "
                          f"reach close to b = {bound:.4g}.{hint}")
    _check_variance(name, w, bound ** 2 / 3, [])
    quarter = float(np.mean(np.abs(w) <= bound / 2))   # exactly 1/2 for a uniform
    if not _near(quarter, 0.5, np.sqrt(0.25 / w.size)):
        raise CheckFailed(f"{name}: {quarter:.1%} of the weights lie within b/2; a uniform distribution "
                          "has 50%. Draw from rng.uniform(-b, b).")


@SUITE.graded("lsuv_init", points=3, uses=("tanh_forward", "relu_forward"))
def test_lsuv_init(lsuv_init, case="visible"):
    from ..classifiers import FullyConnectedNet
    from ..init import layer_output_variances

    name = "lsuv_init"
    setup = {"visible": ([80] * 5, "tanh", 0.1, 40), "hidden": ([64] * 8, "relu", 0.05, 30)}[case]
    hidden_dims, activation, tol, dim = setup
    rng = _rng(name, case, 11)
    mixing = rng.standard_normal((dim, dim))     # correlated, scaled, shifted inputs
    batch = lambda n: 3.0 * rng.standard_normal((n, dim)) @ mixing + 1.0
    train, held_out = batch(500), batch(2000)
    model = FullyConnectedNet(hidden_dims, input_dim=dim, num_classes=10, activation=activation,
                              weight_scale=1.0, bias_init=0.1, seed=_seed(name, case, 0))
    result, _ = call(lsuv_init, name, model, train, tol=tol)
    if not isinstance(result, list) or len(result) != model.num_layers:
        raise CheckFailed(f"{name} must return the list of the {model.num_layers} final variances.")
    achieved = layer_output_variances(model, train)
    for i, var in enumerate(achieved, start=1):
        if abs(var - 1.0) >= tol:
            raise CheckFailed(f"{name}: layer {i}'s output variance on the batch is {var:.4g}, not within "
                              f"1 +/- {tol}. Rescale W{i} and b{i} by 1 / sqrt(variance) and measure again, "
                              "layer after layer from the first (a factor 1 / variance oscillates).")
    for i, var in enumerate(layer_output_variances(model, held_out), start=1):
        if abs(var - 1.0) >= tol + 0.15:
            raise CheckFailed(f"{name}: on a held-out batch, layer {i}'s output variance is {var:.4g} "
                              f"(expected about 1).")
    for i in range(1, model.num_layers + 1):
        w = model.params[f"W{i}"]
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        scale = np.mean(np.diag(gram))
        if not np.allclose(gram / scale, np.eye(gram.shape[0]), atol=1e-8):
            raise CheckFailed(f"{name}: W{i} is no longer a multiple of an orthonormal matrix; "
                              "only rescale the weights (multiply W and b by one number).")
