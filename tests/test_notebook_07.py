"""Notebook 07 runs top to bottom on the reference build and shows what its text says, in numbers."""
import numpy as np
import pytest

from cs231n_lite.measure import collect
from test_notebooks import executed_notebook

pytestmark = pytest.mark.notebooks
NAME = "07_update_rules_and_regularization.ipynb"
ADAPTIVE = ("adagrad", "rmsprop", "adam")


@pytest.fixture(scope="module")
def executed():
    return executed_notebook(NAME)


@pytest.fixture(scope="module")
def nb7(executed):
    return collect(executed)


@pytest.fixture(scope="module")
def executed_04():
    return executed_notebook("04_batch_normalization.ipynb")


def test_runs_clean_and_every_grade_cell_passes(executed):
    grade_cells = 0
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", (cell.source[:80], output.get("evalue"))
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            grade_cells += 1
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "visible checks passed" in text and "stderr" not in [o.get("name") for o in cell.outputs]
    assert grade_cells == 11


def test_live_dropout_gradient_check(executed):
    line = next(o["text"] for c in executed.cells for o in c.get("outputs", [])
                if "dropout_backward relative error" in o.get("text", ""))
    assert float(line.split(":")[1]) < 1e-9


def test_paths_on_ravine_and_saddle(nb7):
    p = nb7["paths"]
    zig = p["w2_sign_changes_first_20_steps"]
    assert zig["sgd"] == 20                                    # SGD flips w2 at every step
    assert zig["momentum_update"] <= 5 and all(zig[r] <= 5 for r in ADAPTIVE)
    assert p["overshoot_past_w1_0"]["momentum_update"] > 0.3    # momentum overshoots the minimum
    assert p["overshoot_past_w1_0"]["sgd"] < 0
    for r in ADAPTIVE:                                          # per-dimension rescaling: equal first step
        assert p["first_step_ratio_w1_over_w2"][r] == pytest.approx(1.0, abs=1e-6)
    assert p["first_step_ratio_w1_over_w2"]["sgd"] == pytest.approx(4 / 25)
    saddle = p["saddle_steps"]
    assert saddle["sgd"] > 50 and all(saddle[r] < saddle["sgd"] / 10 for r in ADAPTIVE)
    assert all(0 < v < 2000 for v in p["ravine_steps"].values())   # every rule reached the tolerance
    # the reference answer: SGD near its stability limit is not slow here; momentum's overshoot costs it steps
    ravine = p["ravine_steps"]
    assert ravine["sgd"] <= max(v for r, v in ravine.items() if r != "sgd")
    assert ravine["momentum_update"] > ravine["sgd"]
    assert 50 < saddle["sgd"] < 200 and 50 < saddle["momentum_update"] < 200    # "about a hundred steps"


def test_rules_on_the_deep_net(nb7):
    r = nb7["rules_on_net"]
    loss, acc = r["final_loss"], r["val_accuracy"]
    assert all(len(v) == 3 for v in acc.values())
    for rule in ("momentum_update", "nesterov_momentum", *ADAPTIVE):
        # in every seed, every other rule ends far below plain SGD's loss at momentum's rate
        assert max(loss[rule]) < 0.75 * min(loss["sgd"]), rule
        assert min(acc[rule]) > max(acc["sgd"]) + 0.05, rule
        assert r["mean_val_accuracy"][rule] > 0.7
    # the fair comparison: SGD at momentum's effective step eta / (1 - mu) = 0.2 matches momentum, seed by seed
    for seed in range(3):
        assert abs(acc["sgd (lr 0.2)"][seed] - acc["momentum_update"][seed]) < 0.02
        assert abs(loss["sgd (lr 0.2)"][seed] - loss["momentum_update"][seed]) < 0.05
    # what the text says about the defaults: AdaGrad and RMSProp end lower than momentum, Nesterov and Adam
    for rule in ("adagrad", "rmsprop"):
        assert max(loss[rule]) < min(min(loss[r]) for r in ("momentum_update", "nesterov_momentum", "adam"))


def test_adagrad_rate_shrinks_rmsprop_and_adam_do_not(nb7):
    a = nb7["adagrad_decay"]
    assert a["ratio_2000_over_10"]["adagrad"] == pytest.approx(np.sqrt(10 / 2000), rel=0.3)
    assert a["ratio_2000_over_500"]["adagrad"] == pytest.approx(0.5, abs=0.05)
    for rule in ("rmsprop", "adam"):
        assert a["ratio_2000_over_500"][rule] == pytest.approx(1.0, abs=0.1)
    assert a["ratio_2000_over_10"]["adam"] > 0.8
    assert a["adagrad_cache_step_2000"] == pytest.approx(2000, rel=0.05)
    assert a["rmsprop_cache_step_2000"] == pytest.approx(1.0, abs=0.2)


