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
each student's hidden weights, data and networks are different. Each
test's docstring lists the mistakes its messages name.
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
        raise CheckFailed(f"{name}: w has dtype {w.dtype}, expected float64. Likely mistake: an integer or "
                          "float32 array (np.zeros(shape, dtype=int), .astype(...)); weights are float64.")
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
        raise CheckFailed(f"{name}: two different Generators gave identical weights. Likely mistake: a "
                          "Generator made inside the function (np.random.default_rng(0)) instead of the rng "
                          "argument; draw from rng.")


def _check_variance(name, w, variance, mistakes):
    """Mean 0 and the given variance, or a message naming the closest known mistake."""
    n = w.size
    mean, var = float(w.mean()), float(w.var())
    se_var = variance * np.sqrt(2.0 / n)  # exact for a Gaussian; larger than needed for a uniform
    if not _near(mean, 0.0, np.sqrt(variance / n)):
        hint = ""
        if mean > 0 and float(w.min()) >= 0:
            hint = (" Likely mistake: the weights are all positive (rng.uniform(0, b) or rng.random() * b); "
                    "they are centred on 0, e.g. rng.uniform(-b, b).")
        raise CheckFailed(f"{name}: mean {mean:.3g}, expected 0 (allowed +/- {Z * np.sqrt(variance / n):.2g}).{hint}")
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
                          f"Gaussian has {p:.1%}. Likely mistake: the weights are not Gaussian (a uniform "
                          "draw has 57.7%); draw from a normal distribution (rng.standard_normal).")


def _gaussian_test(name, fn, case, variance_of, mistakes_of, **kwargs):
    fan_in, fan_out = SHAPES[case]
    _check_rng_use(name, fn, case, 7, 5, **kwargs)
    w = _weights(name, fn, fan_in, fan_out, rng=_rng(name, case, 0), **kwargs)
    variance = variance_of(fan_in, fan_out)
    _check_variance(name, w, variance, mistakes_of(fan_in, fan_out))
    _check_gaussian_shape(name, w, variance)
    _weights(name, fn, 3, 2, **kwargs)        # the default rng=None (a fresh Generator) must work
    _weights(name, fn, 1, 4, rng=_rng(name, case, 1), **kwargs)     # and a single-input layer


# --------------------------------------------------------------------------
@SUITE.graded("zeros_init", points=1)
def test_zeros_init(zeros_init, case="visible"):
    """Named mistakes: (fan_out, fan_in); an integer dtype; ones instead of zeros."""
    name = "zeros_init"
    fan_in, fan_out = SHAPES[case]
    w = _weights(name, zeros_init, fan_in, fan_out)
    if np.any(w != 0):
        hint = " Likely mistake: np.ones instead of np.zeros." if np.all(w == 1) else ""
        raise CheckFailed(f"{name}: {int(np.count_nonzero(w))} of {w.size} weights are not zero.{hint}")


@SUITE.graded("small_random_init", points=1)
def test_small_random_init(small_random_init, case="visible"):
    """Named mistakes: the std argument ignored (0.01 used); std used as the variance; a uniform
    draw; the global np.random state; (fan_out, fan_in)."""
    std = 0.03 if case == "visible" else 0.05       # never the default 0.01: an ignored std shows
    kwargs = {"std": std}
    _gaussian_test("small_random_init", small_random_init, case,
                   lambda fi, fo: std ** 2,
                   lambda fi, fo: [("the std argument was ignored (0.01 was used).", 1e-4),
                                   ("std was used as the variance: the weights are std * N(0, 1).", std)],
                   **kwargs)


