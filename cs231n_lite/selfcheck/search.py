"""Tests of the samplers and searches (notebook 06_hyperparameter_optimization.ipynb).

The samplers are random: their tests check range, type, reproducibility
from the given Generator, that the global np.random state is unused, and
the distribution, each statistic within Z = 5.5 standard errors
(selfcheck/stats.py). The searches get synthetic ``train_fn``s that run in
microseconds and record what they were asked. trial_status and grid_search
are compared with reference outputs (fixtures, topic 'hyperopt'). Hidden
randomness comes from ``hidden_seed(name)``.
"""
import itertools
import numbers

import numpy as np

from .feedback import CheckFailed, call, expect_array
from .fixtures import case_rng as _rng, hidden_seed
from .registry import Suite
from .stats import Z, global_state_untouched, near as _near

NOTEBOOK = "06_hyperparameter_optimization.ipynb"
SUITE = Suite(module="hyperopt", notebook=NOTEBOOK, fixtures="hyperopt")
SAMPLE_CONFIG_DRAWS = 300   # at Z standard errors every named mistake is still caught
STATUS_NAMES = {0: "ok", 1: "aborted: NaN", 2: "aborted: loss > {f:g}x initial"}


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


@SUITE.graded("log_uniform", points=2)
def test_log_uniform(log_uniform, case="visible"):
    """Named mistakes: uniform on [low, high]; the exponent on the wrong interval (natural log, or
    low/high themselves); the global np.random state; size ignored."""
    name = "log_uniform"
    low, high, size = _log_uniform_case(case)
    x, _ = call(log_uniform, name, low, high, size, _rng(name, case, 0))
    if not isinstance(x, np.ndarray) or x.shape != size:
        got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        hint = (" Likely mistake: the size argument was ignored; draw rng.uniform(..., size)."
                if np.ndim(x) == 0 else "")
        raise CheckFailed(f"{name}: expected an array of shape {size}, got {got}.{hint}")
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
    global_state_untouched(name, first)
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
            "layers": ("int", lo_int, lo_int + int(r.integers(2, 5))),   # width >= 2: rounding shows
            "norm": ("choice", [0.5, 1.5]),
            "batch": ("int", 7, 7)}


