"""The visible checks of the students' own experiments pass good outcomes and name what is wrong."""

from cs231n_lite import experiment_checks as E


def test_rate_sweep_wants_a_bracketed_best_rate_for_each_activation(capsys):
    good = {"sigmoid": {0.1: 1020, 0.3: 420, 1.0: 195, 3.0: 193, 10.0: None},
            "tanh": {0.1: 93, 0.3: 56, 1.0: 70, 3.0: None},
            "relu": {0.1: 119, 0.3: 68, 1.0: 78, 3.0: None}}
    assert E.check_rate_sweep(good)
    assert "PASS" in capsys.readouterr().out
    assert E.best_rates(good) == {"sigmoid": 3.0, "tanh": 0.3, "relu": 0.3}
    at_edge = {**good, "sigmoid": {0.1: 1020, 0.3: 420, 1.0: 195, 3.0: 193}}
    assert not E.check_rate_sweep(at_edge)
    assert "sigmoid: the best value 3 is the largest you tried" in capsys.readouterr().out
    narrow = {**good, "relu": {0.1: 119, 0.15: 90, 0.2: 80, 0.3: 68, 0.5: 70}}
    assert not E.check_rate_sweep(narrow)
    assert "relu: your rates span only a factor 5" in capsys.readouterr().out
    assert not E.check_rate_sweep({**good, "tanh": {0.3: 56}})
    assert "tanh: try at least 4 learning rates" in capsys.readouterr().out
    assert not E.check_rate_sweep({**good, "tanh": {0.1: None, 0.3: None, 1.0: None, 3.0: None}})
    assert "tanh: no run reached a result" in capsys.readouterr().out


def test_sample_size_is_the_smallest_tried_size_within_the_tolerance(capsys):
    errors = {500: 11.0, 1000: 8.3, 2000: 4.4, 4000: 2.2}
    assert E.check_sample_size(errors, 2000, tolerance=5, population=10000)
    assert "PASS" in capsys.readouterr().out
    assert not E.check_sample_size(errors, 4000, tolerance=5, population=10000)
    assert "2000 images already stay within 5" in capsys.readouterr().out
    assert not E.check_sample_size(errors, 1000, tolerance=5, population=10000)
    assert "off by 8.3 at its worst pixel" in capsys.readouterr().out
    assert not E.check_sample_size({2000: 4.4, 4000: 2.2, 8000: 1.0}, 2000, tolerance=5, population=10000)
    assert "the smallest size you tried" in capsys.readouterr().out
    assert not E.check_sample_size({500: 11.0, 1000: 8.3, 10000: 0.0}, 10000, tolerance=5, population=10000)
    assert "the whole training set" in capsys.readouterr().out
    assert not E.check_sample_size({500: 11.0}, 500, tolerance=5, population=10000)


def test_tanh_gain_must_keep_the_std_without_saturating(capsys):
    import numpy as np
    tried = {1.0: (0.23, 0.0), 1.5: (0.59, 0.003), 2.0: (0.73, 0.07)}
    alive = np.tanh(np.random.default_rng(0).standard_normal(10_000) * 0.7)
    assert E.check_tanh_gain(1.5, tried, alive, min_std=0.5, max_saturated=0.02)
    assert "PASS" in capsys.readouterr().out
    assert not E.check_tanh_gain(1.0, tried, 0.3 * alive, min_std=0.5, max_saturated=0.02)
    assert "the signal still shrinks" in capsys.readouterr().out
    saturated = np.tanh(np.random.default_rng(0).standard_normal(10_000) * 5)
    assert not E.check_tanh_gain(3.0, tried, saturated, min_std=0.5, max_saturated=0.02)
    assert "is saturated" in capsys.readouterr().out
    assert not E.check_tanh_gain(1.5, {1.5: (0.59, 0.003)}, alive, min_std=0.5, max_saturated=0.02)
    assert not E.check_tanh_gain(None, tried, None, min_std=0.5, max_saturated=0.02)