@SUITE.graded("xavier_init", points=2)
def test_xavier_init(xavier_init, case="visible"):
    """Named mistakes: fan_out; 1 / fan_in as the std; Glorot's 2 / (fan_in + fan_out); He's factor 2;
    a uniform draw; the global np.random state; (fan_out, fan_in)."""
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
    """Named mistakes: the factor 2 missing; fan_out; 2 / fan_in or 2 / sqrt(fan_in) as the std; a
    uniform draw; the global np.random state; (fan_out, fan_in)."""
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
    """Named mistakes: a Gaussian draw; the bound with fan_in or fan_out only, with 1, 2 or 3 instead
    of 6, or Xavier's std 1 / sqrt(fan_in) as the bound; drawn from [0, b]; the global np.random
    state."""
    name = "glorot_uniform_init"
    fan_in, fan_out = SHAPES[case]
    _check_rng_use(name, glorot_uniform_init, case, 7, 5)
    w = _weights(name, glorot_uniform_init, fan_in, fan_out, rng=_rng(name, case, 0))
    n = fan_in + fan_out
    bound = np.sqrt(6.0 / n)
    largest = float(np.abs(w).max())
    # uniform weights on [-c, c] come close to c: P(max|w| < (1 - eps) c) = (1 - eps)^size = e^-20
    eps = 20.0 / w.size
    bounds = [("the bound used fan_in only; it is sqrt(6 / (fan_in + fan_out)).", np.sqrt(6.0 / fan_in)),
              ("the bound used fan_out only; it is sqrt(6 / (fan_in + fan_out)).", np.sqrt(6.0 / fan_out)),
              ("the bound is sqrt(2 / (fan_in + fan_out)), the variance Glorot aims at put under the root; "
               "b = sqrt(6 / (fan_in + fan_out)), because U(-b, b) has variance b**2 / 3.", np.sqrt(2.0 / n)),
              ("3 instead of 6 in the bound: b = sqrt(6 / (fan_in + fan_out)).", np.sqrt(3.0 / n)),
              ("the 6 is missing from the bound sqrt(6 / (fan_in + fan_out)).", np.sqrt(1.0 / n)),
              ("Xavier's standard deviation 1 / sqrt(fan_in) was used as the bound; "
               "b = sqrt(6 / (fan_in + fan_out)).", np.sqrt(1.0 / fan_in))]
    hint = next((f" Likely mistake: {text}" for text, c in bounds if (1 - eps) * c <= largest <= c * (1 + 1e-12)), "")
    if largest > bound:
        if not hint and float(np.mean(np.abs(w) <= np.sqrt(2.0 / n))) > 0.64:
            hint = " Likely mistake: the weights look Gaussian; draw them from rng.uniform(-b, b)."
        raise CheckFailed(f"{name}: a weight of magnitude {largest:.4g} exceeds the bound "
                          f"b = sqrt(6 / (fan_in + fan_out)) = {bound:.4g}.{hint}")
    if largest < (1 - eps) * bound:
        raise CheckFailed(f"{name}: the largest |w| is {largest:.4g}, but uniform weights on [-b, b] "
                          f"reach close to b = {bound:.4g}.{hint}")
    _check_variance(name, w, bound ** 2 / 3, [])
    quarter = float(np.mean(np.abs(w) <= bound / 2))   # exactly 1/2 for a uniform
    if not _near(quarter, 0.5, np.sqrt(0.25 / w.size)):
        raise CheckFailed(f"{name}: {quarter:.1%} of the weights lie within b/2; a uniform distribution "
                          "has 50%. Likely mistake: not a uniform draw; use rng.uniform(-b, b).")


def _orthonormal_scale(w):
    """s if w = s * Q with Q orthonormal (columns, or rows for a wide w), else None."""
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    scale = float(np.mean(np.diag(gram)))
    if scale <= 0 or not np.allclose(gram / scale, np.eye(gram.shape[0]), atol=1e-8):
        return None
    return np.sqrt(scale)


def _lsuv_model(FullyConnectedNet, name, case, setup):
    hidden_dims, activation, _, dim = setup
    return FullyConnectedNet(hidden_dims, input_dim=dim, num_classes=10, activation=activation,
                             weight_scale=1.0, bias_init=BIAS_INIT, seed=_seed(name, case, 0))


BIAS_INIT = 0.1
LSUV_SETUP = {"visible": ([80] * 5, "tanh", 0.05, 40), "hidden": ([64] * 8, "relu", 0.03, 30)}


