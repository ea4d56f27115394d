"""Tests of coarse-to-fine search, early stopping and decay on plateau (notebook 06_hyperparameter_optimization.ipynb).

The samplers and the searches are tested in selfcheck/search.py (same
notebook); their tests are re-exported here, so that the notebook's
``tests`` (this module) reaches every test of the notebook. The functions
tested here are deterministic and compared with reference outputs
(fixtures, topic 'hyperopt').
"""
import math

import numpy as np

from .feedback import CheckFailed, call
from .registry import Suite
from .search import (NOTEBOOK, SAMPLE_CONFIG_DRAWS, test_grid_search, test_log_uniform,  # noqa: F401
                     test_random_search, test_sample_config, test_trial_status)

SUITE = Suite(module="hyperopt", notebook=NOTEBOOK, fixtures="hyperopt")


# --------------------------------------------------------------------------
KINDS = {0: "log_uniform", 1: "uniform", 2: "int"}
METRICS = ("val_acc", "score")
REFINE_MISTAKES = {   # variant (fixture fields v_<variant>_range_<i> / _side_<i>) -> the likely mistake
    "with_aborted": "you ranked the aborted trials too; keep only status 'ok'.",
    "all_trials": "every trial was used; take the best `top` trials only.",
    "rounded": ("an 'int' range is rounded outward: floor of the low end, ceil of the high end (not to the "
                "nearest integer)."),
    "linear": ("the range was refined in linear units; a 'log_uniform' entry is refined in log10 space: pad "
               "by pad * (log10(high) - log10(low)) around the best trials' log10 values, then take 10**."),
    "log_units": "the new range is still in log10 units; map it back with 10**.",
    "default_pad": "the pad argument was ignored (0.1 used).",
    "default_edge": "the edge argument was ignored (0.1 used).",
    "unclipped": "the new range was not clipped to the sampled range [low, high].",
}


def matching_variant(mistakes, n_cases, got, variant_output, reference_output, same):
    """' Likely mistake: ...' of the first variant whose outputs equal the student's in every case, or ''.

    A variant absent from a case (it does not apply there) must match the
    reference there; cases the student's function did not reach (got None)
    are skipped, and the variant must differ from the reference somewhere.
    """
    for variant, text in mistakes.items():
        outputs = [variant_output(variant, i) for i in range(n_cases)]
        if all(o is None for o in outputs):
            continue
        differs, fits = False, True
        for i in range(n_cases):
            if got[i] is None:
                continue
            want = reference_output(i) if outputs[i] is None else outputs[i]
            fits = fits and same(got[i], want)
            differs = differs or not same(want, reference_output(i))
        if fits and differs:
            return f" Likely mistake: {text}"
    return ""


def _refine_outputs(f, what):
    """(variant_output, reference_output) of the range ('range') or the warning's side ('side')."""
    def variant_output(variant, i):
        key = f"v_{variant}_{what}_{i}"
        return np.asarray(f[key], dtype=np.float64) if key in f else None

    def reference_output(i):
        return np.asarray(f[f"new_range_{i}"] if what == "range" else f[f"side_{i}"], dtype=np.float64)
    return variant_output, reference_output


def _same(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=0)


