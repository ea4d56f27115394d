"""Tests of the update rules, schedules, L2 penalty and dropout (notebook 07_update_rules_and_regularization.ipynb).

Update rules are checked over several consecutive steps (the state in
``config`` must carry over), from a fresh config with the fixture's
hyperparameters and from ``config=None`` (the defaults); Adam also resumes
from a saved state. Known wrong variants are simulated from the same inputs
so that a failure can name its mistake.

Dropout is random: its forward pass is tested by its contract (fraction
kept, scaling of the kept units, reproducibility, test mode, cache layout),
each statistic within Z = 5.5 standard errors, as the initializers are.
"""
import numpy as np

from .feedback import CheckFailed, call, diagnose, expect_array, expect_gradients, expect_outputs
from .fixtures import hidden_seed, load
from .registry import graded

TOPIC = "optimization"
NOTEBOOK = "07_update_rules_and_regularization.ipynb"
TOL, NUMERIC_TOL = 1e-9, 1e-6
Z = 5.5
SIGN_MIXED = ("momentum sign conventions mixed: with v = momentum * v - learning_rate * dw the "
              "velocity already points downhill, so the step is w + v (or, with v = momentum * v + "
              "learning_rate * dw, w - v); your weights move uphill.")
EPS_INSIDE = ("epsilon is inside the square root; it is added outside: dw / (sqrt(cache) + epsilon).")


def _graded(name, points, module="optim", uses=()):
    return graded(name, module=module, notebook=NOTEBOOK, points=points, uses=uses)


# --------------------------------------------------------------------------
# update rules

def _hyper(f):
    return {str(k): float(v) for k, v in zip(f["hyper_names"], f["hyper_values"])}


def _run_rule(rule, name, w0, dws, config, what):
    """Call ``rule`` once per gradient, passing the returned config on; the weights as (K, ...)."""
    w, ws = w0.copy(), []
    for k, dw in enumerate(dws, start=1):
        result, _ = call(rule, name, w, dw, config)
        w, config = expect_outputs(name, result, ("next_w", "config"))
        if not isinstance(config, dict):
            raise CheckFailed(f"{name} must return (next_w, config) with config a dict; at step {k} "
                              f"({what}) config is {type(config).__name__}.")
        got = np.asarray(w) if isinstance(w, (np.ndarray, float, int, np.generic)) else w
        if not isinstance(got, np.ndarray) or got.shape != w0.shape:
            shape = getattr(got, "shape", type(got).__name__)
            raise CheckFailed(f"{name}: next_w at step {k} ({what}) has shape {shape}, expected {w0.shape}.")
        ws.append(got)
    return np.array(ws, dtype=np.float64), config


def _simulate(step, w0, dws, state):
    """Trajectory of a (wrong or right) rule written as step(w, dw, state) -> w."""
    w, ws = w0.copy(), []
    for dw in dws:
        with np.errstate(all="ignore"):
            w = step(w, dw, state)
        ws.append(w)
    return np.array(ws)


def _expect_trajectory(name, got, expected, what, mistakes, steps):
    output = f"the weights after each of {steps} steps ({what}; first index = step - 1)"
    expect_array(name, output, got, expected, TOL, mistakes=mistakes)


def _rule_test(name, rule, case, variants):
    """Fresh config with the fixture's hyperparameters, then config=None (defaults).

    variants(h) -> list of (explanation, step, initial_state): wrong rules for hyperparameters h.
    """
    f = load(TOPIC, name, case)
    w0, dws, h = f["w0"], f["dws"], _hyper(f)
    steps = len(dws)

    def mistakes(hyper):
        return [(text, _simulate(step, w0, dws, dict(state))) for text, step, state in variants(hyper)]

    got, config = _run_rule(rule, name, w0, dws, dict(h), "config with " + _fmt_hyper(h))
    _expect_trajectory(name, got, f["ws"], "config with " + _fmt_hyper(h), mistakes(h), steps)
    for key, value in h.items():
        if config.get(key) != value:
            raise CheckFailed(f"{name}: config['{key}'] was changed from {value:g} to {config.get(key)!r}; "
                              "hyperparameters must stay as given.")
    got, _ = _run_rule(rule, name, w0, dws, None, "config=None on the first call, default hyperparameters")
    _expect_trajectory(name, got, f["ws_default"], "config=None, defaults", [], steps)
    return f, config


