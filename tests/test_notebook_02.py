"""Notebook 02 (data preprocessing) shows the lecture's phenomena with the numbers asserted here."""
import numpy as np
import pytest

from cs231n_lite.measure import collect
from test_notebooks import executed_notebook

pytestmark = pytest.mark.notebooks
NAME = "02_data_preprocessing.ipynb"


@pytest.fixture(scope="module")
def executed():
    return executed_notebook(NAME)


@pytest.fixture(scope="module")
def nb2(executed):
    return collect(executed)


def test_nb2_data_cloud(nb2):
    cov, mean = nb2["cloud"]["covariance"], nb2["cloud"]["mean"]
    assert cov["original"][0][1] > 0.5 * cov["original"][0][0]              # strongly correlated pixels
    for name in ("zero-centered", "standardized", "decorrelated (PCA)", "whitened (PCA)"):
        assert max(abs(m) for m in mean[name]) < 1e-9, name
    assert cov["standardized"][0][0] == pytest.approx(1) and cov["standardized"][1][1] == pytest.approx(1)
    assert abs(cov["decorrelated (PCA)"][0][1]) < 1e-9
    assert cov["decorrelated (PCA)"][0][0] > cov["decorrelated (PCA)"][1][1]
    np.testing.assert_allclose(cov["whitened (PCA)"], np.eye(2), atol=1e-6)
    assert 0.02 < nb2["cloud"]["edge_fraction"] < 0.3                       # "a minority of the images"


def test_nb2_whitened_covariance_is_identity_on_kept_components_only(nb2):
    w = nb2["whitening"]
    assert 20 <= w["whitened_directions"] < w["of_directions"] / 2       # eps 1e-2 whitens a minority
    assert w["kept_diagonal_min"] >= 0.89 and w["kept_off_diagonal_max"] < 1e-8
    # ...and in pixel space the covariance is NOT the identity, as the text says
    assert w["pixel_diagonal_median"] < 0.7 and w["largest_pixel_covariance_after"] > 0.1
    assert w["largest_pixel_covariance_before"] > 0.05


def test_nb2_whitening_eps_experiment(nb2):
    by_eps = {float(eps): n for eps, n in nb2["whitening_eps"]["whitened_directions"].items()}
    counts = [by_eps[eps] for eps in sorted(by_eps, reverse=True)]      # eps decreasing, whatever the key order
    assert sorted(by_eps) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert all(a < b for a, b in zip(counts, counts[1:])) and counts[-1] > 5 * counts[1]
    assert by_eps[1e-2] == nb2["whitening"]["whitened_directions"]


def test_nb2_mean_image_vs_channel_mean(nb2):
    c = nb2["mean_image_vs_channel_mean"]
    for name, m in c.items():
        assert m["pixel_mean_left_after_mean_image"] < 1e-9, name
        assert m["channel_mean_left_after_channel_mean"] < 1e-9, name
    # offline, on the embedded grayscale images: a silhouette, far from uniform, that the per-channel
    # mean leaves in (tens of gray levels at its worst pixel)
    f = c["Fashion-MNIST"]
    assert len(f["channel_mean"]) == 1
    assert f["position_structure_over_noise"] > 100
    assert f["pixel_mean_left_after_channel_mean"] > 30
    if "CIFAR-10" in c:                                 # the lecture's colour case, when downloaded
        assert c["CIFAR-10"]["position_structure_over_noise"] > 5


def test_nb2_mean_image_from_a_sample(nb2):
    s = nb2["sample_mean"]
    errors = {int(n): e for n, e in s["max_error"].items()}
    assert errors[s["sample_size"]] <= 5 < max(errors.values())
    assert s["fraction_of_training_set"] < 0.5          # a sample is enough
    sizes = sorted(errors)
    # the error shrinks with the sample size roughly like 1/sqrt(n): over a 4x larger sample, 2x smaller
    ratio = errors[sizes[0]] / errors[sizes[-1]]
    assert 0.5 * (sizes[-1] / sizes[0]) ** 0.5 < ratio < 2.5 * (sizes[-1] / sizes[0]) ** 0.5


def test_nb2_input_scale(nb2):
    s = nb2["input_scale"]
    its, equal = s["iterations_to_loss_0_6"], s["iterations_at_equal_step"]
    assert len(s["seeds"]) >= 3
    assert its["raw [0, 255]"] == [None] * len(s["seeds"])
    assert s["initial_loss"]["raw [0, 255]"] > 10 * s["initial_loss"]["standardized"]
    assert None not in its["raw [0, 1]"] + its["zero-centered [0, 1]"] + its["standardized"]
    # at one rate: standardizing looks like a big win...
    assert all(2 * z < c for z, c in zip(its["standardized"], its["zero-centered [0, 1]"]))
    # ...because the same rate is a larger step: standardized inputs have several times the squared norm
    norm = s["squared_norm"]
    assert norm["standardized"] > 5 * norm["zero-centered [0, 1]"] and norm["raw [0, 1]"] > norm["zero-centered [0, 1]"]
    # at an equal effective step: centering helps on every seed, standardizing adds nothing measurable
    assert None not in sum(equal.values(), [])
    assert all(c < 0.85 * r for c, r in zip(equal["zero-centered [0, 1]"], equal["raw [0, 1]"]))
    assert all(abs(z - c) <= 0.15 * c for z, c in zip(equal["standardized"], equal["zero-centered [0, 1]"]))


def test_nb2_test_statistics_inflate_the_reported_accuracy(nb2):
    leak = nb2["leakage"]
    assert leak["same_distribution_train_statistics"] > 0.75
    # same distribution: the refitted mean changes little; shifted: it inflates the number
    assert abs(leak["same_distribution_test_statistics"] - leak["same_distribution_train_statistics"]) < 0.03
    assert leak["shifted_test_statistics"] > leak["shifted_train_statistics"] + 0.1
