"""Tests of the checks during a training run (notebook 05_babysitting.ipynb): the loss-curve
diagnosis and the update/weight ratio.

Both are checked by behaviour on inputs the test builds itself (the visible
case from fixed seeds, the hidden case from the grader's per-student seed).
"""
import numpy as np

from .feedback import CheckFailed, call, expect_float as _float
from .fixtures import case_rng as _rng
from .registry import Suite

NOTEBOOK = "05_babysitting.ipynb"
SUITE = Suite(module="babysit", notebook=NOTEBOOK)


# --------------------------------------------------------------------------
def synthetic_curves(rng):
    """(description, expected diagnosis, losses) for each shape, drawn from rng."""
    T = int(rng.integers(100, 600))
    t = np.linspace(0, 1, T)
    noise = lambda s: s * rng.standard_normal(T)
    start, floor = float(rng.uniform(1.5, 3.0)), float(rng.uniform(0.2, 0.6))
    curves = []
    tau = float(rng.uniform(0.15, 0.3))
    curves.append(("exponential decay over the whole run", "healthy",
                   floor + (start - floor) * np.exp(-t / tau) + noise(0.02)))
    curves.append(("linear decrease of 14% of the start", "healthy", start * (1 - 0.14 * t) + noise(0.002)))
    curves.append(("linear decrease of 6% of the start", "too_flat", start * (1 - 0.06 * t) + noise(0.002)))
    curves.append(("nearly constant", "too_flat", start + noise(0.01)))
    curves.append(("linear decrease of 6% from a high start", "too_flat", 4 * start * (1 - 0.06 * t) + noise(0.002)))
    curves.append(("linear decrease of 15% from a low start", "healthy", 0.5 * (1 - 0.15 * t) + noise(0.0005)))
    level = float(rng.uniform(0.35, 0.6)) * start
    curves.append(("drop within the first 3%, then flat", "lr_too_high",
                   level + (start - level) * np.exp(-t / 0.01) + noise(0.03)))
    t0 = float(rng.uniform(0.35, 0.5))
    curves.append((f"flat until {t0:.0%} of the run, then a steep drop", "bad_init",
                   np.where(t < t0, start, floor + (start - floor) * np.exp(-(t - t0) / 0.08)) + noise(0.01)))
    nan_at = int(rng.integers(T // 3, T))
    with_nan = floor + (start - floor) * np.exp(-t / tau)
    with_nan[nan_at:] = np.nan
    curves.append((f"healthy until iteration {nan_at}, then NaN", "exploding", with_nan))
    curves.append(("growing exponentially past 3x the start", "exploding", start * np.exp(2 * t)))
    curves.append(("slowly rising by 30% (never 3x)", "exploding", start * (1 + 0.3 * t) + noise(0.01)))
    curves.append(("three losses ending in inf", "exploding", np.array([start, 2 * start, np.inf])))
    curves.append(("two losses, the second 5x the first", "exploding", np.array([start, 5 * start])))
    return curves


HINTS = {
    "exploding": "a NaN/inf loss, a loss above 3x the start, or an end more than 10% above the start means exploding",
    "too_flat": "a decrease below 10% of the start (or a rise of at most 10%) means too flat",
    "lr_too_high": "90% or more of the decrease reached in the 5-15% window means a too high learning rate",
    "bad_init": "less than 15% of the decrease reached in the 20-30% window means a bad initialization",
    "healthy": ("a curve that meets none of the rules is healthy (the flat rule is relative: a decrease of "
                "at least 10% of the start is not flat, whatever the start)"),
}


@SUITE.graded("diagnose_loss_curve", points=3)
def test_diagnose_loss_curve(diagnose_loss_curve, case="visible"):
    name = "diagnose_loss_curve"
    rng = _rng(name, case)
    for _ in range(1 if case == "visible" else 3):
        for description, want, losses in synthetic_curves(rng):
            with np.errstate(all="ignore"):
                got, _ = call(diagnose_loss_curve, name, np.asarray(losses, dtype=np.float64))
            if got != want:
                shown = got if isinstance(got, str) else f"a {type(got).__name__}"
                raise CheckFailed(f"{name}: a curve of {len(losses)} losses, {description} (first "
                                  f"{losses[0]:.3g}, last {losses[-1]:.3g}), was diagnosed {shown!r}; expected "
                                  f"{want!r}: {HINTS[want]}. The rules apply in the documented order.")


# --------------------------------------------------------------------------
@SUITE.graded("update_weight_ratio", points=1)
def test_update_weight_ratio(update_weight_ratio, case="visible"):
    name = "update_weight_ratio"
    rng = _rng(name, case)
    shape = (20, 10) if case == "visible" else tuple(int(s) for s in rng.integers(2, 40, 2))
    w = rng.standard_normal(shape) * 0.1 + 0.05
    cases = []
    for lr in (1e-1, 1e-3, 1e-6):
        cases.append((w, w - lr * rng.standard_normal(shape)))
    b = rng.standard_normal(shape[1])
    cases.append((b, b + 0.2 * rng.standard_normal(shape[1])))
    for before, after in cases:
        got = _float(name, call(update_weight_ratio, name, before, after)[0], "the ratio")
        want = np.linalg.norm(after - before) / np.linalg.norm(before)
        if abs(got - want) > 1e-9 * want:
            mistakes = [
                ("divided by the norm of the weights after the update; use the weights before it.",
                 np.linalg.norm(after - before) / np.linalg.norm(after)),
                ("that is the change of the norm, | ||w_after|| - ||w_before|| |; the update is w_after - w_before.",
                 abs(np.linalg.norm(after) - np.linalg.norm(before)) / np.linalg.norm(before)),
                ("squared norms; the ratio is of the norms themselves.",
                 np.sum((after - before) ** 2) / np.sum(before ** 2)),
                ("the mean of elementwise ratios; the ratio is of the norms of the whole arrays.",
                 np.mean(np.abs(after - before) / np.abs(before))),
            ]
            hint = next((f" Likely mistake: {text}" for text, value in mistakes if abs(got - value) <= 1e-9 * abs(value)), "")
            raise CheckFailed(f"{name}: returned {got:.6g} for weights of shape {before.shape}, expected "
                              f"||w_after - w_before|| / ||w_before|| = {want:.6g}.{hint}")
    zero = np.zeros(shape)
    for before in (w, zero):
        got = _float(name, call(update_weight_ratio, name, before, before.copy())[0], "the ratio")
        if got != 0.0:
            raise CheckFailed(f"{name}: returned {got!r} when the weights (all {'zero' if before is zero else 'non-zero'}) "
                              "did not change; expected 0.0 (as documented).")
    got = _float(name, call(update_weight_ratio, name, zero, zero + 1e-3)[0], "the ratio")
    if not (np.isinf(got) and got > 0):
        raise CheckFailed(f"{name}: returned {got!r} for all-zero weights and a non-zero update; expected inf "
                          "(as documented), not a division error.")