def _fmt_hyper(h):
    return ", ".join(f"{k}={v:.4g}" for k, v in h.items())


def _momentum_variants(h):
    lr, mu = h["learning_rate"], h["momentum"]

    def plain(w, dw, s):
        return w - lr * dw

    def minus_v(w, dw, s):
        s["v"] = mu * s.get("v", 0.0) - lr * dw
        return w - s["v"]

    def plus_plus(w, dw, s):
        s["v"] = mu * s.get("v", 0.0) + lr * dw
        return w + s["v"]

    return [(SIGN_MIXED, minus_v, {}), (SIGN_MIXED, plus_plus, {}),
            ("the velocity is not carried between steps (this is plain SGD): read it from "
             "config['velocity'] and store the new one there.", plain, {})]


@_graded("momentum_update", points=2)
def test_momentum_update(momentum_update, case="visible"):
    _rule_test("momentum_update", momentum_update, case, _momentum_variants)


def _nesterov_variants(h):
    lr, mu = h["learning_rate"], h["momentum"]

    def classical(w, dw, s):
        s["v"] = mu * s.get("v", 0.0) - lr * dw
        return w + s["v"]

    def swapped(w, dw, s):
        v_prev = s.get("v", 0.0)
        s["v"] = mu * v_prev - lr * dw
        return w + mu * v_prev - (1 + mu) * s["v"]

    def minus(w, dw, s):
        v_prev = s.get("v", 0.0)
        s["v"] = mu * v_prev + lr * dw
        return w - mu * v_prev + (1 + mu) * s["v"]

    return [("this is classical momentum (w + v); Nesterov's look-ahead form steps "
             "w - momentum * v_prev + (1 + momentum) * v.", classical, {}),
            (SIGN_MIXED, swapped, {}), (SIGN_MIXED, minus, {})] + _momentum_variants(h)[2:]


@_graded("nesterov_momentum", points=2)
def test_nesterov_momentum(nesterov_momentum, case="visible"):
    _rule_test("nesterov_momentum", nesterov_momentum, case, _nesterov_variants)


def _adaptive_step(lr, eps, eps_inside=False):
    def step(dw, cache):
        with np.errstate(all="ignore"):
            return lr * dw / (np.sqrt(cache + eps) if eps_inside else np.sqrt(cache) + eps)
    return step


def _cached_rule(update, step):
    """A wrong-variant rule with one running cache: cache = update(cache, dw); w -= step(dw, cache)."""
    def rule(w, dw, s):
        s["c"] = update(s.get("c", 0.0), dw)
        return w - step(dw, s["c"])
    return rule


def _adagrad_variants(h):
    lr, eps = h["learning_rate"], h["epsilon"]
    right, inside = _adaptive_step(lr, eps), _adaptive_step(lr, eps, eps_inside=True)


    return [(EPS_INSIDE, _cached_rule(lambda c, dw: c + dw ** 2, inside), {}),
            ("the cache is not accumulated: AdaGrad adds dw ** 2 to the cache of all earlier steps "
             "(cache = cache + dw ** 2) and keeps it in config['cache'].", _cached_rule(lambda c, dw: dw ** 2, right), {}),
            ("the square root is missing: divide by sqrt(cache) + epsilon.",
             _cached_rule(lambda c, dw: c + dw ** 2, lambda dw, c: lr * dw / (c + eps)), {})]


@_graded("adagrad", points=2)
def test_adagrad(adagrad, case="visible"):
    _rule_test("adagrad", adagrad, case, _adagrad_variants)


