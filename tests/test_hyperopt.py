"""Hyperparameter search (notebook 06): the reference passes, each known mistake is named,
the statistical checks do not fail correct samplers, and the given helpers behave."""
import itertools

import numpy as np
import pytest

from cs231n_lite import hyperopt as H
from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.selfcheck import hyperopt as T
from cs231n_lite.selfcheck.fixtures import install_hidden
from helpers import failure_message
from grading.judge.hidden import HiddenSource


@pytest.mark.parametrize("name", ["log_uniform", "sample_config", "random_search"])
def test_statistical_checks_pass_correct_code_for_many_students(name):
    # 40 students' hidden draws: a check failing correct code more than rarely would show here
    previous = install_hidden(None)
    try:
        for student in range(40):
            install_hidden(HiddenSource(b"stats", f"s{student}"))
            getattr(T, f"test_{name}")(getattr(H, name), case="hidden")
    finally:
        install_hidden(previous)


# --- wrong implementations ----------------------------------------------------
def log_uniform_linear(low, high, size, rng):
    return rng.uniform(low, high, size)


def log_uniform_mixed_bases(low, high, size, rng):
    return 10.0 ** rng.uniform(np.log(low), np.log(high), size)


def log_uniform_global(low, high, size, rng):
    return 10.0 ** np.random.uniform(np.log10(low), np.log10(high), size)


def sample_config_exclusive_int(space, rng):
    config = H.sample_config(space, rng)
    for k, spec in space.items():
        if spec[0] == "int":
            config[k] = int(rng.integers(spec[1], spec[2])) if spec[2] > spec[1] else spec[1]
    return config


def sample_config_linear(space, rng):
    config = H.sample_config(space, rng)
    for k, spec in space.items():
        if spec[0] == "log_uniform":
            config[k] = float(rng.uniform(spec[1], spec[2]))
    return config


def sample_config_fresh_rng(space, rng):
    return H.sample_config(space, np.random.default_rng(0))


def status_vs_min(loss_history, abort_factor=3.0):
    h = np.asarray(loss_history, float)
    if h.size and not np.isfinite(h).all():
        return "aborted: NaN"
    return H.exploded_status(abort_factor) if h.size and h.max() > abort_factor * h.min() else "ok"


def status_at_or_above(loss_history, abort_factor=3.0):
    h = np.asarray(loss_history, float)
    if h.size and not np.isfinite(h).all():
        return "aborted: NaN"
    return H.exploded_status(abort_factor) if h.size and (h >= abort_factor * h[0]).any() else "ok"


def status_last_only(loss_history, abort_factor=3.0):
    h = np.asarray(loss_history, float)
    if h.size and not np.isfinite(h).all():
        return "aborted: NaN"
    return H.exploded_status(abort_factor) if h.size and h[-1] > abort_factor * h[0] else "ok"


def status_no_nan_check(loss_history, abort_factor=3.0):
    h = np.asarray(loss_history, float)
    return H.exploded_status(abort_factor) if h.size and (h > abort_factor * h[0]).any() else "ok"


def random_search_one_config(train_fn, space, n_trials, rng, abort_factor=3.0):
    config = H.sample_config(space, rng)
    trials = []
    for _ in range(n_trials):
        result = train_fn(dict(config))
        trials.append({"config": config, "result": result,
                       "status": H.trial_status(result["loss_history"], abort_factor)})
    return trials


def random_search_own_rng(train_fn, space, n_trials, rng, abort_factor=3.0):
    return H.random_search(train_fn, space, n_trials, np.random.default_rng(0), abort_factor)


def random_search_no_status(train_fn, space, n_trials, rng, abort_factor=3.0):
    trials = H.random_search(train_fn, space, n_trials, rng, abort_factor)
    return [dict(t, status="ok") for t in trials]


def random_search_linear(train_fn, space, n_trials, rng, abort_factor=3.0):
    linear = {k: ("uniform", *spec[1:]) if spec[0] == "log_uniform" else spec for k, spec in space.items()}
    trials = H.random_search(train_fn, linear, n_trials, rng, abort_factor)
    return trials