def test_step_decay_beats_the_constant_rate(nb7):
    s = nb7["schedules"]
    diff = s["decayed_minus_constant"]["step (x0.3 every 133)"]
    assert len(diff) == 3 and all(d < 0 for d in diff)         # lower in every seed
    assert s["mean_end_training_loss"]["step (x0.3 every 133)"] < s["mean_end_training_loss"]["constant"] - 0.01
    for name in ("exponential (k=0.0075)", "1/t (k=0.025)"):   # "no consistent gain: both signs"
        d = s["decayed_minus_constant"][name]
        assert min(d) < 0 < max(d), name


def test_batch_size_throughput(nb7):
    b = nb7["batch_size"]
    eps = [b["examples_per_second"][k] for k in ("4", "16", "64", "256", "1024")]
    assert eps[-1] > 5 * eps[0] and eps[2] > eps[0]
    steps = [b["steps"][k] for k in ("4", "16", "64", "256", "1024")]
    assert steps[-1] < steps[0]
    loss = b["loss_after_budget"]
    assert min(loss, key=loss.get) not in ("4", "1024")        # an intermediate batch size is best


def test_dropout_layer_statistics(nb7):
    d = nb7["dropout_layer"]
    for p, zeros, mean in zip(d["keep_prob"], d["zeros_fraction"], d["mean_after"]):
        se = np.sqrt(p * (1 - p) / 1e6)
        assert abs(zeros - (1 - p)) < 5.5 * se
        assert abs(mean - 1.0) < 5.5 * np.sqrt((1 - p) / p / 1e6)


def test_dropout_pays_off_on_noisy_labels(nb7):
    d = nb7["dropout_noisy_labels"]
    train, val = d["train_accuracy"], d["val_accuracy"]
    assert len(val["plain"]) == len(val["dropout 0.5"]) >= 3
    assert min(train["plain"]) > 0.85                         # far above the 70% of labels that are right
    assert max(train["dropout 0.5"]) < 0.8                    # dropout does not learn the wrong labels
    assert min(val["dropout 0.5"]) > max(val["plain"]) + 0.03  # every dropout seed above every plain one
    # plain peaks early and falls; dropout peaks later on every seed ("roughly doubles" the iterations)
    steps = d["steps_to_best_val"]
    assert min(steps["dropout 0.5"]) > max(steps["plain"]) and min(b / a for a, b in zip(steps["plain"], steps["dropout 0.5"])) > 1.5
    assert all(best > v + 0.03 for best, v in zip(d["best_val"]["plain"], val["plain"]))
    # "a plain run stopped at its early peak comes close to dropout's accuracy"
    assert all(abs(b - v) < 0.03 for b, v in zip(d["best_val"]["plain"], val["dropout 0.5"]))


def test_dropout_is_a_geometric_ensemble_for_one_hidden_layer(nb7):
    e = nb7["dropout_ensemble"]
    assert e["subnetworks"] == 1024 and e["weights_sum"] == pytest.approx(1.0)
    assert e["max_diff_geometric_vs_test_time"] < 1e-12
    assert e["max_diff_arithmetic_vs_test_time"] > 0.05        # "differs clearly", not "close"


def test_l2_search_pays_off_on_noisy_labels(nb7):
    l2 = nb7["l2"]
    norms, train, val = l2["weight_norm"], l2["train_accuracy"], l2["val_accuracy"]
    assert all(a > b for a, b in zip(norms, norms[1:]))        # monotone in the strength
    assert all(a > b for a, b in zip(train, train[1:]))        # the noisy labels are fit less and less
    best = l2["regs"].index(l2["best_reg"])
    assert 0 < best < len(val) - 1 and val[best] == max(val)   # bracketed: stronger L2 underfits
    assert val[-1] < val[best] - 0.1
    # the best strength is above the plain network on every seed
    assert min(l2["val_accuracy_best_reg"]) > max(l2["val_accuracy_plain"]) + 0.03


def test_batchnorm_and_dropout_measured(nb7, executed_04):
    b = nb7["batchnorm_dropout"]
    val = b["val_accuracy"]
    assert all(len(v) == 3 for v in val.values())
    # batch norm alone does not regularize on the noisy labels: lower than plain on every seed...
    assert max(val["batchnorm"]) < min(val["plain"]) and b["batchnorm_minus_plain"] < -0.02
    # ...which is what notebook 04 measured on the same images and labels (its own network and optimizer)
    nb4 = collect(executed_04)["batchnorm_regularizer"]["val_accuracy"]
    assert max(nb4["batchnorm"]) < min(nb4["no normalization"])
    # dropout still helps with batch norm, at least as much as without
    assert min(val["batchnorm + dropout 0.5"]) > max(val["batchnorm"]) + 0.05
    assert b["dropout_gain_with_bn"] >= b["dropout_gain_without_bn"] - 0.01 and b["dropout_gain_without_bn"] > 0.03


def test_student_experiment_reference_outcome_passes(executed):
    text = "".join(o.get("text", "") for c in executed.cells if "check_l2_search" in c.source for o in c.outputs)
    assert "PASS L2 strength" in text
