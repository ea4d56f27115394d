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


@SUITE.graded("refine_range", points=3)
def test_refine_range(refine_range, case="visible"):
    name = "refine_range"
    f = SUITE.load(name, case)
    for i in range(int(f["n_cases"])):
        kind = KINDS[int(f[f"kind_{i}"])]
        low, high = (int(v) for v in f[f"range_{i}"]) if kind == "int" else (float(v) for v in f[f"range_{i}"])
        cast = int if kind == "int" else float
        trials = [{"config": {"x": cast(v)}, "result": {"val_acc": float(m)},
                   "status": "ok" if o else "aborted: NaN"}
                  for v, m, o in zip(f[f"values_{i}"], f[f"metric_{i}"], f[f"ok_{i}"])]
        top = int(f[f"top_{i}"])
        space = {"x": (kind, low, high)}
        result, _ = call(refine_range, name, trials, "x", space, top=top)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(f"{name} must return a tuple (new_spec, warning).")
        new_spec, warning = result
        if not isinstance(new_spec, (tuple, list)) or len(new_spec) != 3 or new_spec[0] != kind:
            raise CheckFailed(f"{name}: new_spec must be ({kind!r}, new_low, new_high); got {new_spec!r}.")
        what = f"case {i} ({kind} on [{low:.3g}, {high:.3g}], top={top})"
        expected = f[f"new_range_{i}"]
        ok = f[f"ok_{i}"] > 0
        with_aborted = None
        if not ok.all():
            everyone = [dict(t, status="ok") for t in trials]
            with_aborted = ("you ranked the aborted trials too; keep only status 'ok'.", everyone)
        got = np.array(new_spec[1:], dtype=np.float64)
        if not np.allclose(got, expected, rtol=1e-9, atol=0):
            hint = ""
            if kind == "log_uniform":
                hint = (" The range is refined in log10 space: pad by pad * (log10(high) - log10(low)) "
                        "around the best trials' log10 values, then take 10**.")
            if with_aborted is not None:
                best_any = max(range(len(trials)), key=lambda j: trials[j]["result"]["val_acc"])
                if not ok[best_any]:
                    hint = " Likely mistake: " + with_aborted[0]
            raise CheckFailed(f"{name}: {what}: new range {got.tolist()}, expected {expected.tolist()}.{hint}")
        side = int(f[f"side_{i}"])
        if side == 0 and warning is not None:
            raise CheckFailed(f"{name}: {what}: warned {warning!r}, but the best value is not within "
                              "edge * width of either end.")
        if side:
            want = ["", "lower edge", "upper edge"][side]
            if not isinstance(warning, str) or want not in warning or "x" not in warning:
                raise CheckFailed(f"{name}: {what}: the best value sits at the {want} of the range; warning must "
                                  f"be a string naming the hyperparameter and saying '{want}'; got {warning!r}.")


# --------------------------------------------------------------------------
@SUITE.graded("early_stopping", points=3)
def test_early_stopping(early_stopping, case="visible"):
    name = "early_stopping"
    f = SUITE.load(name, case)
    for i in range(int(f["n_cases"])):
        history = [float(v) for v in f[f"history_{i}"]]
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta = float(f[f"min_delta_{i}"])
        snapshots = [{"W": np.full(2, float(e))} for e in range(len(history))]
        out, _ = call(early_stopping, name, history, patience, snapshots=snapshots, mode=mode,
                      min_delta=min_delta)
        if not isinstance(out, dict) or not {"best_epoch", "best_value", "stop_epoch", "params"} <= set(out):
            raise CheckFailed(f"{name} must return a dict with best_epoch, best_value, stop_epoch, params.")
        best, stop = int(f[f"best_epoch_{i}"]), int(f[f"stop_epoch_{i}"])
        what = f"history {history}, patience {patience}, mode {mode!r}, min_delta {min_delta:g}"
        if out["best_epoch"] != best:
            hint = ""
            values = np.array(history)
            target = values.max() if mode == "max" else values.min()
            ties = any(history[e] == history[best] for e in range(best + 1, stop + 1))
            if values[out["best_epoch"]] == target and out["best_epoch"] > stop and out["stop_epoch"] == stop:
                hint = (" Likely mistake: you took the best of the whole history; training stopped at "
                        f"epoch {stop}, so later epochs were never run.")
            elif ties:
                hint = " Likely mistake: a tie is not an improvement; the earliest of equal values stays best."
            elif min_delta:
                hint = f" Likely mistake: an improvement must beat the best by more than min_delta = {min_delta:g}."
            raise CheckFailed(f"{name}: {what}: best_epoch {out['best_epoch']}, expected {best}.{hint}")
        if out["stop_epoch"] != stop:
            raise CheckFailed(f"{name}: {what}: stop_epoch {out['stop_epoch']}, expected {stop} (stop at the first "
                              f"epoch {patience} epochs after the best without improvement).")
        if not math.isclose(float(out["best_value"]), history[best], rel_tol=1e-12):
            raise CheckFailed(f"{name}: best_value {out['best_value']}, expected history[{best}] = {history[best]}.")
        params = out["params"]
        if not isinstance(params, dict) or not np.array_equal(params.get("W"), snapshots[best]["W"]):
            raise CheckFailed(f"{name}: params must be snapshots[best_epoch] (the parameters saved after epoch "
                              f"{best}); got {params!r:.100}.")
    out, _ = call(early_stopping, name, [0.5, 0.4], 1)
    if out.get("params") is not None:
        raise CheckFailed(f"{name}: without snapshots, params must be None.")


# --------------------------------------------------------------------------
@SUITE.graded("decay_on_plateau", points=2)
def test_decay_on_plateau(decay_on_plateau, case="visible"):
    name = "decay_on_plateau"
    f = SUITE.load(name, case)
    for i in range(int(f["n_cases"])):
        history = [float(v) for v in f[f"history_{i}"]]
        lr, factor = float(f[f"lr_{i}"]), float(f[f"factor_{i}"])
        patience, mode = int(f[f"patience_{i}"]), ["min", "max"][int(f[f"mode_{i}"])]
        min_delta = float(f[f"min_delta_{i}"])
        rates, _ = call(decay_on_plateau, name, history, lr, factor=factor, patience=patience, mode=mode,
                        min_delta=min_delta)
        if not isinstance(rates, (list, tuple, np.ndarray)) or len(rates) != len(history):
            raise CheckFailed(f"{name} must return a list with one learning rate per epoch ({len(history)}).")
        got = np.asarray(rates, dtype=np.float64)
        expected = f[f"rates_{i}"]
        what = (f"history {history}, learning_rate {lr:g}, factor {factor:g}, patience {patience}, "
                f"mode {mode!r}, min_delta {min_delta:g}")
        if not np.allclose(got, expected, rtol=1e-9, atol=0):
            j = int(np.argmax(~np.isclose(got, expected, rtol=1e-9, atol=0)))
            hint = ""
            if got[j] < expected[j] and j > 0 and np.isclose(got[j - 1], expected[j - 1]):
                hint = (" Likely mistake: after a reduction the count of epochs without improvement restarts "
                        "at 0, so the next reduction needs another `patience` epochs.")
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