@SUITE.graded("sample_config", points=2, uses=("log_uniform",))
def test_sample_config(sample_config, case="visible"):
    """Named mistakes: 'int' excluding its upper end (rng.integers(low, high)); 'int' by rounding a
    uniform draw; 'log_uniform' drawn uniformly; a new Generator per call; the global np.random
    state; a choice not among the listed values."""
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
        raise CheckFailed(f"{name}: three calls with the same Generator returned the same config. Likely mistake: "
                          "a new np.random.default_rng inside the function restarts the stream each time; draw "
                          "from rng.")
    again = lambda: [call(sample_config, name, space, _rng(name, case, 1))[0] for _ in range(2)]
    if again() != again():
        raise CheckFailed(f"{name}: the same seed gave different configs. Likely mistake: you drew "
                          "from the global np.random state (np.random.uniform...) instead of the rng argument.")
    global_state_untouched(name, again)
    for key, spec in space.items():
        values = [c[key] for c in configs]
        kind = spec[0]
        if kind == "choice":
            options = list(spec[1])
            bad = [v for v in values if v not in options]
            if bad:
                raise CheckFailed(f"{name}: '{key}' = {bad[0]!r} is not one of {options}.")
            for option in sorted(options, key=lambda o: sum(v == o for v in values)):   # a missing one first
                frac, p = sum(v == option for v in values) / n, 1 / len(options)
                if not _near(frac, p, np.sqrt(p * (1 - p) / n)):
                    hint = (" Likely mistake: this value is never drawn; rng.integers(n) already excludes n "
                            "(draw an index with rng.integers(len(values)))." if frac == 0 else "")
                    raise CheckFailed(f"{name}: '{key}' = {option!r} in {frac:.1%} of {n} configs, expected "
                                      f"{p:.1%}: every choice is equally likely.{hint}")
            continue
        low, high = spec[1], spec[2]
        if kind == "int":
            if not all(isinstance(v, numbers.Integral) for v in values):
                raise CheckFailed(f"{name}: '{key}' is an 'int' entry; return integers (got {values[0]!r}).")
            vals = np.array(values)
            if high > low and not np.any(vals == high):
                raise CheckFailed(f"{name}: the 'int' entry '{key}' never took its upper value {high} in {n} configs. "
                                  "Likely mistake: 'int' includes both ends, and rng.integers(low, high) excludes high.")
            p = 1 / (high - low + 1)
            ends = float(np.mean((vals == low) | (vals == high))) / 2
            for k in range(low, high + 1):
                frac = float(np.mean(vals == k))
                if not _near(frac, p, np.sqrt(p * (1 - p) / n)):
                    hint = ""
                    if high - low >= 2 and k in (low, high) and _near(ends, p * (high - low + 1) / (2 * (high - low)),
                                                                      np.sqrt(p * (1 - p) / n)):
                        hint = (" Likely mistake: a uniform draw rounded to the nearest integer gives the two end "
                                "values half the probability; draw with rng.integers(low, high + 1).")
                    raise CheckFailed(f"{name}: '{key}' = {k} in {frac:.1%} of {n} configs, expected {p:.1%} "
                                      f"(each integer of {low}..{high} equally likely).{hint}")
            if vals.min() < low or vals.max() > high:
                raise CheckFailed(f"{name}: '{key}' ranges over {vals.min()}..{vals.max()}, outside {low}..{high}.")
            continue
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            raise CheckFailed(f"{name}: '{key}' must be a number, got {values[0]!r}.")
        vals = np.array(values, dtype=np.float64)
        if vals.min() < low * (1 - 1e-12) - 1e-300 or vals.max() > high * (1 + 1e-12) + 1e-300:
            raise CheckFailed(f"{name}: '{key}' ranges from {vals.min():.3g} to {vals.max():.3g}, outside "
                              f"[{low:.3g}, {high:.3g}].")
        t, a, b = (np.log10(vals), np.log10(low), np.log10(high)) if kind == "log_uniform" else (vals, low, high)
        se = (b - a) / np.sqrt(12 * n)
        if not _near(float(t.mean()), (a + b) / 2, se):
            what = "log10 of " if kind == "log_uniform" else ""
            hint = (" Likely mistake: a 'log_uniform' entry sampled uniformly on [low, high]; use log_uniform."
                    if kind == "log_uniform" and t.mean() > (a + b) / 2 else "")
            raise CheckFailed(f"{name}: the mean of {what}'{key}' over {n} configs is {t.mean():.4g}, expected "
                              f"{(a + b) / 2:.4g} (allowed +/- {Z * se:.2g}).{hint}")
        se_var = (b - a) ** 2 * np.sqrt(1 / 180 / n) * 2   # var of a uniform's variance estimate, generous
        if not _near(float(t.var()), (b - a) ** 2 / 12, se_var):
            raise CheckFailed(f"{name}: the spread of '{key}' does not match a uniform draw on its range "
                              f"(variance {t.var():.4g}, expected {(b - a) ** 2 / 12:.4g}).")


# --------------------------------------------------------------------------
TRIAL_MISTAKES = {   # variant (fixture field v_<variant>_codes) -> the likely mistake
    "vs_min": "you compared with the smallest loss; the rule compares with the first (initial) loss.",
    "at_or_above": "a loss of exactly abort_factor x the first is not above it; use >, not >=.",
    "default_factor": ("the abort_factor argument was ignored (3 used); compare with "
                       "abort_factor * loss_history[0]."),
    "last_only": "you only looked at the last loss; the run is aborted if any loss exceeds the bound.",
    "nan_after": ("NaN/inf must be checked first: a run that explodes and then gives NaN is 'aborted: NaN' "
                  "(np.isfinite before the comparison)."),
    "isnan_only": "inf (and -inf) must give 'aborted: NaN' too: test np.isfinite, not np.isnan.",
    "no_finite": ("NaN (or inf) must be detected first, with np.isfinite: NaN > x is False, so a comparison "
                  "never catches it."),
}


