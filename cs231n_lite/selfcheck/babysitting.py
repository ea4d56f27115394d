"""Tests of the checks before a training run (notebook 05_babysitting.ipynb): the initial loss,
the model-level gradient check, overfitting a small subset.

These functions are checked by behaviour: each test builds its own inputs
(the visible case from fixed seeds, the hidden case from the grader's
per-student seed ``hidden_seed``) and its own models and training callbacks
from the reference package, which run in the grader when graded. The checks
during a run (loss-curve diagnosis, update/weight ratio) are tested in
selfcheck/monitoring.py; their tests are re-exported here (the notebook's
``tests`` is this module). Each test's docstring lists the mistakes its
messages name.
"""
import numpy as np

from .feedback import CheckFailed, call, expect_float as _float
from .fixtures import case_rng as _rng, hidden_seed
from .registry import Suite
from .stats import global_state_untouched

NOTEBOOK = "05_babysitting.ipynb"
SUITE = Suite(module="babysit", notebook=NOTEBOOK)


# --------------------------------------------------------------------------
@SUITE.graded("expected_initial_loss", points=1)
def test_expected_initial_loss(expected_initial_loss, case="visible"):
    """Named mistakes: log base 10 or 2; the probability 1/C; the sign."""
    name = "expected_initial_loss"
    classes = [10, 2, 3] if case == "visible" else [int(c) for c in _rng(name, case).integers(4, 1000, 3)]
    for c in classes:
        got = _float(name, call(expected_initial_loss, name, c)[0], "the loss")
        want = np.log(c)
        if abs(got - want) > 1e-9 * want:
            hint = ""
            if abs(got - np.log10(c)) < 1e-9:
                hint = " Likely mistake: log base 10; the softmax loss uses the natural log."
            elif abs(got - np.log2(c)) < 1e-9:
                hint = " Likely mistake: log base 2; the softmax loss uses the natural log."
            elif abs(got - 1.0 / c) < 1e-9:
                hint = " Likely mistake: that is the probability 1/C of each class; the loss is -log(1/C)."
            elif abs(got + want) < 1e-9:
                hint = " Likely mistake: the sign; the loss is -log(1/C) = log(C) > 0."
            raise CheckFailed(f"{name}({c}) returned {got:.6g}, expected log({c}) = {want:.6g}.{hint}")


def _verdict(loss, expected, tol, absolute=False, strict=False, swapped=False):
    """The verdict of check_initial_loss, or of one of its known wrong variants."""
    if not np.isfinite(loss):
        return "not finite"
    dev = (loss - expected) if absolute else (loss - expected) / expected
    if (abs(dev) < tol) if strict else (abs(dev) <= tol):
        return "ok"
    return ("too low" if dev > 0 else "too high") if swapped else ("too high" if dev > 0 else "too low")


