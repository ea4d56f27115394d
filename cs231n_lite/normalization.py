"""Normalization layers (notebook 04_batch_normalization.ipynb).

Batch normalization (Ioffe & Szegedy, 2015), layer normalization (Ba et al.,
2016) and spatial batch normalization for (N, C, H, W) activations. They are
also available as ``cs231n_lite.layers.<name>``.

``bn_param`` (batchnorm, spatial batchnorm) is a dict with keys
- mode: 'train' or 'test' (required)
- eps: added to the variance before the square root (default 1e-5)
- momentum: of the running averages (default 0.9)
- running_mean, running_var: arrays of shape (D,), created on the first
  call as zeros and ones, updated in train mode as
  running = momentum * running + (1 - momentum) * batch_statistic
  and stored back into bn_param. The batch variance is the biased one
  (divided by N), both for normalizing and for the running average.
"""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of each feature over the batch.

    Train mode normalizes with the batch mean and variance and updates the
    running averages; test mode normalizes with the running averages only.

    Inputs:
    - x: shape (N, D)
    - gamma, beta: scale and shift, shape (D,)
    - bn_param: dict described in the module docstring; mutated in place

    Returns a tuple of:
    - out: shape (N, D), dtype of x
    - cache: (x_hat, gamma, inv_std) in train mode, where x_hat (N, D) is
      the normalized x, (x - mean) * inv_std, and inv_std (D,) =
      1 / sqrt(var + eps); None in test mode. This is the layout
      batchnorm_backward and batchnorm_backward_alt receive (their tests
      build it themselves; this function's test checks it).
    """
    mode = bn_param["mode"]
    eps = bn_param.setdefault("eps", 1e-5)
    momentum = bn_param.setdefault("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.ones(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        ### BEGIN SOLUTION
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        ### END SOLUTION
        cache = (x_hat, gamma, inv_std)
    elif mode == "test":
        ### BEGIN SOLUTION
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        ### END SOLUTION
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward (train mode), stage by stage.

    Follow the computational graph: out = gamma * x_hat + beta,
    x_hat = (x - mean) * inv_std, inv_std = (var + eps)^(-1/2),
    var = mean((x - mean)^2), mean = mean(x). x reaches the loss through
    three paths (directly, through mean, through var); sum them.

    Inputs:
    - dout: upstream gradient, shape (N, D)
    - cache: (x_hat, gamma, inv_std) from batchnorm_forward: x_hat (N, D)
      the normalized input, gamma (D,), inv_std (D,) = 1 / sqrt(var + eps).
      The cache holds neither x nor mean: rebuild what you need from it,
      x - mean = x_hat / inv_std (and var + eps = inv_std ** -2).

    Returns a tuple of:
    - dx: shape (N, D)
    - dgamma, dbeta: shape (D,), summed over the batch
    """
    x_hat, gamma, inv_std = cache
    N = dout.shape[0]
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    centered = x_hat / inv_std                      # x - mean
    dinv_std = (dx_hat * centered).sum(axis=0)
    dvar = dinv_std * -0.5 * inv_std ** 3           # d/dvar (var + eps)^(-1/2)
    dcentered = dx_hat * inv_std + dvar * 2.0 * centered / N
    dmean = -dcentered.sum(axis=0)
    dx = dcentered + dmean / N
    ### END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batchnorm_forward in simplified closed form.

    dx = gamma * inv_std / N * (N * dout - sum_i dout - x_hat * sum_i(dout * x_hat))

    Inputs / Returns: as batchnorm_backward (the same cache, (x_hat, gamma, inv_std)).
    """
    x_hat, gamma, inv_std = cache
    N = dout.shape[0]
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    ### END SOLUTION
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization: each example normalized over its own D features.

    Identical in train and test mode; no running statistics.

    Inputs:
    - x: shape (N, D)
    - gamma, beta: shape (D,)
    - ln_param: dict with optional key eps (default 1e-5)

    Returns a tuple of:
    - out: shape (N, D), dtype of x
    - cache: (x_hat, gamma, inv_std): x_hat (N, D) the normalized x,
      gamma (D,), inv_std of shape (N, 1), one per example; the layout
      layernorm_backward receives (its test builds it; this test checks it)
    """
    eps = ln_param.get("eps", 1e-5)
    ### BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + beta
    ### END SOLUTION
    cache = (x_hat, gamma, inv_std)
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass of layernorm_forward.

    Inputs:
    - dout: shape (N, D)
    - cache: (x_hat, gamma, inv_std) from layernorm_forward; inv_std (N, 1),
      x - mean = x_hat / inv_std per example

    Returns a tuple of:
    - dx: shape (N, D)
    - dgamma, dbeta: shape (D,), summed over the batch
    """
    x_hat, gamma, inv_std = cache
    D = dout.shape[1]
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (inv_std / D) * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    ### END SOLUTION
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of (N, C, H, W) activations, one mean/var per channel.

    A channel's statistics are taken over N, H and W (the convolutional
    property: every position of a feature map is normalized alike).

    Inputs:
    - x: shape (N, C, H, W)
    - gamma, beta: shape (C,)
    - bn_param: as for batchnorm_forward; running statistics of shape (C,)

    Returns a tuple of:
    - out: shape (N, C, H, W)
    - cache: the cache batchnorm_forward returns for the (N * H * W, C)
      matrix whose rows are the positions (n, h, w) in that order and whose
      columns are the channels (x.transpose(0, 2, 3, 1).reshape(-1, C)):
      (x_hat, gamma, inv_std) with x_hat (N * H * W, C), inv_std (C,).
      spatial_batchnorm_backward receives this layout (its test builds it;
      this test checks it).
    """
    N, C, H, W = x.shape
    ### BEGIN SOLUTION
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)        # rows: (n, h, w), columns: channels
    out_flat, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial_batchnorm_forward.

    Inputs:
    - dout: shape (N, C, H, W)
    - cache: (x_hat, gamma, inv_std) from spatial_batchnorm_forward, x_hat
      (N * H * W, C) with rows in (n, h, w) order

    Returns a tuple of:
    - dx: shape (N, C, H, W)
    - dgamma, dbeta: shape (C,)
    """
    N, C, H, W = dout.shape
    ### BEGIN SOLUTION
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_flat, dgamma, dbeta = batchnorm_backward_alt(flat, cache)
    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return dx, dgamma, dbeta