def grid_search_first_fastest(train_fn, space, points_per_axis, abort_factor=3.0):
    names = list(space)[::-1]
    axes = [H.grid_values(space[n], points_per_axis.get(n, 0) if isinstance(points_per_axis, dict)
                          else points_per_axis) for n in names]
    trials = []
    for values in itertools.product(*axes):
        config = {n: values[names.index(n)] for n in space}
        result = train_fn(dict(config))
        trials.append({"config": config, "result": result,
                       "status": H.trial_status(result["loss_history"], abort_factor)})
    return trials


def refine_linear(trials, key, space, metric="val_acc", top=5, edge=0.1, pad=0.1):
    kind, low, high = space[key]
    as_uniform = {key: ("uniform", low, high) if kind == "log_uniform" else space[key]}
    (_, lo, hi), warning = H.refine_range(trials, key, as_uniform, metric, top, edge, pad)
    return (kind, lo, hi), warning


def refine_with_aborted(trials, key, space, metric="val_acc", top=5, edge=0.1, pad=0.1):
    return H.refine_range([dict(t, status="ok") for t in trials], key, space, metric, top, edge, pad)


def refine_never_warns(trials, key, space, metric="val_acc", top=5, edge=0.1, pad=0.1):
    return H.refine_range(trials, key, space, metric, top, edge, pad)[0], None


def early_stopping_global_best(history, patience, snapshots=None, mode="max", min_delta=0.0):
    out = H.early_stopping(history, patience, snapshots, mode, min_delta)
    best = int(np.argmax(history) if mode == "max" else np.argmin(history))
    return dict(out, best_epoch=best, best_value=history[best],
                params=None if snapshots is None else snapshots[best])


def early_stopping_ties_improve(history, patience, snapshots=None, mode="max", min_delta=0.0):
    sign = 1 if mode == "max" else -1
    best, stop = 0, len(history) - 1
    for e in range(1, len(history)):
        if sign * (history[e] - history[best]) >= min_delta:      # >=: a tie counts as an improvement
            best = e
        elif e - best >= patience:
            stop = e
            break
    return {"best_epoch": best, "best_value": history[best], "stop_epoch": stop,
            "params": None if snapshots is None else snapshots[best]}


def early_stopping_ignores_min_delta(history, patience, snapshots=None, mode="max", min_delta=0.0):
    return H.early_stopping(history, patience, snapshots, mode, 0.0)


def decay_without_reset(history, learning_rate, factor=0.5, patience=2, mode="max", min_delta=0.0):
    lr, best, waited, rates = learning_rate, None, 0, []
    for v in history:
        if best is None or (v > best + min_delta if mode == "max" else v < best - min_delta):
            best, waited = v, 0
        else:
            waited += 1
            if waited >= patience:
                lr *= factor
        rates.append(lr)
    return rates


CASES = [
    (T.test_log_uniform, log_uniform_linear, "sampled uniformly on [low, high]"),
    (T.test_log_uniform, log_uniform_mixed_bases, "exponent is drawn on the wrong interval"),
    (T.test_log_uniform, log_uniform_global, "global np.random state"),
    (T.test_sample_config, sample_config_exclusive_int, "rng.integers(low, high) excludes high"),
    (T.test_sample_config, sample_config_linear, "use log_uniform"),
    (T.test_sample_config, sample_config_fresh_rng, "three calls with the same Generator"),
    (T.test_trial_status, status_vs_min, "compared with the smallest loss"),
    (T.test_trial_status, status_at_or_above, "is not above it; use >"),
    (T.test_trial_status, status_last_only, "only looked at the last loss"),
    (T.test_trial_status, status_no_nan_check, "must be detected first"),
    (T.test_random_search, random_search_one_config, "drawn once, outside the loop"),
    (T.test_random_search, random_search_own_rng, "(already used) Generator"),
    (T.test_random_search, random_search_no_status, "the status must be trial_status"),
    (T.test_random_search, random_search_linear, "the configs do not come from sample_config"),
    (T.test_grid_search, grid_search_first_fastest, "the last key vary fastest"),
    (T.test_refine_range, refine_linear, "refined in log10 space"),
    (T.test_refine_range, refine_with_aborted, "ranked the aborted trials too"),
    (T.test_refine_range, refine_never_warns, "upper edge"),
    (T.test_early_stopping, early_stopping_global_best, "best of the whole history"),
    (T.test_early_stopping, early_stopping_ties_improve, "a tie is not an improvement"),
    (T.test_early_stopping, early_stopping_ignores_min_delta, "min_delta"),
    (T.test_decay_on_plateau, decay_without_reset, "restarts at 0"),
]


