"""Normalization layers: reference behaviour, edge cases, and the named mistakes."""
import numpy as np
import pytest

from cs231n_lite import layers, normalization as nz
from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.gradient_check import eval_numerical_gradient, rel_error
from cs231n_lite.selfcheck import normalization as T
from helpers import failure_message


def test_layers_reexports_the_normalization_layers():
    from cs231n_lite.selfcheck import REGISTRY
    assert set(layers.NORMALIZATION_LAYERS) == {n for n, s in REGISTRY.items() if s.module == "normalization"}
    for name in layers.NORMALIZATION_LAYERS:
        assert getattr(layers, name) is getattr(nz, name)


def test_bn_param_is_mutated_as_documented():
    p = {"mode": "train"}
    x = np.random.default_rng(0).standard_normal((20, 3)) * 2 + 5
    nz.batchnorm_forward(x, np.ones(3), np.zeros(3), p)
    assert p["eps"] == 1e-5 and p["momentum"] == 0.9
    np.testing.assert_allclose(p["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(p["running_var"], 0.9 + 0.1 * x.var(axis=0))
    with pytest.raises(ValueError, match="mode"):
        nz.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "eval"})


def test_constant_feature_and_float32():
    x = np.ones((5, 2)) * [3.0, 1.0]
    x[:, 1] += np.arange(5)
    out, _ = nz.batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.5, 0.0]), {"mode": "train"})
    assert np.isfinite(out).all() and np.allclose(out[:, 0], 0.5)
    x32 = x.astype(np.float32)
    assert nz.batchnorm_forward(x32, np.ones(2, np.float32), np.zeros(2, np.float32), {"mode": "train"})[0].dtype == np.float32
    assert nz.layernorm_forward(x32, np.ones(2, np.float32), np.zeros(2, np.float32), {})[0].dtype == np.float32


def test_layernorm_is_the_same_in_train_and_test_and_for_one_example():
    x = np.random.default_rng(1).standard_normal((4, 6)) * 3
    g, b = np.linspace(0.5, 2, 6), np.linspace(-1, 1, 6)
    full, _ = nz.layernorm_forward(x, g, b, {"mode": "train"})
    single, _ = nz.layernorm_forward(x[2:3], g, b, {"mode": "test"})
    np.testing.assert_allclose(single, full[2:3])


@pytest.mark.parametrize("norm", ["batchnorm", "layernorm"])
def test_net_with_normalization_gradients(norm):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((6, 7)), rng.integers(0, 3, 6)
    net = FullyConnectedNet([5, 4], input_dim=7, num_classes=3, normalization=norm,
                            weight_scale=0.3, reg=0.1, seed=0)
    loss, grads = net.loss(X, y)
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(grads)
    for name, param in net.params.items():
        numeric = eval_numerical_gradient(lambda _: net.loss(X, y)[0], param)
        assert rel_error(grads[name], numeric) < 1e-5, name


# ---- wrong variants -------------------------------------------------------
def bn_forward_variant(unbiased=False, eps_outside=False, test_uses_batch=False, swap_momentum=False,
                       store=True):
    def forward(x, gamma, beta, bn_param):
        mode, eps, momentum = bn_param["mode"], bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
        D = x.shape[1]
        rm = bn_param.get("running_mean", np.zeros(D))
        rv = bn_param.get("running_var", np.ones(D))
        if mode == "train" or test_uses_batch:
            mean, var = x.mean(0), x.var(0, ddof=1 if unbiased else 0)
            std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
            x_hat = (x - mean) / std
            if mode == "train" and store:
                a, b = (1 - momentum, momentum) if swap_momentum else (momentum, 1 - momentum)
                bn_param["running_mean"], bn_param["running_var"] = a * rm + b * mean, a * rv + b * var
            return gamma * x_hat + beta, (x_hat, gamma, 1 / std)
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    return forward


def bn_backward_variant(path):
    def backward(dout, cache):
        x_hat, gamma, inv_std = cache
        dbeta, dgamma = dout.sum(0), (dout * x_hat).sum(0)
        dx_hat = dout * gamma
        dx = dx_hat * inv_std
        if path in ("var", "both"):
            dx = dx - dx.mean(0)
        if path in ("mean", "both"):
            dx = dx - x_hat * (dx_hat * x_hat).mean(0) * inv_std
        if path == "unsummed":
            return nz.batchnorm_backward(dout, cache)[0], dout * x_hat, dout
        return dx, dgamma, dbeta
    return backward


def layernorm_over_batch(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return gamma * x_hat + beta, None


def spatial_per_position(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return gamma[None, :, None, None] * x_hat + beta[None, :, None, None], None


CASES = [
    (T.test_batchnorm_forward, bn_forward_variant(unbiased=True), "divided by N - 1"),
    (T.test_batchnorm_forward, bn_forward_variant(eps_outside=True), "eps was added outside the square root"),
    (T.test_batchnorm_forward, bn_forward_variant(test_uses_batch=True), "test mode used the statistics of the test batch"),
    (T.test_batchnorm_forward, bn_forward_variant(swap_momentum=True), "the wrong way round"),
    (T.test_batchnorm_forward, bn_forward_variant(store=False), "the running statistics were not stored back"),
    (T.test_batchnorm_backward, bn_backward_variant("var"), "path through the batch variance is missing"),
    (T.test_batchnorm_backward, bn_backward_variant("mean"), "path through the batch mean is missing"),
    (T.test_batchnorm_backward_alt, bn_backward_variant("direct"), "only the direct path"),
    (T.test_batchnorm_backward, bn_backward_variant("unsummed"), "dgamma was not summed over the batch"),
    (T.test_layernorm_forward, layernorm_over_batch, "the statistics were taken over the batch (axis 0)"),
    (T.test_spatial_batchnorm_forward, spatial_per_position, "per (C, H, W) position over N only"),
]


@pytest.mark.parametrize("case", ["visible", "hidden"])
@pytest.mark.parametrize("test,wrong,phrase", CASES, ids=[p[:30] for _, _, p in CASES])
def test_detector_names_the_mistake(test, wrong, phrase, case):
    assert phrase in failure_message(test, wrong, case)


def test_spatial_backward_is_tested_on_the_documented_cache_without_calling_a_forward():
    def never(*args):
        raise AssertionError("the backward's test must not run a forward pass")
    original = nz.spatial_batchnorm_forward
    nz.spatial_batchnorm_forward = never
    try:
        T.test_spatial_batchnorm_backward(nz.spatial_batchnorm_backward)
    finally:
        nz.spatial_batchnorm_forward = original