@SUITE.graded("trial_status", points=2)
def test_trial_status(trial_status, case="visible"):
    """Named mistakes: compared with the smallest loss; >= instead of >; abort_factor ignored (3
    used); only the last loss looked at; NaN/inf checked after the comparison; inf not treated as
    NaN (np.isnan only); an empty history not 'ok'."""
    name = "trial_status"
    f = SUITE.load(name, case)
    factor = float(f["factor"])
    names = {k: v.format(f=factor) for k, v in STATUS_NAMES.items()}
    statuses = [call(trial_status, name, [float(v) for v in history], abort_factor=factor)[0]
                for history in f["histories"]]
    got = [_status_kind(s) if s in names.values() else None for s in statuses]
    for i, (history, code, status) in enumerate(zip(f["histories"], f["codes"].astype(int), statuses)):
        if status != names[code]:
            hint = next((f" Likely mistake: {text}" for variant, text in TRIAL_MISTAKES.items()
                         if f"v_{variant}_codes" in f and got == [int(c) for c in f[f"v_{variant}_codes"]]), "")
            raise CheckFailed(f"{name}: history {i} {np.array2string(history, precision=3)} with abort_factor "
                              f"{factor:g}: got {status!r}, expected {names[code]!r}.{hint}")
    status, _ = call(trial_status, name, [], abort_factor=factor)
    if status != "ok":
        raise CheckFailed(f"{name}: an empty loss history gave {status!r}, expected 'ok'.")


# --------------------------------------------------------------------------
def _recording_train_fn():
    """A train_fn whose outcome depends on how many calls came before, and the list of configs it saw.

    Every third run diverges to 2.83x its first loss (aborted at abort_factor
    2 or 2.5, not at the default 3), every fifth gives NaN: whatever the
    configs drawn, some runs of every search are aborted.
    """
    seen = []

    def train_fn(config):
        seen.append(dict(config))
        lr = config["lr"]
        losses = [2.3, 2.0, 1.8, 1.7]
        if len(seen) % 3 == 0:
            losses = [2.3, 2.5, 6.5]
        elif len(seen) % 5 == 0:
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
        hint = (" Likely mistake: one trial too many or too few (range(n_trials) runs n_trials times)."
                if isinstance(trials, list) and abs(len(trials) - expected_len) == 1 else "")
        raise CheckFailed(f"{name} must return a list of {expected_len} trials, one per run; got {got}.{hint}")
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
    for i, trial in enumerate(trials):
        history = trial["result"]["loss_history"]
        expected = trial_status(history, abort_factor)
        if trial["status"] != expected:
            defaulted = abort_factor != 3.0 and all(t["status"] == trial_status(t["result"]["loss_history"])
                                                    for t in trials)
            hint = ("the abort_factor argument was not passed on (the default 3 used): "
                    if defaulted else "the status must be ")
            raise CheckFailed(f"{name}: trial {i} (loss history {history}) has status "
                              f"{trial['status']!r}, expected {expected!r}. Likely mistake: {hint}"
                              f"trial_status(result['loss_history'], abort_factor), here abort_factor={abort_factor:g}.")


@SUITE.graded("random_search", points=3, uses=("sample_config", "trial_status"))
def test_random_search(random_search, case="visible"):
    """Named mistakes: one config drawn for all trials; a new Generator (repeats); the global
    np.random state; configs not from sample_config (linear 'log_uniform'); the status not from
    trial_status, or abort_factor not passed on; n_trials = 0 running something."""
    name = "random_search"
    space = _search_space(case)
    n_trials, factor = (40, 2.5) if case == "visible" else (33, 2.0)   # never the default 3
    kwargs = {"abort_factor": factor}
    train_fn, seen = _recording_train_fn()
    rng = _rng(name, case, 0)
    trials, _ = call(random_search, name, train_fn, space, n_trials, rng, **kwargs)
    _check_trials(name, trials, seen, n_trials, factor)
    for i, trial in enumerate(trials):
        for key, spec in space.items():
            v = trial["config"].get(key)
            inside = v in spec[1] if spec[0] == "choice" else (v is not None and spec[1] <= v <= spec[2])
            if not inside:
                raise CheckFailed(f"{name}: trial {i} has '{key}' = {v!r}, outside the space's {spec}.")
    distinct = len({tuple(sorted((k, str(v)) for k, v in t["config"].items())) for t in trials})
    if distinct < n_trials // 2:
        raise CheckFailed(f"{name}: only {distinct} distinct configs in {n_trials} trials. Likely mistake: the "
                          "config is drawn once, outside the loop; draw a new one for every trial.")
    lrs = np.array([t["config"]["lr"] for t in trials])
    low, high = np.log10(space["lr"][1]), np.log10(space["lr"][2])
    if np.mean(lrs >= 0.1) > 0.75:   # log-uniform: 20% (visible) or 29% (hidden) expected; linear: 90%+
        raise CheckFailed(f"{name}: {np.mean(lrs >= 0.1):.0%} of the learning rates are >= 0.1, where a "
                          f"'log_uniform' draw puts about {(high + 1) / (high - low):.0%}. Likely mistake: the configs do not come from "
                          "sample_config(space, rng) (if they do, sample_config or log_uniform draws 'lr' "
                          "linearly: check those).")
    # the given Generator is used (and advanced), the global state is not
    seen.clear()
    more, _ = call(random_search, name, train_fn, space, 3, rng, **kwargs)
    if [t["config"] for t in more] == [t["config"] for t in trials[:3]]:
        raise CheckFailed(f"{name}: a second search with the same (already used) Generator repeated the first "
                          "configs. Likely mistake: a new Generator made inside the function; draw from the rng "
                          "argument.")
    runs = []

    def run():
        seen.clear()
        runs.append([t["config"] for t in call(random_search, name, train_fn, space, 4,
                                               _rng(name, case, 3), **kwargs)[0]])
    global_state_untouched(name, run)
    run()
    if runs[0] != runs[1]:
        raise CheckFailed(f"{name}: the same seed gave different configs. Likely mistake: you drew "
                          "from the global np.random state (np.random.uniform...) instead of the rng argument.")
    seen.clear()
    empty, _ = call(random_search, name, train_fn, space, 0, _rng(name, case, 4), **kwargs)
    if empty != [] or seen:
        raise CheckFailed(f"{name}: n_trials = 0 must run nothing and return []. Likely mistake: a loop that "
                          "runs at least once.")