def _rmsprop_variants(h):
    lr, eps, d = h["learning_rate"], h["epsilon"], h["decay_rate"]
    right, inside = _adaptive_step(lr, eps), _adaptive_step(lr, eps, eps_inside=True)


    leaky = lambda c, dw: d * c + (1 - d) * dw ** 2
    return [(EPS_INSIDE, _cached_rule(leaky, inside), {}),
            ("RMSProp's decay is applied the wrong way round: decay_rate weighs the old cache, "
             "cache = decay_rate * cache + (1 - decay_rate) * dw ** 2.",
             _cached_rule(lambda c, dw: (1 - d) * c + d * dw ** 2, right), {}),
            ("the new squared gradient lacks its factor (1 - decay_rate): "
             "cache = decay_rate * cache + (1 - decay_rate) * dw ** 2.",
             _cached_rule(lambda c, dw: d * c + dw ** 2, right), {}),
            ("the cache never decays (this is AdaGrad): cache = decay_rate * cache + "
             "(1 - decay_rate) * dw ** 2.", _cached_rule(lambda c, dw: c + dw ** 2, right), {})]


@_graded("rmsprop", points=2)
def test_rmsprop(rmsprop, case="visible"):
    _rule_test("rmsprop", rmsprop, case, _rmsprop_variants)


def _adam_rule(h, t_shift=0, correct=True, eps_inside=False, correct_v=True):
    """Adam with known deviations: bias correction with t + t_shift, none, eps inside."""
    lr, b1, b2, eps = h["learning_rate"], h["beta1"], h["beta2"], h["epsilon"]

    def rule(w, dw, s):
        s["t"] = s.get("t", 0) + 1
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * dw
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * dw ** 2
        t = s["t"] + t_shift
        m_hat = s["m"] / (1 - b1 ** t) if correct else s["m"]
        v_hat = s["v"] / (1 - b2 ** t) if correct and correct_v else s["v"]
        return w - lr * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
    return rule


T_AFTER = ("Adam's t is incremented after the bias correction: increment it first, so that t = 1 at "
           "the first step (as in the paper and in PyTorch); with t = 0 the correction divides by "
           "1 - beta ** 0 = 0.")


def _adam_variants(h):
    return [(T_AFTER, _adam_rule(h, t_shift=-1), {}),
            ("there is no bias correction: divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t); "
             "without it the first steps are too small (m and v start at 0).", _adam_rule(h, correct=False), {}),
            ("only m is bias-corrected; v needs its own correction v / (1 - beta2 ** t).",
             _adam_rule(h, correct_v=False), {}),
            ("t is one too large: it starts at 0 and is incremented once per step, so t = 1 at the "
             "first step.", _adam_rule(h, t_shift=1), {}),
            (EPS_INSIDE.replace("dw / (sqrt(cache)", "m_hat / (sqrt(v_hat)"), _adam_rule(h, eps_inside=True), {})]


@_graded("adam", points=3)
def test_adam(adam, case="visible"):
    name = "adam"
    f = load(TOPIC, name, case)
    w0, dws, h = f["w0"], f["dws"], _hyper(f)
    # a t incremented after the correction divides by zero at the first step: say so, not "NaN"
    got, _ = _run_rule(adam, name, w0, dws[:1], dict(h), "first step")
    if not np.isfinite(got).all():
        raise CheckFailed(f"{name}: the weights after the first step contain NaN or inf. Likely mistake: "
                          + T_AFTER)
    _, config = _rule_test(name, adam, case, _adam_variants)
    steps, fresh_t = len(dws), config.get("t")
    t0 = int(f["t0"])
    state = {"m": f["m0"], "v": f["v0"], "t": t0}
    what = f"resumed from a saved state with t = {t0}"
    got, config = _run_rule(adam, name, w0, dws, {**h, **state}, what)
    mistakes = [(text, _simulate(step, w0, dws, {k: np.copy(v) for k, v in state.items()}))
                for text, step, _ in _adam_variants(h)]
    _expect_trajectory(name, got, f["ws_resume"], what, mistakes, steps)
    if fresh_t != steps:
        raise CheckFailed(f"{name}: config['t'] is {fresh_t!r} after {steps} steps from a fresh "
                          f"config, expected {steps} (t = 1 after the first step).")
    if config.get("t") != t0 + steps:
        raise CheckFailed(f"{name}: config['t'] is {config.get('t')!r} after {steps} steps from t = {t0}, "
                          f"expected {t0 + steps}.")
    expect_array(name, f"config['m'] ({what})", config.get("m"), f["m_resume"], TOL)
    expect_array(name, f"config['v'] ({what})", config.get("v"), f["v_resume"], TOL)


