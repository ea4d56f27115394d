"""Tests of the hyperparameter-search functions (notebook 06_hyperparameter_optimization.ipynb).

The samplers are random: their tests check range, type, reproducibility
from the given Generator, that the global np.random state is unused, and
the distribution, each statistic within Z = 5.5 standard errors (as the
initializers' tests do). The searches get synthetic ``train_fn``s that run
in microseconds and record what they were asked. The deterministic
functions (trial_status, grid_search, refine_range, early_stopping,
decay_on_plateau) are compared with reference outputs (fixtures, topic
'hyperopt'). Hidden randomness comes from ``hidden_seed(name)``.
"""
import itertools
import math
import numbers

import numpy as np

from .feedback import CheckFailed, call, expect_array
from .fixtures import hidden_seed, load
from .registry import graded

NOTEBOOK = "06_hyperparameter_optimization.ipynb"
TOPIC = "hyperopt"
Z = 5.5
SAMPLE_CONFIG_DRAWS = 300   # at Z standard errors every named mistake is still caught
STATUS_NAMES = {0: "ok", 1: "aborted: NaN", 2: "aborted: loss > {f:g}x initial"}


def _graded(name, points, uses=()):
    return graded(name, module="hyperopt", notebook=NOTEBOOK, points=points, uses=uses)


def _rng(name, case, number):
    return np.random.default_rng(number if case == "visible" else [hidden_seed(name), number])


def _near(measured, expected, standard_error):
    return abs(measured - expected) <= Z * standard_error


def _global_state_untouched(name, run):
    """Run ``run()`` and fail if it drew from the global np.random state."""
    saved = np.random.get_state()
    try:
        np.random.seed(12345)
        run()
        after = np.random.get_state()
        np.random.seed(12345)
        untouched = np.random.get_state()
    finally:
        np.random.set_state(saved)
    if not (after[1] == untouched[1]).all() or after[2] != untouched[2]:
        raise CheckFailed(f"{name} used the global np.random state. Likely mistake: you called "
                          "np.random.uniform/randint/choice instead of the rng argument, so a seed does "
                          "not reproduce the search.")


def _status_kind(status):
    """0 ok, 1 NaN, 2 exploded, None unrecognised."""
    if status == "ok":
        return 0
    if isinstance(status, str) and status.startswith("aborted"):
        return 1 if "NaN" in status else 2
    return None


# --------------------------------------------------------------------------
def _log_uniform_case(case):
    if case == "visible":
        return 1e-5, 1e-1, (200, 100)
    r = np.random.default_rng([hidden_seed("log_uniform"), 99])
    low = float(10 ** r.uniform(-7, -1))
    return low, float(low * 10 ** r.uniform(1.5, 5)), (150, 120)


@_graded("log_uniform", points=2)
def test_log_uniform(log_uniform, case="visible"):
    name = "log_uniform"
    low, high, size = _log_uniform_case(case)
    x, _ = call(log_uniform, name, low, high, size, _rng(name, case, 0))
    if not isinstance(x, np.ndarray) or x.shape != size:
        got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        raise CheckFailed(f"{name}: expected an array of shape {size}, got {got}.")
    if x.dtype != np.float64 or not np.isfinite(x).all():
        raise CheckFailed(f"{name}: expected finite float64 samples, got dtype {x.dtype}"
                          f"{'' if np.isfinite(x).all() else ' with NaN or inf'}.")
    if x.min() < low * (1 - 1e-12) or x.max() > high * (1 + 1e-12):
        raise CheckFailed(f"{name}: samples range from {x.min():.3g} to {x.max():.3g}, outside [low, high] = "
                          f"[{low:.3g}, {high:.3g}]. Likely mistake: the exponent is drawn on the wrong "
                          "interval; draw u uniformly on [log10(low), log10(high)] and return 10**u.")
    first = lambda: call(log_uniform, name, low, high, (7,), _rng(name, case, 5))[0]
    if not np.array_equal(first(), first()):
        raise CheckFailed(f"{name}: the same seed gave different samples. Likely mistake: you drew "
                          "from the global np.random state (np.random.uniform...) instead of the rng argument.")
    _global_state_untouched(name, first)
    u = np.log10(x).ravel()
    a, b = np.log10(low), np.log10(high)
    width, n = b - a, u.size
    mean_u = float(u.mean())
    if not _near(mean_u, (a + b) / 2, width / np.sqrt(12 * n)):
        linear = float(np.log10(np.mean([low, high])))
        hint = (" Likely mistake: you sampled uniformly on [low, high], so almost every sample lands in the "
                "top decade; sample the exponent uniformly instead." if mean_u > b - 0.5 * width and
                abs(mean_u - linear) < 0.5 else "")
        raise CheckFailed(f"{name}: the mean of log10(samples) is {mean_u:.3f}, expected {(a + b) / 2:.3f} (the "
                          f"middle of [{a:.2f}, {b:.2f}]; allowed +/- {Z * width / np.sqrt(12 * n):.2g}).{hint}")
    # each quarter of the log range gets a quarter of the samples
    counts = np.histogram(u, bins=4, range=(a, b))[0] / n
    se = np.sqrt(0.25 * 0.75 / n)
    for q, frac in enumerate(counts):
        if not _near(frac, 0.25, se):
            raise CheckFailed(f"{name}: {frac:.1%} of log10(samples) fall in quarter {q + 1} of [log10(low), "
                              f"log10(high)], expected 25% (allowed +/- {Z * se:.1%}). The exponent must be "
                              "uniform.")