@pytest.mark.parametrize("test,wrong,phrase", CASES, ids=[w.__name__ for _, w, _ in CASES])
def test_detector_names_the_mistake(test, wrong, phrase):
    assert phrase in failure_message(test, wrong)


HIDDEN_CASES = [c for c in CASES if c[1] is not early_stopping_ties_improve]   # ties: visible case only


@pytest.mark.parametrize("test,wrong,phrase", HIDDEN_CASES, ids=[w.__name__ for _, w, _ in HIDDEN_CASES])
def test_hidden_case_also_fails_the_mistake(test, wrong, phrase):
    failure_message(test, wrong, case="hidden")


def test_stubs_fail_with_not_implemented():
    def stub(*args, **kwargs):
        raise NotImplementedError("log_uniform is not implemented yet: write it in cs231n_lite/hyperopt.py")
    assert "not implemented yet" in failure_message(T.test_log_uniform, stub)


# --- behaviour of the reference and of the given helpers ----------------------
def test_trial_status_rule():
    assert H.trial_status([2.0, 6.0]) == "ok"
    assert H.trial_status([2.0, 6.0001]) == "aborted: loss > 3x initial"
    assert H.trial_status([2.0, float("nan"), 100.0]) == "aborted: NaN"
    assert H.trial_status([2.0, float("inf")]) == "aborted: NaN"
    assert H.trial_status([1.0, 2.5], abort_factor=2) == "aborted: loss > 2x initial"
    assert H.trial_status([]) == "ok"


def test_early_stopping_and_decay_examples():
    out = H.early_stopping([0.5, 0.6, 0.65, 0.64, 0.66, 0.66, 0.65, 0.64, 0.70], 3, snapshots=list("abcdefghi"))
    assert (out["best_epoch"], out["stop_epoch"], out["params"]) == (4, 7, "e")
    assert H.decay_on_plateau([1, 1, 1, 1, 1], 1.0, 0.5, 2) == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert H.decay_on_plateau([3, 2, 1], 0.1, mode="min") == [0.1, 0.1, 0.1]


def test_refine_range_keeps_kind_and_warns_at_edges():
    space = {"lr": ("log_uniform", 1e-5, 1e-1), "n": ("int", 10, 100)}
    trials = [{"config": {"lr": lr, "n": n}, "result": {"val_acc": acc}, "status": "ok"}
              for lr, n, acc in [(1e-2, 50, 0.9), (3e-3, 55, 0.8), (1e-4, 99, 0.5), (5e-2, 10, 0.7)]]
    (kind, lo, hi), warning = H.refine_range(trials, "lr", space, top=2)
    assert kind == "log_uniform" and warning is None
    assert lo == pytest.approx(10 ** (np.log10(3e-3) - 0.4)) and hi == pytest.approx(10 ** (-2 + 0.4))
    (kind, lo, hi), _ = H.refine_range(trials, "n", space, top=3)
    assert kind == "int" and isinstance(lo, int) and (lo, hi) == (10, 64)   # 10 - 9 clipped; 55 + 9
    trials[0]["config"]["lr"] = 9e-2
    assert "upper edge" in H.refine_range(trials, "lr", space)[1]
    with pytest.raises(ValueError):
        H.refine_range([dict(t, status="aborted: NaN") for t in trials], "lr", space)