# --------------------------------------------------------------------------
# schedules

def _schedule_test(name, fn, case, args_of, variants, nonfinite_hint=""):
    f = load(TOPIC, name, case)
    its = [int(i) for i in f["iterations"]]
    values = []
    for it in its:
        lr, _ = call(fn, name, *args_of(f, it))
        if not isinstance(lr, (float, int, np.floating, np.integer)) and np.shape(lr) != ():
            raise CheckFailed(f"{name} must return one number (the learning rate); got {type(lr).__name__}.")
        values.append(float(lr))
    its_arr = np.array(its, dtype=np.float64)
    with np.errstate(all="ignore"):
        mistakes = [(text, wrong(f, its_arr)) for text, wrong in variants]
    finite = np.isfinite(values)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0])
        # a wrong formula may overflow at large iterations: recognise it on the finite ones
        known = diagnose(np.array(values)[finite], [(t, np.asarray(w)[finite]) for t, w in mistakes], TOL)
        hint = f" Likely mistake: {known}" if known else nonfinite_hint
        raise CheckFailed(f"{name}: the learning rate is {values[first]} at iteration {its[first]}; "
                          f"the reference is {float(f['lr'][first]):.6g}.{hint}")
    expect_array(name, f"lr at iterations {its[:4]}...{its[-2:]}", np.array(values), f["lr"], TOL,
                 context={"iteration": its_arr}, mistakes=mistakes)


