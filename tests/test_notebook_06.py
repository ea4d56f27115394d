"""Notebook 06 (hyperparameter optimization) runs clean and shows the lecture's phenomena.

Under pytest the setup cell turns quick mode on, which only averages experiment 2 (random vs
grid search on a synthetic objective) over fewer seeds; every training experiment runs exactly
as a student runs it.
"""
import pytest

from cs231n_lite.measure import collect
from test_notebooks import executed_notebook

pytestmark = pytest.mark.notebooks
NAME = "06_hyperparameter_optimization.ipynb"


@pytest.fixture(scope="module")
def executed():
    return executed_notebook(NAME)


@pytest.fixture(scope="module")
def nb6(executed):
    return collect(executed)


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


def test_grid_grows_exponentially(nb6):
    trials = {int(d): n for d, n in nb6["grid_growth"]["trials_by_number_of_hyperparameters"].items()}
    assert trials == {d: 4 ** d for d in range(1, 7)}         # counted by the student's grid_search
    minutes = nb6["coarse_to_fine"]["grid_minutes_at_fine_trials"]
    assert minutes["1"] < 0.5 and 20 < minutes["6"] < 120      # "seconds for one, most of an hour for six"


def test_coarse_to_fine(nb6):
    c = nb6["coarse_to_fine"]
    assert c["n_coarse"] == 30 and c["n_fine"] == 10
    assert c["coarse_aborted"] >= 1
    assert c["aborted_min_lr"] > c["ok_max_lr"]          # the 3x rule stopped exactly the largest rates
    assert c["fine_best_val"] > c["coarse_best_val"]
    lo, hi = c["fine_lr_range"]
    assert hi == pytest.approx(min(c["padded_lr_high"], c["ok_max_lr"]))   # cut at the largest coarse rate that ran
    assert c["padded_lr_high"] > c["ok_max_lr"]                            # ...which the padding went past
    assert 1e-4 <= lo < hi <= 10 and (hi / lo) < 1e5      # narrower than the coarse five decades
    # "fine_aborted counts trials that diverged although every fine rate lies below ok_max_lr"
    assert c["fine_aborted"] >= 1 and c["fine_aborted_min_lr"] < c["ok_max_lr"]
    assert c["fine_aborted"] <= c["n_fine"] // 2
    # the reference answer to question 1: the best rates lay in [1e-2, 1e-1]
    assert 1e-2 <= c["coarse_best_lr"] <= 1e-1 and 1e-2 <= c["best_config"]["lr"] <= 1e-1
    assert c["fine_best_val"] > 0.8


def test_edge_warning(nb6):
    e = nb6["edge_warning"]
    assert "upper edge" in e["warning"] and "lr" in e["warning"]
    assert e["refined_lr_range"][1] == pytest.approx(1e-3)
    assert nb6["coarse_to_fine"]["coarse_best_lr"] > 1e-3         # better rates lay above the edge


def test_early_stopping_and_decay(nb6):
    s = nb6["early_stopping"]
    val, patience = s["val_per_epoch"], s["patience"]
    best, stop = s["best_epoch"], s["stop_epoch"]                 # counted from 1, as in the figure
    assert len(val) == s["epochs"] and 1 <= best < stop < s["epochs"]
    # what early stopping promises, checked on the real run: the kept value is the best of the epochs
    # seen, the run stops `patience` epochs after it, and the restored parameters give exactly that value
    assert val[best - 1] == s["val_kept"] == max(val[:stop]) and stop == best + patience
    assert s["restored_val"] == s["val_kept"]
    assert s["epochs_not_run"] == s["epochs"] - stop > 0
    # the reference answer: a later epoch beat the kept one, and the last epoch was not the best
    assert max(val[stop:]) > s["val_kept"] and s["last_epoch_val"] < s["best_val_all_epochs"]
    d = nb6["decay_on_plateau"]
    assert d["reductions"] >= 1
    assert d["decay_best"] > 0.8 and abs(d["decay_best"] - d["constant_best"]) < 0.01   # "a few tenths of a percent"
    spread = d["last_5_epochs_spread"]
    assert spread["decay on plateau"] < spread["constant rate"]


def test_my_search_reaches_a_target_the_first_guess_misses(nb6):
    m = nb6["my_search"]
    assert m["passed"] is True and m["tuned_val_acc"] >= m["target"]
    assert m["first_guess_best_epoch"] < m["target"] and m["first_guess_last_epoch"] < m["target"]
    assert 100 <= m["best_config"]["hidden"] <= 400 and m["n_trials"] >= 3


def test_test_set_once(executed, nb6):
    t = nb6["test_once"]
    # the model evaluated on the test set is the tuned one: it gives the validation accuracy reported
    assert t["val_acc_of_the_evaluated_model"] == nb6["my_search"]["tuned_val_acc"]
    assert 0.8 < t["test_acc"] < 0.95
    assert t["validation_minus_test"] == pytest.approx(t["tuned_val_acc"] - t["test_acc"])
    # the test images are touched in exactly one cell, the last code cell that runs a model
    sources = [c.source for c in executed.cells if c.cell_type == "code"]
    touching = [i for i, src in enumerate(sources) if "X_test" in src or "y_test" in src]
    assert len(touching) == 1 and 'report("test_once"' in sources[touching[0]]
    assert all(".loss(" not in src and "train" not in src for src in sources[touching[0] + 1:])
