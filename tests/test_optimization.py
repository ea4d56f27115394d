"""Update rules, schedules, L2 and dropout: reference behaviour, edge cases, and the named mistakes."""
import numpy as np
import pytest

from cs231n_lite import layers, optim, regularization
from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.gradient_check import eval_numerical_gradient, rel_error
from cs231n_lite.selfcheck import REGISTRY
from cs231n_lite.selfcheck import optimization as T
from helpers import failure_message


# --------------------------------------------------------------------------
# wrong update rules, each written as a student might

def _state(config, key, w):
    config = {} if config is None else config
    return config, config.get(key, np.zeros_like(w))


def momentum_minus_v(w, dw, config=None):
    config, v = _state(config, "velocity", w)
    config.setdefault("learning_rate", 1e-2); config.setdefault("momentum", 0.9)
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def momentum_plus_plus(w, dw, config=None):
    config, v = _state(config, "velocity", w)
    config.setdefault("learning_rate", 1e-2); config.setdefault("momentum", 0.9)
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def momentum_equivalent_convention(w, dw, config=None):
    """v = mu v + lr dw; w -= v: the same trajectory, accepted."""
    config, v = _state(config, "velocity", w)
    config.setdefault("learning_rate", 1e-2); config.setdefault("momentum", 0.9)
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def momentum_forgetful(w, dw, config=None):
    config = config or {}
    config.setdefault("learning_rate", 1e-2); config.setdefault("momentum", 0.9)
    return w - config["learning_rate"] * dw, config


def nesterov_as_classical(w, dw, config=None):
    return optim.sgd_momentum(w, dw, config)


def nesterov_swapped(w, dw, config=None):
    config, v_prev = _state(config, "velocity", w)
    config.setdefault("learning_rate", 1e-2); config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    return w + mu * v_prev - (1 + mu) * v, config


def _adaptive(update, eps_inside=False, no_sqrt=False, key="cache"):
    def rule(w, dw, config=None):
        config, cache = _state(config, key, w)
        config.setdefault("learning_rate", 1e-2); config.setdefault("epsilon", 1e-8)
        config.setdefault("decay_rate", 0.99)
        cache = update(cache, dw, config.get("decay_rate"))
        config[key] = cache
        if no_sqrt:
            denom = cache + config["epsilon"]
        else:
            denom = np.sqrt(cache + config["epsilon"]) if eps_inside else np.sqrt(cache) + config["epsilon"]
        return w - config["learning_rate"] * dw / denom, config
    return rule


def _adagrad_config_only(rule):
    """AdaGrad variants must not add decay_rate to the config (the test checks hyperparameters only)."""
    return rule


adagrad_eps_inside = _adaptive(lambda c, dw, d: c + dw ** 2, eps_inside=True)
adagrad_no_accumulation = _adaptive(lambda c, dw, d: dw ** 2)
adagrad_no_sqrt = _adaptive(lambda c, dw, d: c + dw ** 2, no_sqrt=True)
rmsprop_eps_inside = _adaptive(lambda c, dw, d: d * c + (1 - d) * dw ** 2, eps_inside=True)
rmsprop_swapped = _adaptive(lambda c, dw, d: (1 - d) * c + d * dw ** 2)
rmsprop_no_one_minus = _adaptive(lambda c, dw, d: d * c + dw ** 2)
rmsprop_as_adagrad = _adaptive(lambda c, dw, d: c + dw ** 2)


def _adam(t_after=False, t_start=0, correct=True, correct_v=True, eps_inside=False):
    def rule(w, dw, config=None):
        config = {} if config is None else config
        for k, v in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
            config.setdefault(k, v)
        b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
        m, v = config.get("m", np.zeros_like(w)), config.get("v", np.zeros_like(w))
        t = config.get("t", t_start)
        if not t_after:
            t += 1
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw ** 2
        m_hat = m / (1 - b1 ** t) if correct else m
        v_hat = v / (1 - b2 ** t) if correct and correct_v else v
        next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
        if t_after:
            t += 1
        config.update(m=m, v=v, t=t)
        return next_w, config
    return rule