@SUITE.graded("check_initial_loss", points=2, uses=("expected_initial_loss",))
def test_check_initial_loss(check_initial_loss, case="visible"):
    """Named mistakes: the relative error unsigned or absolute; tol ignored (0.1 used); |error| == tol
    not 'ok' (< instead of <=); an absolute deviation compared with tol; 'too high' and 'too low'
    swapped; NaN/inf not reported 'not finite'; 'expected' not log(C)."""
    name = "check_initial_loss"
    if case == "visible":
        e = float(np.log(10))
        cases = [(2.35, 10, None), (2.9, 10, None), (1.2, 10, None), (0.72, 2, None),
                 (7.25, 1000, None), (2.75, 10, 0.25), (float("nan"), 10, None), (-float("inf"), 10, 0.3),
                 # exactly on the boundary for every sound formula (2e - e = e; 0.5e - e = -0.5e): 'ok'
                 (2 * e, 10, 1.0), (0.5 * e, 10, 0.5)]
    else:
        rng = _rng(name, case)
        cases = []
        for _ in range(8):
            c = int(rng.integers(2, 500))
            tol = float(rng.choice([0.05, 0.2, 0.3]))
            dev = float(rng.choice([-1, 1]) * rng.uniform(0.0, 2 * tol))
            if abs(abs(dev) - tol) < 0.01:
                dev = 0.0
            cases.append((np.log(c) * (1 + dev), c, tol))
        e = float(np.log(7))
        cases += [(float("inf"), 7, 0.1), (2 * e, 7, 1.0)]
    for loss, c, tol in cases:
        kwargs = {} if tol is None else {"tol": tol}
        tol = 0.1 if tol is None else tol
        got, _ = call(check_initial_loss, name, loss, c, **kwargs)
        if not isinstance(got, dict):
            raise CheckFailed(f"{name} must return a dict; got {type(got).__name__}.")
        missing = {"loss", "expected", "relative_error", "verdict", "ok"} - set(got)
        if missing:
            raise CheckFailed(f"{name}: the returned dict misses {sorted(missing)}.")
        expected = np.log(c)
        rel = (loss - expected) / expected
        verdict = _verdict(loss, expected, tol)
        where = f"for loss={loss:.4g}, num_classes={c}, tol={tol:g}"
        if abs(_float(name, got["expected"], "'expected'") - expected) > 1e-9 * expected:
            raise CheckFailed(f"{name}: 'expected' is {got['expected']!r} {where}; it is log(C) = {expected:.6g}. "
                              "Likely mistake: 'expected' must be expected_initial_loss(num_classes), the "
                              "natural log of C.")
        if np.isfinite(loss):
            r = _float(name, got["relative_error"], "'relative_error'")
            if abs(r - rel) > 1e-9 * max(1.0, abs(rel)):
                hint = (" Likely mistake: it must keep its sign (negative when the loss is below log C)."
                        if abs(r - abs(rel)) < 1e-9 else
                        " Likely mistake: an absolute error; it is (loss - log C) / log C, relative."
                        if abs(r - (loss - expected)) < 1e-9 else "")
                raise CheckFailed(f"{name}: 'relative_error' is {r:.6g} {where}, expected {rel:.6g}.{hint}")
        if got["verdict"] != verdict:
            explained = [   # the strict rule differs only on the boundary: checked first
                ("|relative_error| equal to tol is 'ok': the rule is |relative_error| <= tol, not <.",
                 _verdict(loss, expected, tol, strict=True)),
                ("the tol argument was ignored (0.1 used); compare with the tol you are given.",
                 _verdict(loss, expected, 0.1)),
                ("the absolute deviation loss - log(C) was compared with tol; compare the relative one.",
                 _verdict(loss, expected, tol, absolute=True)),
                ("'too high' and 'too low' are swapped: a loss above log(C) is 'too high'.",
                 _verdict(loss, expected, tol, swapped=True)),
            ]
            hint = next((f" Likely mistake: {text}" for text, v in explained if v == got["verdict"] and v != verdict), "")
            if not hint and verdict == "not finite":
                hint = (" Likely mistake: a NaN or inf loss must be reported as 'not finite', checked first "
                        "(NaN compares False with everything).")
            raise CheckFailed(f"{name}: verdict {got['verdict']!r} {where} (relative error {rel:+.4g}), expected "
                              f"{verdict!r}.{hint}")
        if bool(got["ok"]) != (verdict == "ok"):
            raise CheckFailed(f"{name}: 'ok' is {got['ok']!r} {where}; it is True exactly when the verdict is 'ok'.")


# --------------------------------------------------------------------------
def _gradient_problem(case, seed):
    """A small tanh net with L2 plus a steep term and an unused parameter: (params, loss_fn factory).

    Built from the given layers only (affine, softmax loss), so the test does not
    depend on any other graded function. 'z' does not reach the loss: its
    gradient and its numerical gradient are exactly 0.
    """
    from ..layers import affine_backward, affine_forward, softmax_loss

    rng = np.random.default_rng(seed)
    if case == "visible":
        D, H, C, N = 5, 6, 4, 8
    else:
        D, H, C, N = (int(v) for v in (rng.integers(3, 7), rng.integers(4, 8), rng.integers(3, 6), rng.integers(6, 12)))
    reg = 0.1
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    params = {"W1": 0.5 * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
              "W2": 0.5 * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C),
              "c": rng.uniform(-0.01, 0.01, 3),   # exp(300 c): one-sided differences are visibly off here
              "z": rng.standard_normal(2)}
    base = {k: v.copy() for k, v in params.items()}

    def make_loss_fn(bug=None, calls=None):
        def loss_fn(p):
            if calls is not None:       # which entries this call perturbed, and by how much
                calls.append([(k, int(i), float(d)) for k in base if k in p
                              for d_all in [np.asarray(p[k], dtype=np.float64) - base[k]]
                              for i, d in zip(np.flatnonzero(d_all), d_all.ravel()[np.flatnonzero(d_all)])])
            p = {k: np.array(v, dtype=np.float64) for k, v in p.items()}
            a, cache1 = affine_forward(X, p["W1"], p["b1"])
            h = np.tanh(a)
            scores, cache2 = affine_forward(h, p["W2"], p["b2"])
            loss, dscores = softmax_loss(scores, y)
            loss += 0.5 * reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)) + np.sum(np.exp(300 * p["c"]))
            dh, dW2, db2 = affine_backward(dscores, cache2)
            _, dW1, db1 = affine_backward(dh * (1 - h ** 2), cache1)
            grads = {"W1": dW1 + reg * p["W1"], "b1": db1, "W2": dW2 + reg * p["W2"], "b2": db2,
                     "c": 300 * np.exp(300 * p["c"]), "z": np.zeros_like(p["z"])}
            if bug is not None:
                key, index, factor = bug
                if index is None:
                    grads[key] = grads[key] * factor
                else:
                    grads[key][index] = grads[key][index] * factor
            return float(loss), grads
        return loss_fn
    return params, make_loss_fn


