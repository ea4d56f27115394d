"""Notebook 01 (activation functions) shows the lecture's phenomena with the numbers asserted here."""
import pytest

from cs231n_lite.measure import collect
from test_notebooks import executed_notebook

pytestmark = pytest.mark.notebooks
NAME = "01_activation_functions.ipynb"


@pytest.fixture(scope="module")
def executed():
    return executed_notebook(NAME)


@pytest.fixture(scope="module")
def nb1(executed):
    return collect(executed)


def test_nb1_slopes(nb1):
    s = nb1["slopes"]
    assert s["max_slope"]["sigmoid"] == pytest.approx(0.25, abs=1e-6)
    assert s["max_slope"]["tanh"] == pytest.approx(1.0, abs=1e-6)
    assert s["max_slope"]["relu"] == 1.0
    at = s["slope_at_minus_10"]              # leaky_relu with its default alpha 0.01
    assert at["sigmoid"] == pytest.approx(4.5396e-5, rel=1e-3)
    assert at["relu"] == 0.0 and at["leaky_relu"] == pytest.approx(0.01)
    assert at["elu"] == pytest.approx(4.54e-5, rel=1e-2)


def test_nb1_saturation(nb1):
    s = nb1["saturation"]
    assert s["sigmoid_local_gradient"] == pytest.approx([4.5396e-5, 0.25, 4.5396e-5], rel=1e-3)
    assert s["tanh_local_gradient"][1] == 1.0 and s["tanh_local_gradient"][0] < 1e-8


def test_nb1_gradient_vanishes_through_sigmoid_chain(nb1):
    chain, slope = nb1["chain"]["gradient_norm_per_layer"], nb1["chain"]["mean_local_slope"]
    sigmoid = chain["sigmoid"]
    # each sigmoid layer shrinks the gradient at least 3x (its slope is at most 1/4)
    assert all(upper / lower > 3 for lower, upper in zip(sigmoid, sigmoid[1:]))
    assert max(slope["sigmoid"]) <= 0.25
    assert nb1["chain"]["input_gradient_relu_over_sigmoid"] > 100
    # ReLU keeps most of it: less than a 4x loss over all five layers; so does the unsaturated tanh
    assert chain["relu"][-1] / chain["relu"][0] < 4
    assert chain["tanh"][-1] / chain["tanh"][0] < 4 and min(slope["tanh"]) > 0.5    # "not saturated"
    # with every bias at 3 sigmoid and tanh saturate: slopes of a few hundredths, ~10x lost per layer
    for name in ("sigmoid, bias 3", "tanh, bias 3"):
        assert max(slope[name]) < 0.1, name
        assert all(upper / lower > 4 for lower, upper in zip(chain[name], chain[name][1:])), name
        assert chain[name][-1] / chain[name][0] > 1000, name
    assert min(slope["relu, bias 3"]) > 0.5 and chain["relu, bias 3"][-1] / chain["relu, bias 3"][0] < 4


def test_nb1_not_zero_centered(nb1):
    assert nb1["same_sign"]["sigmoid_inputs"] == 1.0
    assert nb1["same_sign"]["tanh_inputs"] < 0.01
    z = nb1["zigzag"]
    assert z["same_sign_update_fraction"]["all-positive inputs"] == 1.0
    assert z["same_sign_update_fraction"]["zero-centered inputs"] < 0.8
    steps = z["steps_to_target"]
    assert steps["all-positive inputs"] > 2 * steps["zero-centered inputs"]


def mean(values):
    return sum(values) / len(values)


def test_nb1_output_means_experiment(nb1):
    m = nb1["output_means"]
    assert m["relu"] == pytest.approx(0.3989, abs=0.01) and abs(m["tanh"]) < 0.01
    # ELU is closer to zero-mean than ReLU, but clearly not zero-mean
    assert 0.1 < m["elu"] < 0.5 * m["relu"]
    assert m["leaky_relu"] > 0.95 * m["relu"]


def spread(values):
    return max(values) - min(values)