RULE_MISTAKES = [
    ("momentum_update", momentum_minus_v, "momentum sign conventions mixed"),
    ("momentum_update", momentum_plus_plus, "momentum sign conventions mixed"),
    ("momentum_update", momentum_forgetful, "velocity is not carried"),
    ("nesterov_momentum", nesterov_as_classical, "this is classical momentum"),
    ("nesterov_momentum", nesterov_swapped, "momentum sign conventions mixed"),
    ("nesterov_momentum", momentum_forgetful, "velocity is not carried"),
    ("adagrad", adagrad_eps_inside, "epsilon is inside the square root"),
    ("adagrad", adagrad_no_accumulation, "cache is not accumulated"),
    ("adagrad", adagrad_no_sqrt, "square root is missing"),
    ("rmsprop", rmsprop_eps_inside, "epsilon is inside the square root"),
    ("rmsprop", rmsprop_swapped, "decay is applied the wrong way round"),
    ("rmsprop", rmsprop_no_one_minus, "lacks its factor (1 - decay_rate)"),
    ("rmsprop", rmsprop_as_adagrad, "never decays"),
    ("adam", _adam(t_after=True), "incremented after the bias correction"),
    ("adam", _adam(t_after=True, t_start=1), "incremented after the bias correction"),
    ("adam", _adam(correct=False), "no bias correction"),
    ("adam", _adam(correct_v=False), "only m is bias-corrected"),
    ("adam", _adam(t_start=1), "t is one too large"),
    ("adam", _adam(eps_inside=True), "epsilon is inside the square root"),
]


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("name,wrong,phrase", RULE_MISTAKES,
                         ids=[f"{n}-{w.__name__}-{i}" for i, (n, w, _) in enumerate(RULE_MISTAKES)])
def test_rule_mistakes_are_named(name, wrong, phrase, case):
    assert phrase in failure_message(REGISTRY[name].test, wrong, case)


@pytest.mark.parametrize("case", ["visible", "hidden"])
def test_equivalent_momentum_convention_is_accepted(case):
    T.test_momentum_update(momentum_equivalent_convention, case=case)


def test_adam_t_after_correction_from_zero_is_explained_not_just_nan():
    msg = failure_message(T.test_adam, _adam(t_after=True))
    assert "NaN or inf" in msg and "t = 1 at the first step" in msg


def test_rules_keep_their_state_in_config():
    w, dw = np.ones(3), np.array([1.0, -2.0, 0.5])
    for rule, keys in ((optim.momentum_update, {"velocity"}), (optim.nesterov_momentum, {"velocity"}),
                       (optim.adagrad, {"cache"}), (optim.rmsprop, {"cache"}), (optim.adam, {"m", "v", "t"})):
        _, config = rule(w, dw, None)
        assert keys <= set(config), rule.__name__
    _, config = optim.adam(w, dw, None)
    assert config["t"] == 1


def test_given_sgd_momentum_is_unchanged_and_equals_momentum_update():
    rng = np.random.default_rng(0)
    w, c1, c2 = rng.standard_normal(4), {"learning_rate": 0.1, "momentum": 0.7}, {"learning_rate": 0.1, "momentum": 0.7}
    w1 = w2 = w
    for _ in range(5):
        dw = rng.standard_normal(4)
        w1, c1 = optim.sgd_momentum(w1, dw, c1)
        w2, c2 = optim.momentum_update(w2, dw, c2)
    np.testing.assert_allclose(w1, w2, rtol=1e-15)


def test_adam_first_step_has_size_learning_rate():
    """With bias correction the first step is lr * sign(dw) (up to epsilon), whatever |dw|."""
    w, dw = np.zeros(3), np.array([1e-3, -5.0, 200.0])
    w1, _ = optim.adam(w, dw, {"learning_rate": 0.1})
    np.testing.assert_allclose(w1, -0.1 * np.sign(dw), rtol=1e-4)


# --------------------------------------------------------------------------
# schedules

