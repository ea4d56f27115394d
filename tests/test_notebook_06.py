"""Notebook 06 (hyperparameter optimization) runs clean and shows the lecture's phenomena.

It runs in quick mode (CS231N_LITE_QUICK=1: fewer trials, seeds and epochs), as the test
suite always does; the asserted effects hold at that scale too.
"""
import pytest

from cs231n_lite.measure import collect
from test_notebooks import assert_runs_clean, executed_notebook

pytestmark = pytest.mark.notebooks
NAME = "06_hyperparameter_optimization.ipynb"


@pytest.fixture(scope="module")
def executed():
    return executed_notebook(NAME)


@pytest.fixture(scope="module")
def nb6(executed):
    return collect(executed)


def test_runs_clean(executed):
    assert_runs_clean(executed)


def test_log_sampling(nb6):
    s = nb6["log_sampling"]
    assert s["per_decade"]["log"] == pytest.approx([1 / 6] * 6, abs=0.02)
    assert s["top_decade_fraction"]["linear"] == pytest.approx(0.9, abs=0.02)
    assert s["useful_decade_fraction"]["log"] > 1.5 * s["useful_decade_fraction"]["linear"]
    assert s["slow_decade_fraction"]["log"] > 10 * s["slow_decade_fraction"]["linear"]


def test_random_beats_grid(nb6):
    r = nb6["random_vs_grid"]
    grid, rand = r["mean_best"]["grid"], r["mean_best"]["random"]
    se_grid, se_rand = r["standard_error"]["grid"], r["standard_error"]["random"]
    for j, n in enumerate(r["budgets"]):
        assert rand[j] - grid[j] > 3 * (se_grid[j] ** 2 + se_rand[j] ** 2) ** 0.5, n   # effect size
        assert r["random_wins_fraction"][j] > 0.5
    assert r["distinct_important_values"]["grid"] == [int(n ** 0.5) for n in r["budgets"]]
    assert r["distinct_important_values"]["random"] == r["budgets"]


def test_coarse_to_fine(nb6):
    c = nb6["coarse_to_fine"]
    assert c["coarse_aborted"] >= 1
    assert c["aborted_min_lr"] > c["ok_max_lr"]          # the 3x rule stopped exactly the largest rates
    assert c["fine_best_val"] > c["coarse_best_val"]
    lo, hi = c["fine_lr_range"]
    assert 1e-4 <= lo < hi <= 10 and (hi / lo) < 1e5      # narrower than the coarse five decades
    assert 0.01 <= c["best_config"]["lr"] <= 0.5
    assert c["fine_best_val"] > 0.8


def test_edge_warning(nb6):
    e = nb6["edge_warning"]
    assert "upper edge" in e["warning"] and "lr" in e["warning"]
    assert e["refined_lr_range"][1] == pytest.approx(1e-3)


def test_early_stopping_and_decay(nb6):
    s = nb6["early_stopping"]
    assert s["restored_val"] == pytest.approx(s["val_kept"])
    assert s["best_epoch"] <= s["stop_epoch"] < s["epochs"]
    assert s["compute_saved"] == pytest.approx(1 - (s["stop_epoch"] + 1) / s["epochs"])
    assert s["val_kept"] <= s["best_val_all_epochs"] and s["val_kept"] > 0.8
    d = nb6["decay_on_plateau"]
    assert d["reductions"] >= 1
    assert d["decay_best"] > 0.8 and abs(d["decay_best"] - d["constant_best"]) < 0.03


def test_my_search_reaches_the_target(nb6):
    m = nb6["my_search"]
    assert m["passed"] is True and m["tuned_val_acc"] >= m["target"] == 0.85
    assert 100 <= m["best_config"]["hidden"] <= 400


def test_test_set_once(executed, nb6):
    t = nb6["test_once"]
    assert t["val_acc"] == nb6["my_search"]["tuned_val_acc"]
    assert 0.8 < t["test_acc"] < 0.95
    sources = [c.source for c in executed.cells if c.cell_type == "code"]
    assert sum('fashion["X_test"]' in s for s in sources) == 1