def test_batch_size_search_finds_where_batchnorm_catches_up(capsys):
    val = {"batchnorm": {2: 0.24, 4: 0.6, 8: 0.76, 32: 0.80, 256: 0.82},
           "layernorm": {2: 0.73, 4: 0.77, 8: 0.78, 32: 0.78, 256: 0.81}}
    assert E.check_batch_size_search(val, 8, tolerance=0.05)
    assert "PASS" in capsys.readouterr().out
    assert not E.check_batch_size_search(val, 32, tolerance=0.05)
    assert "batch size 8 is already within 0.05" in capsys.readouterr().out
    assert not E.check_batch_size_search(val, 4, tolerance=0.05)
    assert "at batch size 4 batch norm is 0.170 behind" in capsys.readouterr().out
    high = {k: {b: a for b, a in v.items() if b >= 8} for k, v in val.items()}
    assert not E.check_batch_size_search(high, 8, tolerance=0.05)
    assert "try at least 4 batch sizes" in capsys.readouterr().out
    assert not E.check_batch_size_search({"batchnorm": val["batchnorm"], "layernorm": {2: 0.7}}, 8, tolerance=0.05)


def test_l2_search_wants_a_bracketed_strength_that_beats_the_plain_net(capsys):
    results = {1e-3: (0.93, 0.67, 500.0), 3e-3: (0.88, 0.69, 300.0), 1e-2: (0.73, 0.735, 100.0),
               3e-2: (0.62, 0.70, 40.0), 1e-1: (0.45, 0.55, 15.0)}
    assert E.check_l2_search(results, 1e-2, plain_val=0.667, margin=0.03)
    assert "PASS" in capsys.readouterr().out
    assert not E.check_l2_search(results, 3e-3, plain_val=0.667, margin=0.03)
    assert "not the strength with the highest" in capsys.readouterr().out
    assert not E.check_l2_search(results, 1e-2, plain_val=0.72, margin=0.03)
    assert "not 0.03 above the plain network's 0.720" in capsys.readouterr().out
    edge = {k: v for k, v in results.items() if k <= 1e-2}
    edge[1e-4] = (0.95, 0.66, 560.0)
    assert not E.check_l2_search(edge, 1e-2, plain_val=0.667, margin=0.03)
    assert "is the largest you tried" in capsys.readouterr().out
    assert not E.check_l2_search({1e-2: results[1e-2], 2e-2: results[3e-2], 1.5e-2: results[3e-3], 1.2e-2: results[1e-3]},
                                 1e-2, plain_val=0.6, margin=0.03)
    assert "two decades" in capsys.readouterr().out


def test_lr_range_wants_both_ends_located_within_a_factor_3_5(capsys):
    import numpy as np
    flat, good = np.full(200, 2.3), np.linspace(2.3, 0.5, 200)
    slow, boom = np.linspace(2.3, 2.0, 200), np.array([2.3, 50.0])
    runs = {1e-6: flat, 1e-5: flat, 1e-4: slow, 1e-3: slow, 3e-3: good, 1e-2: good, 0.1: good, 0.3: good,
            1.0: boom, 1e6: boom}
    assert E.check_lr_range(runs, (3e-3, 0.3), steps=200)
    assert "PASS" in capsys.readouterr().out
    assert not E.check_lr_range(runs, (1e-2, 0.3), steps=200)
    assert "go from 0.003 to 0.3, not 0.01 to 0.3" in capsys.readouterr().out
    coarse = {k: v for k, v in runs.items() if k not in (3e-3, 0.3)}
    coarse[1e2] = boom
    assert not E.check_lr_range(coarse, (1e-2, 0.1), steps=200)
    out = capsys.readouterr().out
    assert "lower end is only located between 0.001 and 0.01" in out and "upper end" in out
    assert not E.check_lr_range({k: v for k, v in runs.items() if k > 1e-5} | {2e-2: good}, (3e-3, 0.3), steps=200)
    assert "less than 1%" in capsys.readouterr().out
    assert not E.check_lr_range({1e-6: flat}, (1e-6, 1e-6), steps=200)


def test_search_target(capsys):
    assert E.check_search_target(0.872, 0.865, [1, 2, 3, 4], first_guess=0.86)
    assert "PASS my search: your tuned model reaches 87.2%" in capsys.readouterr().out
    assert not E.check_search_target(0.86, 0.865, [1, 2, 3], first_guess=0.86)
    assert "below the target 86.5%" in capsys.readouterr().out
    assert not E.check_search_target(None, 0.865, [1, 2, 3], first_guess=0.86)
    assert not E.check_search_target(0.9, 0.865, [1], first_guess=0.86)
    assert "at least 3 trials" in capsys.readouterr().out