@SUITE.graded("lsuv_init", points=3, uses=("tanh_forward", "relu_forward"))
def test_lsuv_init(lsuv_init, case="visible"):
    """Named mistakes: a factor 1 / variance (it oscillates); the layers rescaled from the last to
    the first, or all measured before any rescaling; b_i not rescaled with W_i; max_iter ignored;
    W changed otherwise than by one factor."""
    from ..classifiers import FullyConnectedNet
    from ..init import layer_output_variances

    name = "lsuv_init"
    setup = LSUV_SETUP[case]
    tol, dim = setup[2], setup[3]
    rng = _rng(name, case, 11)
    mixing = rng.standard_normal((dim, dim))     # correlated, scaled, shifted inputs
    batch = lambda n: 3.0 * rng.standard_normal((n, dim)) @ mixing + 1.0
    train, held_out = batch(500), batch(2000)
    model = _lsuv_model(FullyConnectedNet, name, case, setup)
    result, _ = call(lsuv_init, name, model, train, tol=tol)
    if not isinstance(result, list) or len(result) != model.num_layers:
        raise CheckFailed(f"{name} must return the list of the {model.num_layers} final variances.")
    scales = {}
    for i in range(1, model.num_layers + 1):
        scales[i] = _orthonormal_scale(model.params[f"W{i}"])
        if scales[i] is None:
            raise CheckFailed(f"{name}: W{i} is no longer a multiple of an orthonormal matrix. Likely mistake: "
                              "W changed otherwise than by one number; only rescale it (multiply W and b by "
                              "1 / sqrt(variance)).")
    achieved = layer_output_variances(model, train)
    for i, var in enumerate(achieved, start=1):
        if abs(var - 1.0) >= tol:
            raise CheckFailed(f"{name}: layer {i}'s output variance on the batch is {var:.4g}, not within "
                              f"1 +/- {tol}.{_lsuv_hint(model, train, i, var, achieved, tol, scales)}")
    for i, var in enumerate(layer_output_variances(model, held_out), start=1):
        if abs(var - 1.0) >= tol + 0.15:
            raise CheckFailed(f"{name}: on a held-out batch, layer {i}'s output variance is {var:.4g} "
                              f"(expected about 1).")
    for i in range(1, model.num_layers):              # hidden layers start with b = BIAS_INIT
        b, want = model.params[f"b{i}"], BIAS_INIT * scales[i]
        if not np.allclose(b, want, rtol=1e-6, atol=0):
            hint = (" Likely mistake: b_i was not rescaled; the docstring rescales W_i and b_i by the same "
                    "factor (the affine output x @ W + b then scales as a whole, so one step reaches "
                    "variance 1)." if np.allclose(b, BIAS_INIT, rtol=1e-12, atol=0) else "")
            raise CheckFailed(f"{name}: b{i} is {float(np.mean(b)):.6g} (on average) after LSUV while W{i} was "
                              f"scaled by {scales[i]:.6g} in all: b{i} must be scaled by the same factor, "
                              f"giving {want:.6g}.{hint}")
    # max_iter: at most that many rescalings per layer; 0 leaves the orthonormal start as it is
    untouched = _lsuv_model(FullyConnectedNet, name, case, setup)
    call(lsuv_init, name, untouched, train, tol=tol, max_iter=0)
    for i in range(1, untouched.num_layers + 1):
        s = _orthonormal_scale(untouched.params[f"W{i}"])
        if s is None or abs(s - 1.0) > 1e-9 or not np.allclose(untouched.params[f"b{i}"], BIAS_INIT if
                                                                 i < untouched.num_layers else 0.0):
            raise CheckFailed(f"{name}: with max_iter=0, layer {i} was rescaled (W{i} is "
                              f"{'not orthonormal' if s is None else f'{s:.4g} times orthonormal'}). Likely "
                              "mistake: max_iter was ignored (a while loop until the variance is within tol); "
                              "make at most max_iter rescalings per layer.")


def _lsuv_hint(model, X, i, var, achieved, tol, scales):
    """The likely mistake of a layer whose final variance is off: a 1 / var factor, or the wrong order."""
    from ..init import layer_output_variances

    params = dict(model.params)
    try:
        start = dict(params)
        start[f"W{i}"], start[f"b{i}"] = params[f"W{i}"] / scales[i], params[f"b{i}"] / scales[i]
        model.params = start
        first = layer_output_variances(model, X)[i - 1]   # layer i's variance before its own rescaling
    finally:
        model.params = params
    if np.isclose(var, first, rtol=1e-3) or np.isclose(var, 1 / first, rtol=1e-3):
        return (" Likely mistake: a factor 1 / variance; it swaps the variance v for 1 / v at every step "
                "(it oscillates and never converges). Rescale W_i and b_i by 1 / sqrt(variance).")
    if all(abs(v - 1.0) < tol for v in achieved[:i - 1]) or i == 1:
        return (" Likely mistake: the layers were not rescaled one after the other from the first: each "
                "layer's variance must be measured after the earlier layers were rescaled (later layers "
                "see their new outputs).")
    return ""