@_graded("step_decay", points=1)
def test_step_decay(step_decay, case="visible"):
    lr0 = lambda f: float(f["base_lr"])
    s = lambda f: int(f["step_size"])
    g = lambda f: float(f["gamma"])
    _schedule_test("step_decay", step_decay, case, lambda f, it: (lr0(f), it, s(f), g(f)), [
        ("the first drop comes one iteration early: iteration 0 is the first step, and the rate "
         "drops at iterations step_size, 2 * step_size, ... (iteration // step_size).",
         lambda f, i: lr0(f) * g(f) ** ((i + 1) // s(f))),
        ("the exponent is not rounded down: step decay is piecewise constant, "
         "base_lr * gamma ** (iteration // step_size).", lambda f, i: lr0(f) * g(f) ** (i / s(f))),
        ("gamma multiplies instead of being raised to a power: base_lr * gamma ** (iteration // step_size).",
         lambda f, i: lr0(f) * np.where(i // s(f) > 0, g(f) * (i // s(f)), 1.0)),
    ])


@_graded("exponential_decay", points=1)
def test_exponential_decay(exponential_decay, case="visible"):
    lr0, k = (lambda f: float(f["base_lr"])), (lambda f: float(f["k"]))
    _schedule_test("exponential_decay", exponential_decay, case, lambda f, it: (lr0(f), it, k(f)), [
        ("the sign of the exponent is wrong: the rate must shrink, base_lr * exp(-k * iteration).",
         lambda f, i: lr0(f) * np.exp(k(f) * i)),
        ("this is the discrete form base_lr * (1 - k) ** iteration; use base_lr * exp(-k * iteration).",
         lambda f, i: lr0(f) * (1 - k(f)) ** i),
        ("k was used as the per-iteration factor (base_lr * k ** iteration); the rule is "
         "base_lr * exp(-k * iteration).", lambda f, i: lr0(f) * k(f) ** i),
    ])


@_graded("inverse_time_decay", points=1)
def test_inverse_time_decay(inverse_time_decay, case="visible"):
    lr0, k = (lambda f: float(f["base_lr"])), (lambda f: float(f["k"]))
    _schedule_test("inverse_time_decay", inverse_time_decay, case, lambda f, it: (lr0(f), it, k(f)), [
        ("the 1 is missing: at iteration 0 the rate must be base_lr, base_lr / (1 + k * iteration).",
         lambda f, i: lr0(f) / (k(f) * i)),
        ("k is ignored: base_lr / (1 + k * iteration).", lambda f, i: lr0(f) / (1 + i)),
        ("k multiplies the result instead of the iteration: base_lr / (1 + k * iteration).",
         lambda f, i: lr0(f) * k(f) / (1 + i)),
    ], nonfinite_hint=" Likely mistake: the 1 is missing; at iteration 0 the rate must be base_lr, "
                      "base_lr / (1 + k * iteration).")


# --------------------------------------------------------------------------
# L2

BIASES = ("L2 applied to biases (or to batchnorm's gamma / beta): only the weight matrices W* are "
          "decayed; the gradient of every other parameter is zeros.")


@_graded("l2_penalty", points=2, module="regularization")
def test_l2_penalty(l2_penalty, case="visible"):
    name = "l2_penalty"
    f = load(TOPIC, name, case)
    names, reg = [str(n) for n in f["names"]], float(f["reg"])
    params = {n: f["p_" + n] for n in names}
    result, _ = call(l2_penalty, name, {n: p.copy() for n, p in params.items()}, reg)
    loss, grads = expect_outputs(name, result, ("loss", "grads"))
    weights = sum(float(np.sum(p * p)) for n, p in params.items() if n.startswith("W"))
    everything = sum(float(np.sum(p * p)) for p in params.values())
    expect_array(name, "loss", loss, f["loss"], TOL, mistakes=[
        (BIASES, 0.5 * reg * everything),
        ("the 0.5 factor is missing from the loss: loss = 0.5 * reg * sum(W ** 2), whose gradient "
         "is reg * W.", reg * weights),
        ("the 0.5 factor counted twice (0.25 * reg * sum(W ** 2)): loss = 0.5 * reg * sum(W ** 2).",
         0.25 * reg * weights),
    ])
    if not isinstance(grads, dict) or set(grads) != set(names):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailed(f"{name}: grads must be a dict with one entry per parameter, {names}; got {got}. "
                          "Parameters that are not decayed get zeros.")
    for n in names:
        p = params[n]
        if n.startswith("W"):
            mistakes = [("the 0.5 factor counted twice: the derivative of 0.5 * reg * W ** 2 is reg * W "
                         "(the 0.5 cancels the 2).", 0.5 * reg * p),
                        ("the gradient is 2 * reg * W: the 0.5 in the loss cancels the 2 of the derivative, "
                         "so it is reg * W.", 2 * reg * p)]
        else:
            mistakes = [(BIASES, reg * p)]
        expect_array(name, f"grads['{n}']", grads[n], f["d_" + n], TOL, mistakes=mistakes)
    keys = tuple(f"d_{n}" for n in names if n.startswith("W"))
    expect_gradients(name, keys, [grads[k[2:]] for k in keys], f, TOL, NUMERIC_TOL)


# --------------------------------------------------------------------------
# dropout

def _seed(name, case, number):
    return number if case == "visible" else [hidden_seed(name), number]


def _dropout_out(name, fn, x, param, what):
    result, _ = call(fn, name, x, param)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        raise CheckFailed(f"{name}: out ({what}) must be an array of shape {x.shape}; got "
                          f"{getattr(out, 'shape', type(out).__name__)}.")
    return out, cache


@_graded("dropout_forward", points=3, module="layers")
def test_dropout_forward(dropout_forward, case="visible"):
    name = "dropout_forward"
    f = load(TOPIC, name, case)
    p, shape = float(f["keep_prob"]), tuple(int(s) for s in f["shape"])
    rng = np.random.default_rng(_seed(name, case, 0))
    x = rng.uniform(0.5, 2.0, shape)             # no zeros: a zero in out means a dropped unit

    # test mode: the identity
    out, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "mode": "test"}, "test mode")
    expect_array(name, "out in test mode", out, x, TOL, mistakes=[
        ("the output is rescaled at test time too (times keep_prob): with inverted dropout the "
         "training pass already divides by keep_prob, so test mode is the identity.", x * p),
        ("the output is rescaled at test time too (divided by keep_prob): test mode is the identity.", x / p),
    ])

    # train mode: the fraction kept and the scaling of kept units
    param = {"keep_prob": p, "mode": "train", "seed": int(rng.integers(2 ** 31))}
    out, cache = _dropout_out(name, dropout_forward, x, dict(param), "train mode")
    kept = out != 0
    n = x.size
    frac, se = float(kept.mean()), np.sqrt(p * (1 - p) / n)
    if abs(frac - p) > Z * se:
        msg = (f"{name}: {frac:.2%} of the units were kept in train mode, expected keep_prob = {p:.2%} "
               f"(allowed +/- {Z * se:.2%} over {n} units).")
        if abs(frac - (1 - p)) <= Z * se:
            msg += (" Likely mistake: the drop probability used where the keep probability is meant: "
                    "keep a unit where rng.random(shape) < keep_prob.")
        raise CheckFailed(msg)
    expect_array(name, "out at the kept units (train mode)", out[kept], x[kept] / p, TOL, mistakes=[
        ("the dropout mask is not rescaled: inverted dropout divides the kept units by keep_prob, so "
         "that the expected activation is unchanged and test mode needs no scaling.", x[kept]),
        ("the kept units were multiplied by keep_prob; inverted dropout divides them by keep_prob.",
         x[kept] * p),
        ("the kept units were divided by the drop probability 1 - keep_prob; divide by keep_prob.",
         x[kept] / (1 - p)),
    ])

    # the cache layout dropout_backward relies on
    if not (isinstance(cache, tuple) and len(cache) == 2):
        raise CheckFailed(f"{name}: cache must be (dropout_param, mask) as documented; got "
                          f"{type(cache).__name__}.")
    mask = np.asarray(cache[1]) if cache[1] is not None else None
    if mask is None or mask.shape != x.shape or mask.dtype != bool or not np.array_equal(mask, kept):
        raise CheckFailed(f"{name}: the cache's mask must be a boolean array of x's shape, True exactly "
                          "where the unit was kept (out != 0), so that dropout_backward uses the same mask.")

    # reproducibility: the seed, or the rng, decides the mask; the global state is not used
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        again, _ = _dropout_out(name, dropout_forward, x, dict(param), "same seed")
        np.random.seed(2)
        other, _ = _dropout_out(name, dropout_forward, x, {**param, "seed": param["seed"] + 1}, "other seed")
        gen_a, gen_b = np.random.default_rng(_seed(name, case, 5)), np.random.default_rng(_seed(name, case, 5))
        with_rng_a, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "rng": gen_a}, "rng given")
        with_rng_b, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "rng": gen_b}, "rng given")
    finally:
        np.random.set_state(saved)
    if not np.array_equal(again, out):
        raise CheckFailed(f"{name}: two calls with the same dropout_param['seed'] gave different masks. Draw "
                          "the mask from the Generator the param names (its 'rng', or one made from its "
                          "'seed'), never from np.random's global state.")
    if np.array_equal(other, out):
        raise CheckFailed(f"{name}: two different seeds gave the same mask; draw the mask from the seed's Generator.")
    if not np.array_equal(with_rng_a, with_rng_b):
        raise CheckFailed(f"{name}: two Generators in the same state (dropout_param['rng']) gave different "
                          "masks; draw from dropout_param['rng'] when it is given.")

    # keep_prob = 1 keeps everything
    out1, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": 1.0, "mode": "train", "seed": 3},
                           "keep_prob = 1")
    expect_array(name, "out with keep_prob = 1 (train mode)", out1, x, TOL)