def test_nb1_dead_relus(nb1):
    d = nb1["dead_units"]
    inactive, slope = d["inactive_fraction"], d["slope_of_inactive_units"]
    assert len(d["seeds"]) >= 3
    assert max(inactive["relu, lr 0.02"]) <= 0.02
    assert min(inactive["relu, lr 0.2"]) >= 0.15                          # a large update kills units
    # the bias of 0.01 is not a reliable cure: its effect is about the spread over seeds, and a large
    # fraction stays dead (the reference answer's claims)
    bias, plain = inactive["relu, lr 0.2, bias 0.01"], inactive["relu, lr 0.2"]
    assert abs(mean(bias) - mean(plain)) < 1.5 * max(spread(bias), spread(plain))
    assert min(bias) >= 0.15
    # Leaky ReLU / ELU units are pushed to the negative side too (Leaky somewhat fewer, ELU about as many),
    # but keep passing gradient
    assert min(inactive["leaky_relu, lr 0.2"]) >= 0.1 and min(inactive["elu, lr 0.2"]) >= 0.1
    assert mean(inactive["leaky_relu, lr 0.2"]) < mean(plain)
    assert abs(mean(inactive["elu, lr 0.2"]) - mean(plain)) < 1.5 * spread(plain)
    assert all(s == 0 for s in slope["relu, lr 0.2"])
    assert all(s == pytest.approx(0.01) for s in slope["leaky_relu, lr 0.2"])
    assert all(0 < s < 0.1 for s in slope["elu, lr 0.2"])                # e^x of very negative inputs
    assert min(d["val_accuracy"]["relu, lr 0.02"]) > 0.75                 # it really trained
    assert all(min(v) > 0.5 for k, v in d["val_accuracy"].items())       # every lr 0.2 net learned something


def test_nb1_prelu_learns_its_slopes(nb1):
    p = nb1["prelu_slopes"]
    low, high = p["alpha_10th_90th_percentile"]
    assert high - low > 0.1 and abs(p["alpha_mean"] - p["alpha_start"]) > 0.05
    # the text: "values near 0 (ReLU-like) and, for some units, negative values"
    assert low < 0.1 and p["alpha_min"] < 0


def test_nb1_convergence(nb1):
    c = nb1["convergence"]
    its = c["iterations_to_target"]
    assert len(c["seeds"]) >= 3
    assert all(i is not None and i < c["max_iterations"] / 5 for i in its["relu"] + its["tanh"])
    assert min(c["sigmoid_over_relu"]) > 3                 # reproduces on every seed
    # the lecture's ~6x of ReLU over tanh does not reproduce here, as the notebook says
    assert max(c["tanh_over_relu"]) < 2


def test_nb1_fair_convergence_at_each_best_rate(nb1):
    f, common = nb1["fair_convergence"], nb1["convergence"]
    assert f["best_rate"]["sigmoid"] > f["best_rate"]["relu"]      # sigmoid wants a larger rate
    at_best = f["iterations_at_best_rate"]
    assert len(at_best["sigmoid"]) == len(common["seeds"]) and None not in sum(at_best.values(), [])
    # "part of sigmoid's slowness was the rate": a smaller factor at the best rates, on every seed...
    assert all(b < 0.6 * c for b, c in zip(f["sigmoid_over_relu_at_best"], common["sigmoid_over_relu"]))
    # ...but sigmoid is still slower than ReLU on every seed
    assert min(f["sigmoid_over_relu_at_best"]) > 1.5
    # and tanh keeps up with ReLU at the best rates too: the lecture's 6x does not reproduce
    assert max(f["tanh_over_relu_at_best"]) < 2


def test_nb1_activation_cost_and_maxout_price(nb1):
    cost, m = nb1["activation_cost"], nb1["maxout_parameters"]
    t = cost["forward_ms"]
    # ReLU's pass is far cheaper than the exponential ones and than Leaky ReLU's; tanh's rank depends
    # on whether numpy has a vector tanh for the CPU, so nothing is asserted of it
    assert t["relu"] < t["sigmoid"] / 3 and t["relu"] < t["elu"] / 3 and t["relu"] < t["leaky_relu"]
    assert 0 < cost["exp_over_max"] < 10                 # np.exp within a small factor of np.maximum
    # counted from the shapes of the student's maxout gradients: K = 2 times an affine layer's
    assert m["ratio"] == 2.0 and m["relu_layer"] == 784 * 100 + 100
    assert m["time_ratio"] > 1.5                                           # and at least K-fold work
