"""What every case builder shares: the numerical gradients and the fixture dict.

A builder ``build(case, seed)`` returns ``{'<function>/<field>': array}``;
``case`` ('visible' or 'hidden') chooses the regime, ``seed`` the Generator
every input is drawn from. Hidden regimes must hold for any seed: the grader
draws one per student (grading/judge/hidden.py).
"""
import contextvars

import numpy as np

from cs231n_lite.gradient_check import eval_numerical_gradient_array

CASES = ("visible", "hidden")
H = 1e-5  # numerical-gradient step
NUMERIC_TOL = 1e-6  # the tests' bound between a gradient and its numerical gradient


def check_case(case):
    """True for the visible regime, False for the hidden one; ValueError otherwise."""
    if case not in CASES:
        raise ValueError(f"case must be 'visible' or 'hidden', got {case!r}")
    return case == "visible"


def with_zeros(x, rng, count):
    """x with `count` random entries set to exactly 0 (the ReLU kink)."""
    x = x.copy()
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, count, replace=False)] = 0.0
    return x


# build(..., only=name) keeps one function's fixtures: the others' numerical
# gradients (most of a topic's cost) are then never computed
ONLY = contextvars.ContextVar("cs231n_lite_fixture_only", default=None)


class _Deferred:
    """A numerical gradient, computed when its function's fields are stored (if they are)."""

    def __init__(self, compute):
        self.compute = compute


def numeric(forward, x, dout, key, out, mask=None):
    """Store the numerical gradient of sum(forward(x) * dout) and its mask.

    ``out[key]`` must already hold the reference gradient; ``build`` checks
    that the two agree (``check_numeric``). The gradient is computed when
    ``out`` is stored with add(), so its inputs must not change before then.
    """
    x = x.copy()
    out[key + "_num"] = _Deferred(lambda: eval_numerical_gradient_array(forward, x, dout, h=H))
    out[key + "_mask"] = np.ones(x.shape, bool) if mask is None else mask


def numeric_errors(fx):
    """{'<function>/<key>': error} of every reference gradient against its numerical one.

    The error is the tests' measure: largest relative error over the mask,
    with a floor at 1e-3 of the numerical gradient's largest |value|.
    """
    errors = {}
    for name in fx:
        if not name.endswith("_num"):
            continue
        key = name[:-len("_num")]
        num, ref, mask = fx[name], fx[key], fx[key + "_mask"]
        scale = np.maximum(1e-3 * np.abs(num).max(), np.abs(num) + np.abs(ref))
        errors[key] = float(np.max((np.abs(num - ref) / scale)[mask], initial=0.0))
    return errors


def check_numeric(fx, bound):
    """Raise AssertionError if a reference gradient is farther than ``bound`` from its numerical one."""
    bad = {k: e for k, e in numeric_errors(fx).items() if e > bound}
    if bad:
        raise AssertionError("reference gradient disagrees with its numerical gradient: " +
                             ", ".join(f"{k} {e:.1e}" for k, e in bad.items()) + f" (allowed {bound:.0e})")


def fixture_dict():
    """An empty fixture dict, and add(name, fields) storing each field as '<name>/<field>'."""
    fx = {}
    only = ONLY.get()

    def add(name, fields):
        if only is not None and name != only:
            return
        for k, v in fields.items():
            if isinstance(v, _Deferred):
                v = fields[k] = v.compute()     # once, if the same fields are stored twice
            fx[f"{name}/{k}"] = np.asarray(v)
    return fx, add