@_graded("dropout_backward", points=2, module="layers")
def test_dropout_backward(dropout_backward, case="visible"):
    name = "dropout_backward"
    f = load(TOPIC, name, case)
    dout, mask, p = f["dout"], f["mask"].astype(bool), float(f["keep_prob"])
    param = {"keep_prob": p, "mode": "train", "seed": int(f["seed"])}
    result, _ = call(dropout_backward, name, dout, (param, mask.copy()))
    (dx,) = expect_outputs(name, result, ("dx",))
    expect_gradients(name, ("dx",), (dx,), f, TOL, NUMERIC_TOL, mistakes={"dx": [
        ("the gradient is not rescaled: the forward divided the kept units by keep_prob, so the "
         "backward does too, dx = dout * mask / keep_prob.", dout * mask),
        ("the gradient was divided by the drop probability 1 - keep_prob; divide by keep_prob.",
         dout * mask / (1 - p)),
        ("the gradient was multiplied by keep_prob; divide by it.", dout * mask * p),
        ("the mask was not applied: dropped units received no input from x, so they pass back "
         "no gradient (use the mask of the cache).", dout / p),
        ("the backward ignores the dropout: only the kept units pass the gradient, scaled by 1 / keep_prob.",
         dout),
    ]}, context={"mask": mask.astype(float)})
    result, _ = call(dropout_backward, name, dout, ({"keep_prob": p, "mode": "test"}, None))
    (dx,) = expect_outputs(name, result, ("dx",))
    expect_array(name, "dx in test mode", dx, dout, TOL, mistakes=[
        ("the gradient is rescaled in test mode: the forward is the identity there, so dx = dout.", dout / p),
        ("the gradient is rescaled in test mode: the forward is the identity there, so dx = dout.", dout * p)])