def test_schedules_values():
    assert [optim.step_decay(1.0, i, 3, 0.5) for i in (0, 2, 3, 5, 6)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert optim.exponential_decay(2.0, 10, 0.1) == pytest.approx(2.0 * np.exp(-1.0))
    assert optim.inverse_time_decay(2.0, 0, 0.5) == 2.0 and optim.inverse_time_decay(2.0, 4, 0.5) == pytest.approx(2 / 3)


SCHEDULE_MISTAKES = [
    ("step_decay", lambda lr, i, s, g=0.1: lr * g ** ((i + 1) // s), "one iteration early"),
    ("step_decay", lambda lr, i, s, g=0.1: lr * g ** (i / s), "not rounded down"),
    ("exponential_decay", lambda lr, i, k: lr * np.exp(k * i), "sign of the exponent"),
    ("exponential_decay", lambda lr, i, k: lr * (1 - k) ** i, "discrete form"),
    ("inverse_time_decay", lambda lr, i, k: lr / (1 + i), "k is ignored"),
]


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("name,wrong,phrase", SCHEDULE_MISTAKES)
def test_schedule_mistakes_are_named(name, wrong, phrase, case):
    assert phrase in failure_message(REGISTRY[name].test, wrong, case)


def test_inverse_time_without_the_one_fails():
    assert "the 1 is missing" in failure_message(T.test_inverse_time_decay,
                                                 lambda lr, i, k: lr / (k * i) if i else np.inf)


# --------------------------------------------------------------------------
# L2

def l2_on_everything(params, reg):
    return (0.5 * reg * sum(float(np.sum(p * p)) for p in params.values()),
            {k: reg * p for k, p in params.items()})


def l2_half_twice(params, reg):
    loss, grads = regularization.l2_penalty(params, reg)
    return loss, {k: 0.5 * g for k, g in grads.items()}


def l2_quarter(params, reg):
    loss, grads = regularization.l2_penalty(params, reg)
    return 0.5 * loss, grads


def l2_no_half(params, reg):
    loss, grads = regularization.l2_penalty(params, reg)
    return 2 * loss, grads


def l2_missing_keys(params, reg):
    loss, grads = regularization.l2_penalty(params, reg)
    return loss, {k: g for k, g in grads.items() if k.startswith("W")}


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("wrong,phrase", [(l2_on_everything, "L2 applied to biases"),
                                          (l2_half_twice, "0.5 factor counted twice"),
                                          (l2_quarter, "0.5 factor counted twice"),
                                          (l2_no_half, "0.5 factor is missing"),
                                          (l2_missing_keys, "one entry per parameter")])
def test_l2_mistakes_are_named(wrong, phrase, case):
    assert phrase in failure_message(T.test_l2_penalty, wrong, case)


def test_net_with_l2_penalty_matches_builtin_l2_and_numerical_gradient():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 3, 5)
    builtin = FullyConnectedNet([4], input_dim=6, num_classes=3, reg=0.7, seed=1, normalization="batchnorm")
    graded = FullyConnectedNet([4], input_dim=6, num_classes=3, reg=0.7, seed=1, normalization="batchnorm",
                               regularizer=regularization.l2_penalty)
    (l1, g1), (l2, g2) = builtin.loss(X, y), graded.loss(X, y)
    assert l1 == pytest.approx(l2, rel=1e-12)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-12, atol=1e-15)
    num = eval_numerical_gradient(lambda _: graded.loss(X, y)[0], graded.params["W1"])
    assert rel_error(num, g2["W1"]) < 1e-5


# --------------------------------------------------------------------------
# dropout

def _dropout(scale, test_scale=lambda p: 1.0, keep_from_drop=False, mask_cache=True, use_global=False):
    def forward(x, dropout_param):
        p = dropout_param["keep_prob"]
        if dropout_param.get("mode", "train") == "test":
            return x * test_scale(p), (dropout_param, None)
        rng = np.random if use_global else (dropout_param.get("rng") or np.random.default_rng(dropout_param.get("seed")))
        threshold = 1 - p if keep_from_drop else p
        mask = rng.random(x.shape) < threshold
        out = x * mask * scale(p)
        return out, (dropout_param, mask if mask_cache else mask * scale(p))
    return forward


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("wrong,phrase", [
    (_dropout(lambda p: 1.0), "mask is not rescaled"),
    (_dropout(lambda p: 1 / p, test_scale=lambda p: p), "rescaled at test time"),
    (_dropout(lambda p: p), "multiplied by keep_prob"),
    (_dropout(lambda p: 1 / p, keep_from_drop=True), "drop probability used"),
    (_dropout(lambda p: 1 / (1 - p)), "drop probability 1 - keep_prob"),
    (_dropout(lambda p: 1 / p, mask_cache=False), "boolean array"),
    (_dropout(lambda p: 1 / p, use_global=True), "same dropout_param['seed']"),
])
def test_dropout_forward_mistakes_are_named(wrong, phrase, case):
    msg = failure_message(T.test_dropout_forward, wrong, case)
    assert phrase in msg, msg


def test_dropout_forward_test_mode_rescaled_detected_for_hidden_keep_prob():
    # the hidden keep_prob differs from 0.7: the test-mode mistake is caught by value anyway
    msg = failure_message(T.test_dropout_forward, _dropout(lambda p: 1 / p, test_scale=lambda p: 0.5), "hidden")
    assert "test mode" in msg


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("wrong,phrase", [
    (lambda dout, cache: dout * cache[1], "not rescaled"),
    (lambda dout, cache: dout * cache[1] / (1 - cache[0]["keep_prob"]), "drop probability"),
    (lambda dout, cache: dout / cache[0]["keep_prob"], "mask was not applied"),
    (lambda dout, cache: dout.copy(), "ignores the dropout"),
    (lambda dout, cache: dout / cache[0]["keep_prob"] * (cache[1] if cache[1] is not None else 1), "rescaled in test mode"),
])
def test_dropout_backward_mistakes_are_named(wrong, phrase, case):
    assert phrase in failure_message(T.test_dropout_backward, wrong, case)


def test_dropout_contract():
    x = np.ones((400, 500))
    out, (param, mask) = layers.dropout_forward(x, {"keep_prob": 0.3, "seed": 0})
    assert abs(mask.mean() - 0.3) < 0.01 and abs(out.mean() - 1.0) < 0.03
    assert set(np.unique(out)) == {0.0, 1 / 0.3}
    rng = np.random.default_rng(1)
    a, _ = layers.dropout_forward(x[:5], {"keep_prob": 0.5, "rng": rng})
    b, _ = layers.dropout_forward(x[:5], {"keep_prob": 0.5, "rng": rng})
    assert not np.array_equal(a, b)          # the rng advances: a new mask at every step
    dx = layers.dropout_backward(np.full(x.shape, 2.0), (param, mask))
    np.testing.assert_array_equal(dx != 0, mask)
    with pytest.raises(ValueError, match="mode"):
        layers.dropout_forward(x, {"keep_prob": 0.5, "mode": "eval"})


def test_net_with_dropout_gradients_and_test_mode():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    net = FullyConnectedNet([7, 6], input_dim=5, num_classes=3, seed=0, weight_scale=0.5,
                            dropout_keep_prob=0.6, dropout_seed=2)
    plain = FullyConnectedNet([7, 6], input_dim=5, num_classes=3, seed=0, weight_scale=0.5)
    np.testing.assert_array_equal(net.loss(X), plain.loss(X))        # test mode: no dropout
    state = net.dropout_rng.bit_generator.state
    loss, grads = net.loss(X, y)

    def f(_):
        net.dropout_rng.bit_generator.state = state   # the same masks on every evaluation
        return net.loss(X, y)[0]
    for k in ("W1", "W2", "b1"):
        assert rel_error(eval_numerical_gradient(f, net.params[k]), grads[k]) < 1e-6, k


def test_adam_lr_search_check():
    assert T.check_adam_lr_search({1e-4: 1.5, 1e-3: 0.6, 1e-2: 0.5, 1e-1: 2.3}, 1e-2)
    assert not T.check_adam_lr_search({1e-4: 1.5, 1e-3: 0.6, 1e-2: 0.5, 1e-1: 2.3}, 1e-3)
    assert not T.check_adam_lr_search({1e-4: 1.5, 1e-3: 0.6, 1e-2: 0.7, 1e-1: 2.3}, 1e-4) is True
    assert not T.check_adam_lr_search({1e-3: 1.0, 2e-3: 0.9, 3e-3: 0.8, 4e-3: 0.85}, 3e-3)


@pytest.mark.parametrize("rule", ["momentum_update", "nesterov_momentum", "adagrad", "rmsprop", "adam"])
def test_solver_trains_with_each_rule_by_name(rule):
    from cs231n_lite.solver import Solver
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((60, 8)), rng.integers(0, 3, 60)
    data = {"X_train": X, "y_train": y, "X_val": X[:20], "y_val": y[:20]}
    net = FullyConnectedNet([10], input_dim=8, num_classes=3, seed=0, weight_scale=0.1)
    solver = Solver(net, data, update_rule=rule, optim_config={"learning_rate": 1e-2}, batch_size=20,
                    num_iterations=60, progress=False, keep_best=False).train()
    assert solver.stop_reason is None and np.mean(solver.loss_history[-5:]) < solver.loss_history[0]
