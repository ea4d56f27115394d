"""Non-graded helpers the notebooks use (quick tests)."""
import numpy as np

from cs231n_lite.data import corrupt_labels


def test_corrupt_labels_makes_exactly_the_fraction_wrong():
    y = np.random.default_rng(1).integers(0, 10, 500)
    noisy, wrong = corrupt_labels(y, 0.3, seed=0)
    assert wrong.sum() == 150 and np.all(noisy[wrong] != y[wrong]) and np.all(noisy[~wrong] == y[~wrong])
    assert noisy.min() >= 0 and noisy.max() <= 9 and noisy.dtype == y.dtype
    assert len(set(noisy[wrong] - y[wrong])) > 5                      # the wrong classes vary
    again, _ = corrupt_labels(y, 0.3, seed=0)
    assert np.array_equal(again, noisy) and not np.array_equal(corrupt_labels(y, 0.3, seed=1)[0], noisy)
    assert np.array_equal(y, np.random.default_rng(1).integers(0, 10, 500))   # the input is not changed