# --------------------------------------------------------------------------
def _sample_space(case):
    if case == "visible":
        return {"learning_rate": ("log_uniform", 1e-4, 1e-1), "dropout": ("uniform", 0.2, 0.8),
                "hidden": ("int", 3, 6), "activation": ("choice", ["relu", "tanh", "elu"])}
    r = np.random.default_rng([hidden_seed("sample_config"), 98])
    low = float(10 ** r.uniform(-6, -2))
    lo_int = int(r.integers(-3, 10))
    return {"reg": ("log_uniform", low, low * float(10 ** r.uniform(1, 4))),
            "momentum": ("uniform", float(r.uniform(-1, 0.5)), float(r.uniform(0.6, 2))),
            "layers": ("int", lo_int, lo_int + int(r.integers(1, 5))),
            "norm": ("choice", [0.5, 1.5]),
            "batch": ("int", 7, 7)}


@_graded("sample_config", points=2, uses=("log_uniform",))
def test_sample_config(sample_config, case="visible"):
    name = "sample_config"
    space = _sample_space(case)
    n = SAMPLE_CONFIG_DRAWS
    rng = _rng(name, case, 0)
    configs = [call(sample_config, name, space, rng)[0] for _ in range(n)]
    for config in configs[:50]:
        if not isinstance(config, dict) or set(config) != set(space):
            got = sorted(config) if isinstance(config, dict) else type(config).__name__
            raise CheckFailed(f"{name} must return a dict with the keys {sorted(space)}; got {got}.")
    if configs[0] == configs[1] == configs[2]:
        raise CheckFailed(f"{name}: three calls with the same Generator returned the same config; draw from rng "
                          "(a new np.random.default_rng inside the function restarts the stream each time).")
    again = lambda: [call(sample_config, name, space, _rng(name, case, 1))[0] for _ in range(2)]
    if again() != again():
        raise CheckFailed(f"{name}: the same seed gave different configs. Likely mistake: you drew "
                          "from the global np.random state (np.random.uniform...) instead of the rng argument.")
    _global_state_untouched(name, again)
    for key, spec in space.items():
        values = [c[key] for c in configs]
        kind = spec[0]
        if kind == "choice":
            options = list(spec[1])
            bad = [v for v in values if v not in options]
            if bad:
                raise CheckFailed(f"{name}: {key} = {bad[0]!r} is not one of {options}.")
            for option in options:
                frac, p = sum(v == option for v in values) / n, 1 / len(options)
                if not _near(frac, p, np.sqrt(p * (1 - p) / n)):
                    raise CheckFailed(f"{name}: {key} = {option!r} in {frac:.1%} of {n} configs, expected "
                                      f"{p:.1%}: every choice is equally likely.")
            continue
        low, high = spec[1], spec[2]
        if kind == "int":
            if not all(isinstance(v, numbers.Integral) for v in values):
                raise CheckFailed(f"{name}: {key} is an 'int' entry; return integers (got {values[0]!r}).")
            vals = np.array(values)
            if high > low and not np.any(vals == high):
                raise CheckFailed(f"{name}: {key} never took its upper value {high} in {n} configs. Likely "
                                  "mistake: 'int' includes both ends, and rng.integers(low, high) excludes high.")
            for k in range(low, high + 1):
                frac, p = float(np.mean(vals == k)), 1 / (high - low + 1)
                if not _near(frac, p, np.sqrt(p * (1 - p) / n)):
                    raise CheckFailed(f"{name}: {key} = {k} in {frac:.1%} of {n} configs, expected {p:.1%} "
                                      f"(each integer of {low}..{high} equally likely).")
            if vals.min() < low or vals.max() > high:
                raise CheckFailed(f"{name}: {key} ranges over {vals.min()}..{vals.max()}, outside {low}..{high}.")
            continue
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            raise CheckFailed(f"{name}: {key} must be a number, got {values[0]!r}.")
        vals = np.array(values, dtype=np.float64)
        if vals.min() < low * (1 - 1e-12) - 1e-300 or vals.max() > high * (1 + 1e-12) + 1e-300:
            raise CheckFailed(f"{name}: {key} ranges from {vals.min():.3g} to {vals.max():.3g}, outside "
                              f"[{low:.3g}, {high:.3g}].")
        t, a, b = (np.log10(vals), np.log10(low), np.log10(high)) if kind == "log_uniform" else (vals, low, high)
        se = (b - a) / np.sqrt(12 * n)
        if not _near(float(t.mean()), (a + b) / 2, se):
            what = "log10 of " if kind == "log_uniform" else ""
            hint = (" Likely mistake: a 'log_uniform' entry sampled uniformly on [low, high]; use log_uniform."
                    if kind == "log_uniform" and t.mean() > (a + b) / 2 else "")
            raise CheckFailed(f"{name}: the mean of {what}{key} over {n} configs is {t.mean():.4g}, expected "
                              f"{(a + b) / 2:.4g} (allowed +/- {Z * se:.2g}).{hint}")
        se_var = (b - a) ** 2 * np.sqrt(1 / 180 / n) * 2   # var of a uniform's variance estimate, generous
        if not _near(float(t.var()), (b - a) ** 2 / 12, se_var):
            raise CheckFailed(f"{name}: {key}'s spread does not match a uniform draw on its range "
                              f"(variance {t.var():.4g}, expected {(b - a) ** 2 / 12:.4g}).")