# --------------------------------------------------------------------------
@SUITE.graded("grid_search", points=2, uses=("trial_status",))
def test_grid_search(grid_search, case="visible"):
    """Named mistakes: the axes in the wrong order (first key fastest, or sorted keys); an int
    points_per_axis not applied to every axis; the status not from trial_status, or abort_factor
    not passed on."""
    from ..hyperopt import grid_values   # given helper (the reference in the grader)

    name = "grid_search"
    f = SUITE.load(name, case)
    choice = [float(v) for v in f["choice"]]
    space = {"lr": ("log_uniform", *map(float, f["lr"])), "reg": ("uniform", *map(float, f["reg"])),
             "hidden": ("int", *map(int, f["hidden"])), "p": ("choice", choice)}
    factor = 2.5                                   # not the default 3: a status from the default shows
    for points, expected in ((dict(zip(["lr", "reg", "hidden"], map(int, f["counts"]))), f["configs"]),
                             (int(f["counts"][0]), f["configs_int"])):
        seen = []

        def train_fn(config):
            seen.append(dict(config))
            explodes = config["lr"] >= float(np.sqrt(f["lr"][0] * f["lr"][1]))   # 2.8x: aborted at 2.5, not 3
            return {"val_acc": 0.5, "loss_history": [1.0, 2.8] if explodes else [1.0, 0.5], "lr_seen": config["lr"]}

        try:
            trials, _ = call(grid_search, name, train_fn, space, points, abort_factor=factor)
        except CheckFailed as exc:
            if isinstance(points, int) and "has no attribute" in str(exc):
                raise CheckFailed(f"{exc} Likely mistake: points_per_axis may be one int for every axis; use the "
                                  "counts the given code computed from it.") from None
            raise
        what = f"points_per_axis={points!r}"
        if not isinstance(trials, list) or len(trials) != len(expected):
            got = f"{len(trials)} trials" if isinstance(trials, list) else type(trials).__name__
            raise CheckFailed(f"{name}: {what}: expected {len(expected)} trials (the product of the axes' lengths "
                              f"{[len(set(expected[:, j])) for j in range(4)]}), got {got}.")
        _check_trials(name, trials, seen, len(expected), factor)
        got = np.array([[t["config"][k] for k in space] for t in trials], dtype=np.float64)
        counts = {k: points.get(k, 0) if isinstance(points, dict) else points for k in space}
        axes = {k: grid_values(space[k], counts[k]) for k in space}

        def grid(order):
            return np.array([[dict(zip(order, c))[k] for k in space] for c in itertools.product(*[axes[k] for k in order])],
                            dtype=np.float64)
        mistakes = [("the axes vary in the wrong order: itertools.product over the axes in the space's key "
                     "order makes the last key vary fastest.", grid(list(space)[::-1])),
                    ("the axes were taken in sorted key order; take them in the space's own key order (the "
                     "last key varies fastest).", grid(sorted(space)))]
        expect_array(name, f"the grid of configs ({what}; one row per trial: lr, reg, hidden, p)", got, expected,
                     1e-9, mistakes=mistakes)
