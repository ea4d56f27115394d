"""Tests of the learning-rate schedules (notebook 07_update_rules_and_regularization.ipynb).

Pure functions of the iteration, compared with the reference at every
iteration of several steps (the step boundaries included) and at large
iterations. Each test's docstring lists the mistakes its messages name.
"""
import numpy as np

from .feedback import CheckFailed, call, diagnose, expect_array
from .registry import Suite

NOTEBOOK = "07_update_rules_and_regularization.ipynb"
SUITE = Suite(module="optim", notebook=NOTEBOOK, fixtures="optimization")
TOL = 1e-9


# --------------------------------------------------------------------------
# schedules

def _schedule_test(name, fn, case, args_of, variants, nonfinite_hint=""):
    f = SUITE.load(name, case)
    its = [int(i) for i in f["iterations"]]
    values = []
    for it in its:
        try:
            lr, _ = call(fn, name, *args_of(f, it))
        except CheckFailed as exc:
            if nonfinite_hint and "ZeroDivisionError" in str(exc):
                raise CheckFailed(f"{exc} (at iteration {it}).{nonfinite_hint}") from None
            raise
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


@SUITE.graded("step_decay", points=1)
def test_step_decay(step_decay, case="visible"):
    """Named mistakes: the first drop one iteration early; the exponent not rounded down; gamma times
    the count instead of a power; gamma ** iteration; gamma ignored (0.1 used)."""
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
        ("gamma is raised to the iteration itself; it drops once every step_size iterations: "
         "gamma ** (iteration // step_size).", lambda f, i: lr0(f) * g(f) ** i),
        ("the gamma argument was ignored (0.1 used).", lambda f, i: lr0(f) * 0.1 ** (i // s(f))),
    ])


@SUITE.graded("exponential_decay", points=1)
def test_exponential_decay(exponential_decay, case="visible"):
    """Named mistakes: the exponent's sign; the discrete form (1 - k) ** iteration; k ** iteration;
    base_lr missing."""
    lr0, k = (lambda f: float(f["base_lr"])), (lambda f: float(f["k"]))
    _schedule_test("exponential_decay", exponential_decay, case, lambda f, it: (lr0(f), it, k(f)), [
        ("the sign of the exponent is wrong: the rate must shrink, base_lr * exp(-k * iteration).",
         lambda f, i: lr0(f) * np.exp(k(f) * i)),
        ("this is the discrete form base_lr * (1 - k) ** iteration; use base_lr * exp(-k * iteration).",
         lambda f, i: lr0(f) * (1 - k(f)) ** i),
        ("k was used as the per-iteration factor (base_lr * k ** iteration); the rule is "
         "base_lr * exp(-k * iteration).", lambda f, i: lr0(f) * k(f) ** i),
        ("base_lr is missing: lr = base_lr * exp(-k * iteration).", lambda f, i: np.exp(-k(f) * i)),
    ])


@SUITE.graded("inverse_time_decay", points=1)
def test_inverse_time_decay(inverse_time_decay, case="visible"):
    """Named mistakes: the 1 missing; k ignored; k multiplying the result; base_lr missing;
    (1 + k) ** iteration."""
    lr0, k = (lambda f: float(f["base_lr"])), (lambda f: float(f["k"]))
    _schedule_test("inverse_time_decay", inverse_time_decay, case, lambda f, it: (lr0(f), it, k(f)), [
        ("the 1 is missing: at iteration 0 the rate must be base_lr, base_lr / (1 + k * iteration).",
         lambda f, i: lr0(f) / (k(f) * i)),
        ("k is ignored: base_lr / (1 + k * iteration).", lambda f, i: lr0(f) / (1 + i)),
        ("k multiplies the result instead of the iteration: base_lr / (1 + k * iteration).",
         lambda f, i: lr0(f) * k(f) / (1 + i)),
        ("base_lr is missing: lr = base_lr / (1 + k * iteration).", lambda f, i: 1 / (1 + k(f) * i)),
        ("(1 + k) ** iteration decays exponentially; the 1/t schedule divides by 1 + k * iteration.",
         lambda f, i: lr0(f) / (1 + k(f)) ** i),
    ], nonfinite_hint=" Likely mistake: the 1 is missing; at iteration 0 the rate must be base_lr, "
                      "base_lr / (1 + k * iteration).")
