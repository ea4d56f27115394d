"""Tests of the update rules and schedules (notebook 07_update_rules_and_regularization.ipynb).

Update rules are checked over several consecutive steps (the state in
``config`` must carry over), from a fresh config with the fixture's
hyperparameters and from ``config=None`` (the defaults); Adam also resumes
from a saved state. Known wrong variants are simulated from the same inputs
so that a failure can name its mistake. L2 and dropout, graded in the same
notebook, are tested in selfcheck/regularization.py; their tests are
re-exported here (the notebook's ``tests`` is this module).
"""
import numpy as np

from .feedback import CheckFailed, call, expect_array, expect_outputs
from .registry import Suite

NOTEBOOK = "07_update_rules_and_regularization.ipynb"
SUITE = Suite(module="optim", notebook=NOTEBOOK, fixtures="optimization")
TOL, NUMERIC_TOL = 1e-9, 1e-6
SIGN_MIXED = ("momentum sign conventions mixed: with v = momentum * v - learning_rate * dw the "
              "velocity already points downhill, so the step is w + v (or, with v = momentum * v + "
              "learning_rate * dw, w - v); your weights move uphill.")
EPS_INSIDE = ("epsilon is inside the square root; it is added outside: dw / (sqrt(cache) + epsilon).")


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


def _rule_test(name, rule, case, variants, state_mistakes=None):
    """Fresh config with the fixture's hyperparameters, its state after the steps, then config=None.

    variants(h) -> list of (explanation, step, initial_state): wrong rules for hyperparameters h.
    state_mistakes(h, f) -> {state key: [(explanation, wrong final state)]}.
    """
    f = SUITE.load(name, case)
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
    wrong_states = state_mistakes(h, f) if state_mistakes else {}
    for field in [k for k in f if k.startswith("state_")]:
        key, expected = field[len("state_"):], f[field]
        value = config.get(key)
        if key not in config:
            raise CheckFailed(f"{name}: config has no '{key}' after {steps} steps. Likely mistake: the state was "
                              f"not stored back; the next step reads config['{key}'].")
        if key == "velocity" and np.shape(value) == expected.shape and np.allclose(value, -expected, rtol=1e-9):
            continue    # the other sign convention (v = mu v + lr dw, w - v): the same rule
        expect_array(name, f"config['{key}'] after {steps} steps", value, expected, TOL,
                     mistakes=wrong_states.get(key))
    got, _ = _run_rule(rule, name, w0, dws, None, "config=None on the first call, default hyperparameters")
    _expect_trajectory(name, got, f["ws_default"], "config=None, defaults", [], steps)
    if "ws_schedule" in f:
        _schedule_run(name, rule, f, h)
    return f, config


LR_IN_VELOCITY = ("the learning rate was applied to the stored velocity (v = momentum * v - dw; w += "
                  "learning_rate * v): the same steps at a constant rate, but a schedule that changes the rate "
                  "changes them; the velocity holds momentum * v - learning_rate * dw.")


def _schedule_run(name, rule, f, h):
    """A schedule writes config['learning_rate'] before every step: the rule must use the current rate."""
    w0, dws, lrs = f["w0"], f["dws"], f["schedule_lrs"]
    mu = h["momentum"]
    w, config, got = w0.copy(), dict(h), []
    for k, (lr, dw) in enumerate(zip(lrs, dws), start=1):
        config["learning_rate"] = float(lr)
        result, _ = call(rule, name, w, dw, config)
        w, config = expect_outputs(name, result, ("next_w", "config"))
        got.append(np.asarray(w, dtype=np.float64))
    v, wrong, w = 0.0, [], w0.copy()
    for lr, dw in zip(lrs, dws):          # the lr-in-velocity rule, in this function's form
        v_prev, v = v, mu * v - dw
        w = w + lr * (v if name == "momentum_update" else -mu * v_prev + (1 + mu) * v)
        wrong.append(w)
    what = "the learning rate set before each step, as a schedule does: " + ", ".join(f"{lr:.3g}" for lr in lrs)
    _expect_trajectory(name, np.array(got), f["ws_schedule"], what, [(LR_IN_VELOCITY, np.array(wrong))], len(dws))


def _fmt_hyper(h):
    return ", ".join(f"{k}={v:.4g}" for k, v in h.items())


def _velocity_mistakes(h, f):
    """The stored velocity of the lr-in-velocity rule: the true one divided by the learning rate."""
    v = f["state_velocity"]
    return {"velocity": [(LR_IN_VELOCITY, v / h["learning_rate"]), (LR_IN_VELOCITY, -v / h["learning_rate"])]}


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


@SUITE.graded("momentum_update", points=2)
def test_momentum_update(momentum_update, case="visible"):
    """Named mistakes: momentum sign conventions mixed; the velocity not carried (plain SGD); the
    learning rate applied to the stored velocity (seen with a schedule); the velocity not stored."""
    _rule_test("momentum_update", momentum_update, case, _momentum_variants, _velocity_mistakes)


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


@SUITE.graded("nesterov_momentum", points=2)
def test_nesterov_momentum(nesterov_momentum, case="visible"):
    """Named mistakes: classical momentum; sign conventions mixed; the velocity not carried; the
    learning rate applied to the stored velocity (seen with a schedule)."""
    _rule_test("nesterov_momentum", nesterov_momentum, case, _nesterov_variants, _velocity_mistakes)


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


@SUITE.graded("adagrad", points=2)
def test_adagrad(adagrad, case="visible"):
    """Named mistakes: epsilon inside the root; the cache not accumulated; the square root missing;
    the cache not stored."""
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


@SUITE.graded("rmsprop", points=2)
def test_rmsprop(rmsprop, case="visible"):
    """Named mistakes: epsilon inside the root; the decay the wrong way round; the new term without
    (1 - decay_rate); no decay (AdaGrad); the cache not stored."""
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
            ("there is no bias correction: divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t). m and v "
             "start at 0, so without it the first step is (1 - beta1) / sqrt(1 - beta2) times the corrected "
             f"one: {(1 - h['beta1']) / np.sqrt(1 - h['beta2']):.2g}x here, 3.2x with the default betas "
             "0.9 / 0.999 (too large).", _adam_rule(h, correct=False), {}),
            ("only m is bias-corrected; v needs its own correction v / (1 - beta2 ** t).",
             _adam_rule(h, correct_v=False), {}),
            ("t is one too large: it starts at 0 and is incremented once per step, so t = 1 at the "
             "first step.", _adam_rule(h, t_shift=1), {}),
            (EPS_INSIDE.replace("dw / (sqrt(cache)", "m_hat / (sqrt(v_hat)"), _adam_rule(h, eps_inside=True), {})]


@SUITE.graded("adam", points=3)
def test_adam(adam, case="visible"):
    """Named mistakes: t incremented after the correction (a division by 0 at the first step); no bias
    correction; only m corrected; t one too large; epsilon inside the root; m, v, t not stored."""
    name = "adam"
    f = SUITE.load(name, case)
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


from .schedules import test_exponential_decay, test_inverse_time_decay, test_step_decay  # noqa: E402,F401
from .regularization import test_dropout_backward, test_dropout_forward, test_l2_penalty  # noqa: E402,F401
