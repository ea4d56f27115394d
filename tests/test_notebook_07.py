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


def test_rules_on_the_deep_net(nb7):
    r = nb7["rules_on_net"]
    loss, acc = r["final_loss"], r["val_accuracy"]
    for rule in ("momentum_update", "nesterov_momentum", *ADAPTIVE):
        # in every seed, every other rule ends far below plain SGD's loss
        assert max(loss[rule]) < 0.75 * min(loss["sgd"]), rule
        assert min(acc[rule]) > max(acc["sgd"]) + 0.05, rule
        assert r["mean_val_accuracy"][rule] > 0.7
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


def test_dropout_narrows_the_gap(nb7):
    g = nb7["dropout_gap"]
    assert g["train_accuracy"]["plain"] > 0.97                 # the small set is overfit
    assert g["gap"]["dropout 0.5"] < g["gap"]["plain"] - 0.05
    assert abs(g["val_accuracy"]["dropout 0.5"] - g["val_accuracy"]["plain"]) < 0.02   # "about the same"
    assert g["train_accuracy"]["dropout 0.5"] < g["train_accuracy"]["plain"] - 0.03


def test_dropout_is_a_geometric_ensemble_for_one_hidden_layer(nb7):
    e = nb7["dropout_ensemble"]
    assert e["subnetworks"] == 1024 and e["weights_sum"] == pytest.approx(1.0)
    assert e["max_diff_geometric_vs_test_time"] < 1e-12
    assert e["max_diff_arithmetic_vs_test_time"] > 1e-3


def test_l2_shrinks_weights_and_the_gap(nb7):
    l2 = nb7["l2"]
    norms, gap, val = l2["weight_norm"], l2["gap"], l2["val_accuracy"]
    assert all(a > b for a, b in zip(norms, norms[1:]))        # monotone in the strength
    assert norms[-1] < 0.1 * norms[0]
    assert gap[0] > 0.15 and gap[-1] < gap[0] - 0.1
    assert val[-1] < val[0] - 0.1 and val[-2] < val[0] - 0.02   # the two strongest settings underfit
    assert abs(gap[1] - gap[0]) < 0.03                        # a small strength changes little


def test_batchnorm_and_dropout_measured(nb7):
    b = nb7["batchnorm_dropout"]
    assert all(len(v) == 3 for v in b["val_accuracy"].values())
    # what the text claims: dropout narrows the gap with and without batch norm; batch norm alone does not
    assert b["gap"]["dropout 0.5"] < b["gap"]["plain"] - 0.05
    assert b["gap"]["batchnorm + dropout 0.5"] < b["gap"]["batchnorm"] - 0.05
    assert b["gap"]["batchnorm"] > b["gap"]["plain"] - 0.03
    # and both gains in validation accuracy are within noise of zero (the text says it cannot separate them)
    assert abs(b["dropout_gain_without_bn"]) < 0.02 and abs(b["dropout_gain_with_bn"]) < 0.02


def test_student_experiment_reference_outcome_passes(nb7):
    from cs231n_lite.selfcheck.optimization import check_adam_lr_search
    a = nb7["adam_lr"]
    results = {float(k): v for k, v in a["results"].items()}
    assert check_adam_lr_search(results, a["best_lr"])
    assert a["best_lr"] in (1e-3, 1e-2)