# --------------------------------------------------------------------------
@_graded("trial_status", points=2)
def test_trial_status(trial_status, case="visible"):
    name = "trial_status"
    f = load(TOPIC, name, case)
    factor = float(f["factor"])
    names = {k: v.format(f=factor) for k, v in STATUS_NAMES.items()}
    for i, (history, code) in enumerate(zip(f["histories"], f["codes"].astype(int))):
        status, _ = call(trial_status, name, [float(v) for v in history], abort_factor=factor)
        if status != names[code]:
            hint = ""
            first = history[0]
            if code == 0 and np.nanmax(history) > factor * np.nanmin(history):
                hint = (" Likely mistake: you compared with the smallest loss; the rule compares with the "
                        "first (initial) loss.")
            elif code == 0 and np.nanmax(history) == factor * first:
                hint = f" Likely mistake: a loss of exactly {factor:g}x the first is not above it; use >."
            elif code == 2 and history[-1] <= factor * first:
                hint = (" Likely mistake: you only looked at the last loss; the run is aborted if any loss "
                        "exceeds the bound.")
            elif code == 1:
                hint = (" Likely mistake: NaN (or inf) must be detected first, with np.isfinite: NaN > x is "
                        "False, so a comparison never catches it.")
            raise CheckFailed(f"{name}: history {i} {np.array2string(history, precision=3)} with abort_factor "
                              f"{factor:g}: got {status!r}, expected {names[code]!r}.{hint}")
    status, _ = call(trial_status, name, [], abort_factor=factor)
    if status != "ok":
        raise CheckFailed(f"{name}: an empty loss history gave {status!r}, expected 'ok'.")