def test_grid_search_counts_and_values():
    space = {"lr": ("log_uniform", 1e-4, 1e-1), "h": ("int", 1, 2), "act": ("choice", ["relu", "tanh"])}
    trials = H.grid_search(lambda c: {"loss_history": [1.0]}, space, {"lr": 4, "h": 5})
    assert len(trials) == 4 * 2 * 2
    assert [t["config"]["lr"] for t in trials[::4]] == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert [t["config"]["act"] for t in trials[:2]] == ["relu", "tanh"]


def test_with_progress_counts_calls():
    class Bar:
        n = 0

        def update(self, k):
            self.n += k
    bar = Bar()
    fn = H.with_progress(lambda c: {"loss_history": [1.0], "x": c["x"]}, bar)
    H.random_search(fn, {"x": ("uniform", 0, 1)}, 5, np.random.default_rng(0))
    assert bar.n == 5


def _tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 20)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0).astype(int)
    return {"X_train": X[:150], "y_train": y[:150], "X_val": X[150:], "y_val": y[150:]}


def test_train_by_epoch_saves_snapshots_and_follows_the_schedule():
    data = _tiny_data()
    net = FullyConnectedNet([16], input_dim=20, num_classes=4, weight_scale=0.3, seed=0, dtype=np.float32)
    run = H.train_by_epoch(net, data, 0.05, 6, next_rate=lambda h: 0.05 * 0.5 ** len(h), batch_size=50)
    assert run["stop_reason"] is None and len(run["val_acc"]) == len(run["snapshots"]) == 6
    assert run["rates"] == pytest.approx([0.05 * 0.5 ** k for k in range(6)])
    assert len(run["loss_history"]) == 6 * 3 and np.mean(run["loss_history"][-3:]) < run["loss_history"][0]
    assert not np.array_equal(run["snapshots"][0]["W1"], run["snapshots"][-1]["W1"])
    assert H.trial_status(run["loss_history"]) == "ok"


def test_train_by_epoch_stops_a_diverging_run_and_the_search_reports_it():
    data = _tiny_data(1)
    net = FullyConnectedNet([16], input_dim=20, num_classes=4, weight_scale=0.3, seed=0)
    run = H.train_by_epoch(net, data, 50.0, 5, batch_size=50)
    assert run["stop_reason"] and H.trial_status(run["loss_history"]).startswith("aborted")
    assert len(run["loss_history"]) < 5 * 3


def test_train_by_epoch_judges_divergence_against_the_run_s_first_loss():
    # a later epoch's own first loss is small; noise above 3x *that* must not stop the run
    data = _tiny_data(2)
    net = FullyConnectedNet([32], input_dim=20, num_classes=4, weight_scale=0.3, seed=0)
    run = H.train_by_epoch(net, data, 0.03, 12, batch_size=10)
    assert H.trial_status(run["loss_history"]) == "ok"
    assert run["stop_reason"] is None and len(run["val_acc"]) == 12
    h, n = np.array(run["loss_history"]), 15
    assert any((h[e * n:(e + 1) * n] > 3 * h[e * n]).any() for e in range(1, 12))   # a per-epoch guard would stop


def test_check_search_outcome(capsys):
    assert T.check_search_outcome(0.86, 0.85, [1, 2])
    assert "PASS" in capsys.readouterr().out
    assert not T.check_search_outcome(0.80, 0.85)
    assert "FAIL" in capsys.readouterr().out
    assert not T.check_search_outcome(None, 0.85)


def test_notebook_states_the_number_of_configurations_the_test_draws():
    from grading.release.course import notebook_files
    text = {nb.name: nb for nb in notebook_files()}["06_hyperparameter_optimization.ipynb"].read_text()
    assert f"The test draws {T.SAMPLE_CONFIG_DRAWS} configurations" in text
