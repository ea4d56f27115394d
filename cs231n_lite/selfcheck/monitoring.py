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
START = "start is the mean of the first max(1, T // 50) losses, not the first loss alone."
END = "end is the mean of the last 10% of the losses (losses[int(0.9 * T):]), not the last loss."
ORDER = "the rules apply in the documented order: {} is checked before {}."
NAN = "a NaN or inf loss means exploding, whatever else: test np.isfinite first (NaN compares False)."
RELATIVE = ("the flat rule is relative: drop < 10% of the start (FLAT_FRACTION * start), not an absolute "
            "threshold or another fraction.")
OTHERS = ("healthy", "too_flat", "lr_too_high", "bad_init", "exploding")


def _hint_all(text, but):
    return {label: text for label in OTHERS if label != but}


def synthetic_curves(rng):
    """(description, expected diagnosis, losses, hints) for each shape, drawn from rng.

    hints: {wrong diagnosis: the likely mistake} for the diagnoses a known
    mistake gives on that curve (a curve built to tell two readings apart).
    """
    T = int(rng.integers(100, 600))
    t = np.linspace(0, 1, T)
    noise = lambda s, n=T: s * rng.standard_normal(n)
    start, floor = float(rng.uniform(1.5, 3.0)), float(rng.uniform(0.2, 0.6))
    curves = []
    tau = float(rng.uniform(0.15, 0.3))
    decay = floor + (start - floor) * np.exp(-t / tau)
    curves.append(("exponential decay over the whole run", "healthy", decay + noise(0.02), {}))
    curves.append(("linear decrease of 14% of the start", "healthy", start * (1 - 0.14 * t) + noise(0.002),
                   {"too_flat": RELATIVE}))
    curves.append(("linear decrease of 6% of the start", "too_flat", start * (1 - 0.06 * t) + noise(0.002),
                   _hint_all(RELATIVE, "too_flat")))
    curves.append(("nearly constant", "too_flat", start + noise(0.01), {}))
    curves.append(("linear decrease of 6% from a high start", "too_flat", 4 * start * (1 - 0.06 * t) + noise(0.002),
                   _hint_all(RELATIVE, "too_flat")))
    curves.append(("linear decrease of 15% from a low start", "healthy", 0.5 * (1 - 0.15 * t) + noise(0.0005),
                   {"too_flat": RELATIVE}))
    level = float(rng.uniform(0.35, 0.6)) * start
    curves.append(("drop within the first 3%, then flat", "lr_too_high",
                   level + (start - level) * np.exp(-t / 0.01) + noise(0.03), {}))
    t0 = float(rng.uniform(0.35, 0.5))
    curves.append((f"flat until {t0:.0%} of the run, then a steep drop", "bad_init",
                   np.where(t < t0, start, floor + (start - floor) * np.exp(-(t - t0) / 0.08)) + noise(0.01), {}))
    spiked = decay + noise(0.01)
    spiked[-1] = 1.25 * start
    curves.append(("exponential decay whose very last loss jumps to 1.25x the start", "healthy", spiked,
                   {"exploding": END}))
    dipped = start + noise(0.01)
    dipped[-1] = 0.6 * start
    curves.append(("nearly constant, with a last loss of 0.6x the start", "too_flat", dipped, _hint_all(END, "too_flat")))
    back = np.where((t >= 0.17) & (t < 0.35), start, np.where(t < 0.03, start, floor)) + noise(0.01)
    curves.append(("a drop at 3%, back at the start for 17-35% of the run, then down again", "bad_init", back,
                   {"lr_too_high": ORDER.format("BAD_INIT", "LR_TOO_HIGH")}))
    late = np.where(t < 0.6, start, start * (1 - 0.125 * (t - 0.6))) + noise(0.002)
    curves.append(("flat until 60%, then 5% lower", "too_flat", late, {"bad_init": ORDER.format("TOO_FLAT", "BAD_INIT")}))
    nan_at = int(rng.integers(T // 3, T))
    with_nan = decay.copy()
    with_nan[nan_at:] = np.nan
    curves.append((f"healthy until iteration {nan_at}, then NaN", "exploding", with_nan, _hint_all(NAN, "exploding")))
    curves.append(("growing exponentially past 3x the start", "exploding", start * np.exp(2 * t),
                   _hint_all("a loss above 3x the start means exploding (EXPLODE_FACTOR = 3).", "exploding")))
    curves.append(("slowly rising by 30% (never 3x)", "exploding", start * (1 + 0.3 * t) + noise(0.01),
                   {"too_flat": ORDER.format("EXPLODING (an end more than 10% above the start)", "TOO_FLAT"),
                    **{k: "an end more than 10% above the start means exploding (RISE_FRACTION = 0.10)."
                       for k in ("healthy", "lr_too_high", "bad_init")}}))
    T3 = 500                                              # T // 50 = 10 losses make the start
    rising = start * (1 + 0.3 * np.linspace(0, 1, T3)) + noise(0.002, T3)
    rising[0] = 1.7 * start
    curves.append(("rising by 30% after a first loss of 1.7x the next ones", "exploding", rising,
                   _hint_all(START, "exploding")))
    curves.append(("three losses ending in inf", "exploding", np.array([start, 2 * start, np.inf]), {}))
    curves.append(("two losses, the second 5x the first", "exploding", np.array([start, 5 * start]), {}))
    return curves


HINTS = {
    "exploding": "a NaN/inf loss, a loss above 3x the start, or an end more than 10% above the start means exploding",
    "too_flat": "a decrease below 10% of the start (or a rise of at most 10%) means too flat",
    "lr_too_high": "90% or more of the decrease reached in the 5-15% window means a too high learning rate",
    "bad_init": "less than 15% of the decrease reached in the 20-30% window means a bad initialization",
    "healthy": ("a curve that meets none of the rules is healthy (the flat rule is relative: a decrease of "
                "at least 10% of the start is not flat, whatever the start)"),
}
SHORT = ("the NaN/inf and 3x rules apply to a curve of any length: check them before asking for 20 losses.")


@SUITE.graded("diagnose_loss_curve", points=3)
def test_diagnose_loss_curve(diagnose_loss_curve, case="visible"):
    """Named mistakes: end as the last loss; start as the first loss; the rules in another order
    (BAD_INIT after LR_TOO_HIGH, TOO_FLAT after BAD_INIT, the rise rule after TOO_FLAT); an absolute
    or other flat threshold; NaN not detected; the 3x rule skipped on short curves; no ValueError
    for a short curve that does not explode or an empty one."""
    name = "diagnose_loss_curve"
    rng = _rng(name, case)
    for _ in range(1 if case == "visible" else 3):
        for description, want, losses, hints in synthetic_curves(rng):
            try:
                with np.errstate(all="ignore"):
                    got, _ = call(diagnose_loss_curve, name, np.asarray(losses, dtype=np.float64))
            except CheckFailed as exc:
                if len(losses) < 20 and "ValueError" in str(exc):
                    raise CheckFailed(f"{name}: a curve of {len(losses)} losses, {description}, raised ValueError; "
                                      f"it is {want!r}. Likely mistake: {SHORT}") from None
                raise
            if got != want:
                shown = got if isinstance(got, str) else f"a {type(got).__name__}"
                mistake = hints.get(got) if isinstance(got, str) else None
                why = f" Likely mistake: {mistake}" if mistake else f": {HINTS[want]}. The rules apply in the documented order."
                raise CheckFailed(f"{name}: a curve of {len(losses)} losses, {description} (first "
                                  f"{losses[0]:.3g}, last {losses[-1]:.3g}), was diagnosed {shown!r}; expected "
                                  f"{want!r}{'.' if mistake else ''}{why}")
    for losses, what in ((np.full(10, 2.3) + 0.01 * rng.standard_normal(10), "10 finite losses that do not explode"),
                         (np.array([]), "an empty curve")):
        try:
            got = diagnose_loss_curve(np.asarray(losses, dtype=np.float64))
        except Exception as exc:
            if type(exc).__name__ == "ValueError":   # by name: from the grader's worker it comes back rebuilt
                continue
            raise CheckFailed(f"{name}: {what} raised {type(exc).__name__}: {exc}; the docstring raises "
                              "ValueError there.") from None
        raise CheckFailed(f"{name}: {what} was diagnosed {got!r}. Likely mistake: a curve that is too short to "
                          "read raises ValueError (fewer than 20 losses, or none), unless it explodes.")


# --------------------------------------------------------------------------
@SUITE.graded("update_weight_ratio", points=1)
def test_update_weight_ratio(update_weight_ratio, case="visible"):
    """Named mistakes: divided by the norm after the update; the change of the norm; squared norms;
    the mean of elementwise ratios; the spectral norm (ord=2) of a matrix; no difference taken;
    0 / 0 (nan) when nothing changed; a division error for all-zero weights."""
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
                ("||w_after|| / ||w_before||: the numerator is the norm of the update, w_after - w_before.",
                 np.linalg.norm(after) / np.linalg.norm(before)),
            ]
            if before.ndim == 2:
                mistakes.append(("the spectral norm (np.linalg.norm(w, 2)); the ratio uses the Frobenius norm "
                                 "over all entries (np.linalg.norm(w)).",
                                 np.linalg.norm(after - before, 2) / np.linalg.norm(before, 2)))
            hint = next((f" Likely mistake: {text}" for text, value in mistakes if abs(got - value) <= 1e-9 * abs(value)), "")
            raise CheckFailed(f"{name}: returned {got:.6g} for weights of shape {before.shape}, expected "
                              f"||w_after - w_before|| / ||w_before|| = {want:.6g}.{hint}")
    zero = np.zeros(shape)
    for before in (w, zero):
        with np.errstate(all="ignore"):
            got = _float(name, call(update_weight_ratio, name, before, before.copy())[0], "the ratio")
        if got != 0.0:
            hint = (" Likely mistake: 0 / 0 when nothing changed; return 0.0 when the update is 0, before "
                    "dividing." if np.isnan(got) else "")
            if np.isinf(got) and before is zero:
                hint = (" Likely mistake: check update == 0 first (0.0 when nothing changed, whatever the "
                        "weights), then weights == 0 (inf).")
            raise CheckFailed(f"{name}: returned {got!r} when the weights (all {'zero' if before is zero else 'non-zero'}) "
                              f"did not change; expected 0.0 (as documented).{hint}")
    try:
        with np.errstate(all="ignore"):
            got = _float(name, call(update_weight_ratio, name, zero, zero + 1e-3)[0], "the ratio")
    except CheckFailed as exc:
        raise CheckFailed(f"{exc} Likely mistake: a division by ||w_before|| = 0; return inf when the weights "
                          "are all zero and the update is not (as documented).") from None
    if not (np.isinf(got) and got > 0):
        raise CheckFailed(f"{name}: returned {got!r} for all-zero weights and a non-zero update; expected inf "
                          "(as documented).")


# --------------------------------------------------------------------------
def check_lr_sweep(lr_results):
    """Visible check of the student-written learning-rate sweep (not graded); prints PASS or FAIL.

    lr_results: dict learning rate -> list of training losses (the Solver's
    loss_history), for at least 1e-6, a useful rate in [1e-3, 1e-1] and 1e6.
    Returns True when it passes.
    """
    problems = []
    if not isinstance(lr_results, dict) or not lr_results:
        print("FAIL lr_results must be a dict {learning rate: loss history}.")
        return False
    rates = sorted(float(r) for r in lr_results)
    hist = {float(r): np.asarray(v, dtype=np.float64) for r, v in lr_results.items()}
    if 1e-6 not in hist or 1e6 not in hist:
        problems.append("include the extremes 1e-6 and 1e6")
    else:
        low = hist[1e-6]
        if low.size < 50:
            problems.append("train at least 50 iterations at 1e-6")
        elif abs(low[0] - low[-10:].mean()) > 0.05 * low[0]:
            problems.append("at 1e-6 the loss should barely move; did you set optim_config={'learning_rate': lr}?")
        high = hist[1e6]
        if high.size >= 50 and np.all(np.isfinite(high)) and high.max() < 3 * high[0]:
            problems.append("at 1e6 the loss should explode (NaN/inf or above 3x its start) and the Solver stop")
    useful = [r for r in rates if 1e-3 <= r <= 1e-1]
    if not useful:
        problems.append("include at least one rate between 1e-3 and 1e-1")
    elif not any(np.all(np.isfinite(hist[r])) and hist[r][-10:].mean() < 0.7 * hist[r][0] for r in useful):
        problems.append("no rate in [1e-3, 1e-1] lowered the loss by 30%; train longer (200 iterations)")
    if problems:
        print("FAIL " + "; ".join(problems) + ".")
        return False
    print(f"PASS the sweep covers {', '.join(f'{r:g}' for r in rates)}: 1e-6 barely moves, 1e6 explodes, "
          "and a rate in [1e-3, 1e-1] trains.")
    return True