def _report(name, fn, loss_fn, params, **kwargs):
    before = {k: v.copy() for k, v in params.items()}
    got, _ = call(fn, name, loss_fn, params, **kwargs)
    if not isinstance(got, dict) or set(got) != set(params):
        keys = sorted(got) if isinstance(got, dict) else type(got).__name__
        raise CheckFailed(f"{name} must return a dict with one relative error per parameter "
                          f"{sorted(params)}; got {keys}.")
    for k in params:
        if not np.array_equal(params[k], before[k]):
            raise CheckFailed(f"{name}: params['{k}'] changed. Likely mistake: an entry was perturbed in place "
                              "and not restored; evaluate the loss on a new dict holding a perturbed copy, "
                              "loss_fn({**params, name: shifted}).")
    errors = {k: _float(name, v, f"the error of '{k}'") for k, v in got.items()}
    for k, err in errors.items():
        if np.isnan(err):
            raise CheckFailed(f"{name}: reported a NaN error for '{k}'. Likely mistake: 0 / 0 where the numerical "
                              "and the analytic gradient are both 0; the denominator is max(1e-8, |numeric| + "
                              "|analytic|).")
    if list(got) != list(params):
        raise CheckFailed(f"{name}: the keys come in the order {list(got)}; the docstring promises params' "
                          f"order, {list(params)}.")
    return errors


def _entries(calls):
    """{key: set of flat indices perturbed} over the recorded calls."""
    seen = {}
    for moved in calls:
        for key, index, _ in moved:
            seen.setdefault(key, set()).add(index)
    return seen


def _check_perturbations(name, calls, params, num_checks, h):
    """One entry at a time, by +-h; every entry of a small parameter, num_checks distinct ones of a large one."""
    for moved in calls:
        if len(moved) > 1:
            raise CheckFailed(f"{name}: one call to loss_fn perturbed {len(moved)} entries at once "
                              f"({moved[:3]}...). Likely mistake: perturb one entry at a time.")
        for key, index, delta in moved:
            if not np.isclose(abs(delta), h, rtol=1e-6, atol=0):
                hint = (" Likely mistake: the h argument was ignored (1e-5 used); step by the h you are given."
                        if np.isclose(abs(delta), 1e-5, rtol=1e-6) and h != 1e-5 else "")
                raise CheckFailed(f"{name}: '{key}'[{index}] was perturbed by {delta:.6g}; the centered "
                                  f"difference steps by +-h = {h:g}.{hint}")
    entries = _entries(calls)
    for key, p in params.items():
        want = min(p.size, num_checks)
        got = len(entries.get(key, ()))
        if got < want:
            hint = (" Likely mistake: an entry was drawn twice (sampling with replacement); draw num_checks "
                    "distinct entries, rng.choice(size, num_checks, replace=False)." if p.size > num_checks else
                    " Likely mistake: a parameter with at most num_checks entries is checked at every entry.")
            raise CheckFailed(f"{name}: only {got} distinct entries of '{key}' ({p.size} entries) were checked; "
                              f"with num_checks={num_checks} that is {want}.{hint}")
    return entries