@SUITE.graded("refine_range", points=3)
def test_refine_range(refine_range, case="visible"):
    """Named mistakes: aborted trials ranked; top ignored; linear units for 'log_uniform' (or the
    range left in log10 units); 'int' rounded to the nearest instead of outward; pad, edge or metric
    ignored; not clipped to the sampled range; no warning (or a wrong side) at an edge."""
    name = "refine_range"
    f = SUITE.load(name, case)
    n = int(f["n_cases"])
    results, whats = [], []
    for i in range(n):
        kind = KINDS[int(f[f"kind_{i}"])]
        low, high = (int(v) for v in f[f"range_{i}"]) if kind == "int" else (float(v) for v in f[f"range_{i}"])
        cast = int if kind == "int" else float
        metric = METRICS[int(f[f"metric_key_{i}"])]
        trials = [{"config": {"x": cast(v)}, "result": {metric: float(m)},
                   "status": "ok" if o else "aborted: NaN"}
                  for v, m, o in zip(f[f"values_{i}"], f[f"metric_{i}"], f[f"ok_{i}"])]
        top, pad, edge = int(f[f"top_{i}"]), float(f[f"pad_{i}"]), float(f[f"edge_{i}"])
        kwargs = {"top": top, "pad": pad, "edge": edge, **({"metric": metric} if metric != "val_acc" else {})}
        whats.append(f"case {i} ({kind} on [{low:.3g}, {high:.3g}], "
                     + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")")
        try:
            result, _ = call(refine_range, name, trials, "x", {"x": (kind, low, high)}, **kwargs)
        except CheckFailed as exc:
            if "KeyError" in str(exc) and "val_acc" in str(exc):
                raise CheckFailed(f"{exc} Likely mistake: the metric argument names the result key to rank by "
                                  f"(here {metric!r}); 'val_acc' is only its default.") from None
            raise
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(f"{name} must return a tuple (new_spec, warning).")
        new_spec, warning = result
        if not isinstance(new_spec, (tuple, list)) or len(new_spec) != 3 or new_spec[0] != kind:
            raise CheckFailed(f"{name}: new_spec must be ({kind!r}, new_low, new_high); got {new_spec!r}.")
        if kind == "int" and not all(isinstance(v, (int, np.integer)) for v in new_spec[1:]):
            raise CheckFailed(f"{name}: {whats[i]}: an 'int' range has integer ends; got {new_spec[1:]!r}.")
        side = -1 if warning is not None and not isinstance(warning, str) else (
            0 if warning is None else 1 if "lower edge" in warning else 2 if "upper edge" in warning else -1)
        results.append((np.array(new_spec[1:], dtype=np.float64), side, warning))
    ranges, sides = [r for r, _, _ in results], [float(s) for _, s, _ in results]
    for i, (got, got_side, warning) in enumerate(results):
        if not _same(got, f[f"new_range_{i}"]):
            hint = matching_variant(REFINE_MISTAKES, n, ranges, *_refine_outputs(f, "range"), _same)
            raise CheckFailed(f"{name}: {whats[i]}: new range {got.tolist()}, expected {f[f'new_range_{i}'].tolist()}."
                              f"{hint}")
        side = int(f[f"side_{i}"])
        if got_side != side or (side and "x" not in warning):
            hint = matching_variant({"default_edge": REFINE_MISTAKES["default_edge"]}, n, sides,
                                    *_refine_outputs(f, "side"), _same)
            if side == 0:
                raise CheckFailed(f"{name}: {whats[i]}: warned {warning!r}, but the best value is not within "
                                  f"edge * width of either end.{hint}")
            want = ["", "lower edge", "upper edge"][side]
            if not hint and warning is None:
                hint = (" Likely mistake: no warning at an edge; warn when the single best trial lies within "
                        "edge * width of either end.")
            raise CheckFailed(f"{name}: {whats[i]}: the best value sits at the {want} of the range; warning must "
                              f"be a string naming the hyperparameter and saying '{want}'; got {warning!r}.{hint}")


# --------------------------------------------------------------------------
STOP_MISTAKES = {   # variant (fixture field v_<variant>_<i> = [best_epoch, stop_epoch]) -> the likely mistake
    "global_best": ("you took the best of the whole history; training stopped at stop_epoch, so later epochs "
                    "were never run."),
    "last_best": "best_epoch is the last epoch trained; it is the epoch with the best value among those seen.",
    "ties": "a tie is not an improvement; the earliest of equal values stays best.",
    "no_min_delta": "an improvement must beat the best by more than min_delta.",
    "previous": ("each epoch was compared with the previous one; an improvement beats the best value so far "
                 "(history[best_epoch])."),
    "late_stop": ("training stops one epoch late: stop at the first epoch with epoch - best_epoch >= patience "
                  "(not >)."),
    "early_stop": "training stops one epoch early: stop when epoch - best_epoch >= patience, not patience - 1.",
}


@SUITE.graded("early_stopping", points=3)
def test_early_stopping(early_stopping, case="visible"):
    """Named mistakes: the best of the whole history; the last epoch as the best; ties improving;
    min_delta ignored; compared with the previous epoch; stopping one epoch late or early; params
    not snapshots[best_epoch]."""
    name = "early_stopping"
    f = SUITE.load(name, case)
    n = int(f["n_cases"])
    outs, snaps = [], []
    for i in range(n):
        history = [float(v) for v in f[f"history_{i}"]]
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta = float(f[f"min_delta_{i}"])
        snapshots = [{"W": np.full(2, float(e))} for e in range(len(history))]
        out, _ = call(early_stopping, name, history, patience, snapshots=snapshots, mode=mode,
                      min_delta=min_delta)
        if not isinstance(out, dict) or not {"best_epoch", "best_value", "stop_epoch", "params"} <= set(out):
            raise CheckFailed(f"{name} must return a dict with best_epoch, best_value, stop_epoch, params.")
        outs.append(out)
        snaps.append(snapshots)
    epochs = [[out["best_epoch"], out["stop_epoch"]] for out in outs]
    for i, out in enumerate(outs):
        history = [float(v) for v in f[f"history_{i}"]]
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta, snapshots = float(f[f"min_delta_{i}"]), snaps[i]
        best, stop = int(f[f"best_epoch_{i}"]), int(f[f"stop_epoch_{i}"])
        what = f"history {history}, patience {patience}, mode {mode!r}, min_delta {min_delta:g}"
        got = epochs[i]
        if got != [best, stop]:
            hint = matching_variant(STOP_MISTAKES, n, epochs,
                                    lambda v, k: [int(e) for e in f[f"v_{v}_{k}"]] if f"v_{v}_{k}" in f else None,
                                    lambda k: [int(f[f"best_epoch_{k}"]), int(f[f"stop_epoch_{k}"])],
                                    lambda a, b: list(a) == list(b))
            raise CheckFailed(f"{name}: {what}: best_epoch {got[0]} and stop_epoch {got[1]}, expected {best} and "
                              f"{stop} (stop at the first epoch {patience} epochs after the best without "
                              f"improvement).{hint}")
        if not math.isclose(float(out["best_value"]), history[best], rel_tol=1e-12):
            raise CheckFailed(f"{name}: best_value {out['best_value']}, expected history[{best}] = {history[best]}.")
        params = out["params"]
        if not isinstance(params, dict) or not np.array_equal(params.get("W"), snapshots[best]["W"]):
            raise CheckFailed(f"{name}: params must be snapshots[best_epoch] (the parameters saved after epoch "
                              f"{best}); got {params!r:.100}.")
    out, _ = call(early_stopping, name, [0.5, 0.4], 1)
    if out.get("params") is not None:
        raise CheckFailed(f"{name}: without snapshots, params must be None.")