# --------------------------------------------------------------------------
def _recording_train_fn(abort_band, nan_band):
    """A train_fn whose outcome depends on config['lr'] only, and the list of configs it saw."""
    seen = []

    def train_fn(config):
        seen.append(dict(config))
        lr = config["lr"]
        losses = [2.3, 2.0, 1.8, 1.7]
        if abort_band[0] <= lr <= abort_band[1]:
            losses = [2.3, 2.5, 7.5]
        elif nan_band[0] <= lr <= nan_band[1]:
            losses = [2.3, 2.9, float("nan")]
        return {"val_acc": float(1.0 - abs(np.log10(lr) + 2.5) / 10), "loss_history": losses, "lr_seen": lr}
    return train_fn, seen


def _search_space(case):
    if case == "visible":
        return {"lr": ("log_uniform", 1e-5, 1.0), "reg": ("uniform", 0.0, 0.1), "hidden": ("int", 10, 100)}
    return {"hidden": ("int", 1, 3), "lr": ("log_uniform", 1e-6, 10.0), "act": ("choice", ["relu", "tanh"])}


def _check_trials(name, trials, seen, expected_len, abort_factor):
    from ..hyperopt import trial_status   # the reference (in the grader, the instructor's copy)

    if not isinstance(trials, list) or len(trials) != expected_len:
        got = f"{len(trials)} items" if isinstance(trials, list) else type(trials).__name__
        raise CheckFailed(f"{name} must return a list of {expected_len} trials, one per run; got {got}.")
    if len(seen) != expected_len:
        raise CheckFailed(f"{name}: train_fn was called {len(seen)} times, expected {expected_len} (once per trial).")
    for i, (trial, config) in enumerate(zip(trials, seen)):
        if not isinstance(trial, dict) or not {"config", "result", "status"} <= set(trial):
            raise CheckFailed(f"{name}: trial {i} must be a dict with keys 'config', 'result', 'status'; got "
                              f"{trial!r:.120}.")
        if trial["config"] != config:
            raise CheckFailed(f"{name}: trial {i}'s config {trial['config']} is not the config train_fn was "
                              f"called with ({config}), in the order of the calls.")
        result = trial["result"]
        if not isinstance(result, dict) or result.get("lr_seen") != config.get("lr"):
            raise CheckFailed(f"{name}: trial {i}'s result must be exactly what train_fn returned for its "
                              "config.")
        expected = trial_status(result["loss_history"], abort_factor)
        if trial["status"] != expected:
            raise CheckFailed(f"{name}: trial {i} (loss history {result['loss_history']}) has status "
                              f"{trial['status']!r}, expected {expected!r}. Use trial_status(result['loss_history'], "
                              f"abort_factor) (here abort_factor={abort_factor:g}).")