@SUITE.graded("check_model_gradients", points=3)
def test_check_model_gradients(check_model_gradients, case="visible"):
    """Named mistakes: one-sided differences; the error divided by one gradient only; 0/0 for a zero
    gradient (no max(1e-8, ...)); the mean instead of the largest error; h ignored; entries drawn
    with replacement, not from rng, or with the global np.random state; small parameters not checked
    at every entry; params changed; the keys out of params' order."""
    name = "check_model_gradients"
    seed = 0 if case == "visible" else hidden_seed(name) % (2 ** 32)
    rng = np.random.default_rng(seed + 1)
    params, make = _gradient_problem(case, seed)
    num_checks = 5
    h = 2e-5 if case == "visible" else 1.5e-5       # never the default 1e-5: an ignored h shows
    # 1. correct gradients: every error small; the steep term needs centered differences
    calls = []
    got = _report(name, check_model_gradients, make(calls=calls), params, num_checks=num_checks, h=h,
                  rng=np.random.default_rng(seed))
    for k, err in sorted(got.items(), key=lambda item: item[0] != "c"):   # the steep term first
        if not err < 1e-5:
            hint = (" Likely mistake: one-sided differences (L(p + h) - L(p)) / h; use centered ones, "
                    "(L(p + h) - L(p - h)) / (2 h)." if k == "c" and err < 1e-1 else "")
            raise CheckFailed(f"{name}: reported a relative error of {err:.3g} for '{k}', whose gradient "
                              f"is correct (expected < 1e-5).{hint}")
    budget = 1 + 2 * sum(min(v.size, num_checks) for v in params.values())
    if len(calls) > budget + len(params):
        raise CheckFailed(f"{name} called loss_fn {len(calls)} times; with num_checks={num_checks} it needs "
                          f"{budget}. Likely mistake: every entry was checked; sample num_checks entries of the "
                          "large parameters (sparse sampling).")
    first = _check_perturbations(name, calls, params, num_checks, h)
    # the sampled entries come from rng (another Generator draws others), never from np.random
    calls = []
    global_state_untouched(name, lambda: _report(name, check_model_gradients, make(calls=calls), params,
                                                 num_checks=num_checks, h=h, rng=np.random.default_rng(seed + 7)))
    second = _check_perturbations(name, calls, params, num_checks, h)
    large = [k for k, p in params.items() if p.size > num_checks]
    if all(first.get(k) == second.get(k) for k in large):
        raise CheckFailed(f"{name}: two different Generators checked the same entries of {large}. Likely mistake: "
                          "the entries do not come from the rng argument (the first num_checks ones, or a "
                          "Generator made inside); draw them with rng.choice(size, num_checks, replace=False).")
    # 2. a whole parameter's gradient scaled: the error is (f - 1) / (f + 1) at every entry
    weights = [k for k in params if k.startswith("W")]
    key = weights[int(rng.integers(len(weights)))]
    factor = 1.5 if case == "visible" else float(rng.uniform(1.3, 2.5))
    got = _report(name, check_model_gradients, make(bug=(key, None, factor)), params, num_checks=num_checks,
                  h=h, rng=np.random.default_rng(seed))
    want = (factor - 1) / (factor + 1)
    if abs(got[key] - want) > 1e-4:
        hint = ""
        if abs(got[key] - (factor - 1) / factor) < 1e-3 or abs(got[key] - (factor - 1)) < 1e-3:
            hint = (" Likely mistake: divided by one gradient only; the relative error is "
                    "|numeric - analytic| / max(1e-8, |numeric| + |analytic|).")
        raise CheckFailed(f"{name}: '{key}' has an analytic gradient {factor:.3g} times the true one, so its "
                          f"relative error is {want:.4g} at every entry; you reported {got[key]:.4g}.{hint}")
    for k, err in got.items():
        if k != key and not err < 1e-5:
            raise CheckFailed(f"{name}: only '{key}' has a wrong gradient, but you reported {err:.3g} for '{k}'; "
                              "perturb one entry at a time and compare with that parameter's gradient.")
    # 3. a wrong entry of a small parameter must be found wherever it is: small tensors are checked entirely
    small = [k for k in params if params[k].size <= num_checks and k != "z"]
    for key, index in [(k, i) for k in small for i in range(params[k].size)]:
        got = _report(name, check_model_gradients, make(bug=(key, (index,), 3.0)), params,
                      num_checks=num_checks, h=h)
        if not got[key] > 0.4:
            size = params[key].size
            hint = (" Likely mistake: the mean error over the entries was reported; report the largest one "
                    "(max over the checked entries)." if abs(got[key] - 0.5 / size) < 0.05 / size else
                    " Likely mistake: a parameter with at most num_checks entries is checked at every entry.")
            raise CheckFailed(f"{name}: '{key}' has {size} <= num_checks entries and a wrong gradient at entry "
                              f"{index} (relative error 0.5 there), but you reported {got[key]:.3g}.{hint}")