# --------------------------------------------------------------------------
# the student's experiment (not graded by points: a visible check)

def check_adam_lr_search(results, best_lr):
    """Check the outcome of the Adam learning-rate search; print PASS or a FAIL that says why.

    Inputs:
    - results: dict learning_rate -> final training loss (a float; nan/inf for a diverged run)
    - best_lr: the learning rate you picked

    Returns True if it passes.
    """
    problems = []
    if not isinstance(results, dict) or len(results) < 4:
        problems.append("try at least 4 learning rates (results must be a dict lr -> final loss)")
    else:
        rates = sorted(float(r) for r in results)
        if rates[-1] / rates[0] < 100:
            problems.append(f"the rates span only {rates[-1] / rates[0]:.3g}x; cover at least two decades "
                            "(e.g. 1e-4 .. 1e-1) on a log scale")
        finite = {float(r): float(v) for r, v in results.items() if np.isfinite(v)}
        if not finite:
            problems.append("every run diverged")
        elif float(best_lr) not in finite or finite[float(best_lr)] > min(finite.values()) + 1e-12:
            problems.append(f"best_lr = {best_lr} is not the rate with the lowest final loss "
                            f"({min(finite, key=finite.get):g})")
        elif float(best_lr) in (rates[0], rates[-1]):
            problems.append(f"the best rate {best_lr:g} is at the edge of the range you tried; extend "
                            "the range beyond it so that the optimum is bracketed")
    if problems:
        print("FAIL: " + "; ".join(problems) + ".")
        return False
    print(f"PASS: best Adam learning rate {best_lr:g} (final loss {finite[float(best_lr)]:.3f}), "
          f"bracketed by the {len(results)} rates tried.")
    return True