@_graded("random_search", points=3, uses=("sample_config", "trial_status"))
def test_random_search(random_search, case="visible"):
    name = "random_search"
    space = _search_space(case)
    n_trials, factor = (40, 3.0) if case == "visible" else (33, 2.5)
    kwargs = {} if case == "visible" else {"abort_factor": factor}
    train_fn, seen = _recording_train_fn((0.1, 0.5), (0.5, 1.0) if case == "visible" else (1.0, 10.0))
    rng = _rng(name, case, 0)
    trials, _ = call(random_search, name, train_fn, space, n_trials, rng, **kwargs)
    _check_trials(name, trials, seen, n_trials, factor)
    for i, trial in enumerate(trials):
        for key, spec in space.items():
            v = trial["config"].get(key)
            inside = v in spec[1] if spec[0] == "choice" else (v is not None and spec[1] <= v <= spec[2])
            if not inside:
                raise CheckFailed(f"{name}: trial {i} has {key} = {v!r}, outside the space's {spec}.")
    distinct = len({tuple(sorted((k, str(v)) for k, v in t["config"].items())) for t in trials})
    if distinct < n_trials // 2:
        raise CheckFailed(f"{name}: only {distinct} distinct configs in {n_trials} trials. Likely mistake: the "
                          "config is drawn once, outside the loop; draw a new one for every trial.")
    lrs = np.array([t["config"]["lr"] for t in trials])
    if np.mean(lrs >= 0.1) > 0.75:   # log-uniform: 20% (visible) or 29% (hidden) expected; linear: 90%+
        raise CheckFailed(f"{name}: {np.mean(lrs >= 0.1):.0%} of the learning rates are >= 0.1; 'lr' is "
                          "'log_uniform', so draw configs with sample_config(space, rng).")
    # the given Generator is used (and advanced), the global state is not
    seen.clear()
    more, _ = call(random_search, name, train_fn, space, 3, rng, **kwargs)
    if [t["config"] for t in more] == [t["config"] for t in trials[:3]]:
        raise CheckFailed(f"{name}: a second search with the same (already used) Generator repeated the first "
                          "configs; draw from the rng argument (do not create a new Generator).")
    runs = []

    def run():
        seen.clear()
        runs.append([t["config"] for t in call(random_search, name, train_fn, space, 4,
                                               _rng(name, case, 3), **kwargs)[0]])
    _global_state_untouched(name, run)
    run()
    if runs[0] != runs[1]:
        raise CheckFailed(f"{name}: the same seed gave different configs. Likely mistake: you drew "
                          "from the global np.random state (np.random.uniform...) instead of the rng argument.")
    seen.clear()
    empty, _ = call(random_search, name, train_fn, space, 0, _rng(name, case, 4), **kwargs)
    if empty != [] or seen:
        raise CheckFailed(f"{name}: n_trials = 0 must run nothing and return [].")


# --------------------------------------------------------------------------
@_graded("grid_search", points=2, uses=("trial_status",))
def test_grid_search(grid_search, case="visible"):
    name = "grid_search"
    f = load(TOPIC, name, case)
    choice = [float(v) for v in f["choice"]]
    space = {"lr": ("log_uniform", *map(float, f["lr"])), "reg": ("uniform", *map(float, f["reg"])),
             "hidden": ("int", *map(int, f["hidden"])), "p": ("choice", choice)}
    points = dict(zip(["lr", "reg", "hidden"], map(int, f["counts"])))
    seen = []

    def train_fn(config):
        seen.append(dict(config))
        explodes = config["lr"] >= float(np.sqrt(f["lr"][0] * f["lr"][1]))
        return {"val_acc": 0.5, "loss_history": [1.0, 4.0] if explodes else [1.0, 0.5], "lr_seen": config["lr"]}

    trials, _ = call(grid_search, name, train_fn, space, points)
    expected = f["configs"]
    if not isinstance(trials, list) or len(trials) != len(expected):
        got = f"{len(trials)} trials" if isinstance(trials, list) else type(trials).__name__
        raise CheckFailed(f"{name}: expected {len(expected)} trials (the product of the axes' lengths "
                          f"{[len(set(expected[:, j])) for j in range(4)]}), got {got}.")
    _check_trials(name, trials, seen, len(expected), 3.0)
    got = np.array([[t["config"][k] for k in space] for t in trials], dtype=np.float64)
    from ..hyperopt import grid_values   # given helper (the reference in the grader)

    axes = [grid_values(space[k], points.get(k, 0)) for k in space]
    first_fastest = np.array([c[::-1] for c in itertools.product(*axes[::-1])], dtype=np.float64)
    mistakes = [("the axes vary in the wrong order: itertools.product over the axes in the space's key "
                 "order makes the last key vary fastest.", first_fastest)]
    expect_array(name, "the grid of configs (one row per trial: lr, reg, hidden, p)", got, expected, 1e-9,
                 mistakes=mistakes)


# --------------------------------------------------------------------------
KINDS = {0: "log_uniform", 1: "uniform", 2: "int"}


@_graded("refine_range", points=3)
def test_refine_range(refine_range, case="visible"):
    name = "refine_range"
    f = load(TOPIC, name, case)
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
@_graded("early_stopping", points=3)
def test_early_stopping(early_stopping, case="visible"):
    name = "early_stopping"
    f = load(TOPIC, name, case)
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
@_graded("decay_on_plateau", points=2)
def test_decay_on_plateau(decay_on_plateau, case="visible"):
    name = "decay_on_plateau"
    f = load(TOPIC, name, case)
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