# --------------------------------------------------------------------------
@SUITE.graded("overfit_small_subset", points=2)
def test_overfit_small_subset(overfit_small_subset, case="visible"):
    """Named mistakes: trained on the whole set, on other examples than the first num_examples, or
    with reg != 0; reached_100 from the best accuracy instead of the final one; final_loss the
    smallest loss."""
    name = "overfit_small_subset"
    rng = _rng(name, case)
    N, D = (60, 7) if case == "visible" else (int(rng.integers(60, 120)), int(rng.integers(3, 12)))
    X, y = rng.standard_normal((N, D)), rng.integers(0, 10, N)
    sizes = [None, 25] if case == "visible" else [int(rng.integers(20, 51)), int(rng.integers(20, 51))]
    for size, reach in zip(sizes, (True, False)):
        n = 20 if size is None else size
        T = int(rng.integers(30, 80))
        losses = list(2.3 * np.exp(-np.linspace(0, 6, T)) + rng.uniform(0, 0.01, T))
        losses[-1] = losses[-2] + 0.05           # the last loss is not the smallest one
        accs = list(np.round(np.linspace(0.1, 1.0, 8), 3))
        if not reach:   # 100% once, but not at the end
            accs[-2:] = [1.0, 0.95]
        seen = []

        def train_fn(X_small, y_small, reg=None, **extra):
            seen.append((np.array(X_small), np.array(y_small), reg, extra))
            return {"loss_history": list(losses), "train_acc_history": list(accs)}
        kwargs = {} if size is None else {"num_examples": size}
        got, _ = call(overfit_small_subset, name, train_fn, X, y, **kwargs)
        if len(seen) != 1:
            raise CheckFailed(f"{name} must call train_fn exactly once; it called it {len(seen)} times.")
        Xs, ys, reg, extra = seen[0]
        if Xs.shape != (n, D) or not np.array_equal(Xs, X[:n]) or not np.array_equal(ys, y[:n]):
            hint = ""
            if Xs.shape[0] == N:
                hint = " Likely mistake: you trained on the whole set."
            elif Xs.shape == (n, D):
                hint = (" Likely mistake: other examples than the first ones (a random subset?); the "
                        "docstring trains on X[:num_examples], y[:num_examples].")
            raise CheckFailed(f"{name}: train_fn received X of shape {Xs.shape}; expected the first "
                              f"{n} examples, X[:{n}] of shape {(n, D)}.{hint}")
        if reg is None or extra or float(reg) != 0.0:
            raise CheckFailed(f"{name}: train_fn must be called as train_fn(X_small, y_small, reg) with "
                              f"reg = 0.0 (regularization off); it got reg={reg!r}"
                              f"{' and ' + str(sorted(extra)) if extra else ''}. Likely mistake: "
                              "regularization left on (or reg not passed); overfitting needs reg = 0.0.")
        if not isinstance(got, dict):
            raise CheckFailed(f"{name} must return a dict; got {type(got).__name__}.")
        want = {"num_examples": n, "final_loss": losses[-1], "final_train_acc": accs[-1], "reached_100": reach}
        for key, value in want.items():
            if key not in got:
                raise CheckFailed(f"{name}: the returned dict misses '{key}'.")
            if key == "reached_100":
                if got[key] is not reach and got[key] != reach:
                    raise CheckFailed(f"{name}: 'reached_100' is {got[key]!r} for a final training accuracy of "
                                      f"{accs[-1]} (the best was {max(accs)}). Likely mistake: it is True exactly "
                                      "when the final accuracy is 1.0, not when any epoch reached it.")
            elif abs(_float(name, got[key], f"'{key}'") - value) > 1e-12:
                hint = ""
                if key == "final_loss" and abs(float(got[key]) - min(losses)) < 1e-12:
                    hint = " Likely mistake: the smallest loss; final_loss is the last one."
                elif key == "final_train_acc" and abs(float(got[key]) - max(accs)) < 1e-12:
                    hint = " Likely mistake: the best accuracy; final_train_acc is the last one."
                raise CheckFailed(f"{name}: '{key}' is {got[key]!r}, expected {value!r}.{hint}")
        for key, value in (("loss_history", losses), ("train_acc_history", accs)):
            if key not in got or len(got[key]) != len(value) or not np.allclose(got[key], value):
                raise CheckFailed(f"{name}: '{key}' must be the training history returned by train_fn.")


from .monitoring import (HINTS, check_lr_sweep, synthetic_curves, test_diagnose_loss_curve,  # noqa: E402,F401
                         test_update_weight_ratio)