DECAY_MISTAKES = {   # variant (fixture field v_<variant>_<i>) -> the likely mistake
    "no_reset": ("after a reduction the count of epochs without improvement restarts at 0, so the next "
                 "reduction needs another `patience` epochs."),
    "best_reset": "the best value is kept after a reduction; only the count restarts.",
    "late": "the rate is cut when the count reaches patience (>=), not one epoch later.",
    "ties": "a tie is not an improvement (the same rule as early_stopping).",
    "previous": "each epoch was compared with the previous one; an improvement beats the best value so far.",
    "before": ("the list holds the rate to use after each epoch (its last entry is the rate for the next "
               "epoch), not the rate used during it."),
    "no_min_delta": "an improvement must beat the best by more than min_delta.",
}


@SUITE.graded("decay_on_plateau", points=2)
def test_decay_on_plateau(decay_on_plateau, case="visible"):
    """Named mistakes: the count not reset after a reduction; the best reset after a reduction; the
    cut one epoch late; ties improving; compared with the previous epoch; the rates shifted by one
    epoch; min_delta ignored."""
    name = "decay_on_plateau"
    f = SUITE.load(name, case)
    n = int(f["n_cases"])
    all_rates = []
    for i in range(n):
        history = [float(v) for v in f[f"history_{i}"]]
        lr, factor = float(f[f"lr_{i}"]), float(f[f"factor_{i}"])
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta = float(f[f"min_delta_{i}"])
        rates, _ = call(decay_on_plateau, name, history, lr, factor=factor, patience=patience, mode=mode,
                        min_delta=min_delta)
        if not isinstance(rates, (list, tuple, np.ndarray)) or len(rates) != len(history):
            raise CheckFailed(f"{name} must return a list with one learning rate per epoch ({len(history)}).")
        all_rates.append(np.asarray(rates, dtype=np.float64))
    for i, got in enumerate(all_rates):
        history = [float(v) for v in f[f"history_{i}"]]
        lr, factor = float(f[f"lr_{i}"]), float(f[f"factor_{i}"])
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta = float(f[f"min_delta_{i}"])
        expected = f[f"rates_{i}"]
        what = (f"history {history}, learning_rate {lr:g}, factor {factor:g}, patience {patience}, "
                f"mode {mode!r}, min_delta {min_delta:g}")
        if not np.allclose(got, expected, rtol=1e-9, atol=0):
            j = int(np.argmax(~np.isclose(got, expected, rtol=1e-9, atol=0)))
            hint = matching_variant(DECAY_MISTAKES, n, all_rates,
                                    lambda v, k: f[f"v_{v}_{k}"] if f"v_{v}_{k}" in f else None,
                                    lambda k: f[f"rates_{k}"], _same)
            raise CheckFailed(f"{name}: {what}: rates {got.tolist()}, expected {expected.tolist()}; first "
                              f"difference after epoch {j}.{hint}")


# --------------------------------------------------------------------------
# Not graded: visible checks of the student-written experiments.

def check_search_outcome(best_val_acc, target, trials=None):
    """PASS/FAIL for the student-written search (experiment 6); returns True if it passed."""
    if best_val_acc is None:
        print("FAIL: best_val_acc is None; store your tuned model's validation accuracy in best_val_acc.")
        return False
    n = "" if trials is None else f" after {len(trials)} trials"
    if best_val_acc >= target:
        print(f"PASS: your tuned model reaches {best_val_acc:.1%} validation accuracy{n} (target {target:.0%}).")
        return True
    print(f"FAIL: your tuned model reaches {best_val_acc:.1%} validation accuracy{n}, below the target "
          f"{target:.0%}. Refine the range around your best coarse trials (refine_range), check that the "
          "best value is not at the edge, and train the final model for more epochs.")
    return False
