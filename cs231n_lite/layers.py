"""Layers with a forward and a backward pass.

Every ``*_forward`` returns ``(out, cache)``; every ``*_backward(dout, cache)``
returns the gradients with respect to the forward's inputs, in input order.
What a cache holds is part of each function's contract: it is documented in
the forward's docstring, written outside the solution blocks where it can be,
and checked by the forward's test; the backward's test builds the cache
itself in that layout, so a bug in a forward pass never costs the backward.
"""
import numpy as np


# Given (cs231n_lite/basics.py): the worked example and the loss
from .basics import affine_backward, affine_forward, softmax_loss  # noqa: F401,E402


# --------------------------------------------------------------------------
# Graded: activation functions (notebook 01_activation_functions.ipynb)
# --------------------------------------------------------------------------

def sigmoid_forward(x):
    """Logistic sigmoid, 1 / (1 + exp(-x)), elementwise.

    Must be numerically stable: sigmoid_forward(np.array([-1000., 1000.]))
    gives [0., 1.] without any overflow warning.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the same shape and dtype as x, values in [0, 1]
    - cache: (x, out), the layout sigmoid_backward receives
    """
    ### BEGIN SOLUTION
    out = np.empty(np.shape(x), dtype=np.result_type(x, 1.0))
    positive = x >= 0
    # exp of a non-positive number never overflows: pick the form per sign
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    ### END SOLUTION
    cache = (x, out)
    return out, cache


def sigmoid_backward(dout, cache):
    """Backward pass of sigmoid_forward.

    Inputs:
    - dout: upstream gradient, any shape
    - cache: (x, out) from sigmoid_forward, out = sigmoid(x)

    Returns:
    - dx: gradient with respect to x, same shape as dout
    """
    x, out = cache
    ### BEGIN SOLUTION
    dx = dout * out * (1.0 - out)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the same shape as x, values in [-1, 1]
    - cache: (x, out), the layout tanh_backward receives
    """
    ### BEGIN SOLUTION
    out = np.tanh(x)
    ### END SOLUTION
    cache = (x, out)
    return out, cache


def tanh_backward(dout, cache):
    """Backward pass of tanh_forward.

    Inputs:
    - dout: upstream gradient, any shape
    - cache: (x, out) from tanh_forward, out = tanh(x)

    Returns:
    - dx: gradient with respect to x, same shape as dout
    """
    x, out = cache
    ### BEGIN SOLUTION
    dx = dout * (1.0 - out ** 2)
    ### END SOLUTION
    return dx


def relu_forward(x):
    """Rectified linear unit, max(0, x), elementwise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: x itself, the layout relu_backward receives
    """
    ### BEGIN SOLUTION
    out = np.maximum(0, x)
    ### END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of relu_forward.

    ReLU has no derivative at x == 0; this course uses the subgradient 0
    there (like PyTorch), so the gradient flows only where x > 0.

    Inputs:
    - dout: upstream gradient, any shape
    - cache: x, same shape as dout

    Returns:
    - dx: gradient with respect to x, same shape as dout
    """
    x = cache
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: x where x > 0, alpha * x elsewhere.

    Inputs:
    - x: array of any shape
    - alpha: slope of the negative side, a float

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: (x, alpha), the layout leaky_relu_backward receives
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    ### END SOLUTION
    cache = (x, alpha)
    return out, cache


def leaky_relu_backward(dout, cache):
    """Backward pass of leaky_relu_forward (slope alpha at x == 0).

    Inputs:
    - dout: upstream gradient, any shape
    - cache: (x, alpha)

    Returns:
    - dx: gradient with respect to x, same shape as dout
    """
    x, alpha = cache
    ### BEGIN SOLUTION
    dx = np.where(x > 0, dout, alpha * dout)
    ### END SOLUTION
    return dx


def prelu_forward(x, alpha):
    """Parametric ReLU: leaky ReLU whose slope is learned, one per feature.

    Inputs:
    - x: shape (N, D)
    - alpha: learned negative-side slopes, shape (D,)

    Returns a tuple of:
    - out: shape (N, D); out[i, j] = x[i, j] if x[i, j] > 0 else alpha[j] * x[i, j]
    - cache: (x, alpha), the layout prelu_backward receives
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    ### END SOLUTION
    cache = (x, alpha)
    return out, cache


def prelu_backward(dout, cache):
    """Backward pass of prelu_forward (slope alpha at x == 0).

    Inputs:
    - dout: upstream gradient, shape (N, D)
    - cache: (x, alpha)

    Returns a tuple of:
    - dx: shape (N, D)
    - dalpha: shape (D,); alpha is shared by the whole batch, so its
      gradient sums the contributions of all N examples
    """
    x, alpha = cache
    ### BEGIN SOLUTION
    negative = x <= 0
    dx = np.where(negative, alpha * dout, dout)
    dalpha = (dout * x * negative).sum(axis=0)
    ### END SOLUTION
    return dx, dalpha


def elu_forward(x, alpha=1.0):
    """Exponential linear unit: x where x > 0, alpha * (exp(x) - 1) elsewhere.

    Inputs:
    - x: array of any shape
    - alpha: value the negative side saturates to (as -alpha), a float

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: (x, alpha), the layout elu_backward receives
    """
    ### BEGIN SOLUTION
    # exp only of the non-positive part: no overflow for large positive x
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    ### END SOLUTION
    cache = (x, alpha)
    return out, cache


def elu_backward(dout, cache):
    """Backward pass of elu_forward (slope alpha * exp(0) = alpha at x == 0).

    Inputs:
    - dout: upstream gradient, any shape
    - cache: (x, alpha)

    Returns:
    - dx: gradient with respect to x, same shape as dout
    """
    x, alpha = cache
    ### BEGIN SOLUTION
    dx = np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0)))
    ### END SOLUTION
    return dx


def maxout_forward(x, w, b):
    """Maxout unit (Goodfellow et al., 2013): the max of K affine pieces.

    out[n, m] = max over k of (x[n] @ w[:, m, k] + b[m, k])

    Inputs:
    - x: shape (N, D)
    - w: shape (D, M, K), K pieces for each of the M outputs
    - b: shape (M, K)

    Returns a tuple of:
    - out: shape (N, M)
    - cache: (x, w, b, z), the layout maxout_backward receives, where z,
      shape (N, M, K), holds every piece: z[n, m, k] = x[n] @ w[:, m, k] + b[m, k]
    """
    ### BEGIN SOLUTION
    z = np.einsum("nd,dmk->nmk", x, w) + b
    out = z.max(axis=2)
    ### END SOLUTION
    cache = (x, w, b, z)
    return out, cache


def maxout_backward(dout, cache):
    """Backward pass of maxout_forward.

    Only the winning piece of each output receives the gradient (the first
    one if several tie), as for a max pool.

    Inputs:
    - dout: upstream gradient, shape (N, M)
    - cache: (x, w, b, z) from maxout_forward; z (N, M, K) holds every piece

    Returns a tuple of:
    - dx: shape (N, D)
    - dw: shape (D, M, K)
    - db: shape (M, K)
    """
    x, w, b, z = cache
    ### BEGIN SOLUTION
    winner = z.argmax(axis=2)                     # (N, M)
    dz = np.zeros_like(z)
    n_idx, m_idx = np.indices(winner.shape)
    dz[n_idx, m_idx, winner] = dout
    dx = np.einsum("nmk,dmk->nd", dz, w)
    dw = np.einsum("nd,nmk->dmk", x, dz)
    db = dz.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# Normalization layers are written in normalization.py (notebook 04) and
# re-exported here, so that every layer is reachable as layers.<name>. The
# export is lazy: importing layers never runs normalization.py, so a problem
# there cannot cost the activation layers anything.
NORMALIZATION_LAYERS = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                        "layernorm_forward", "layernorm_backward", "spatial_batchnorm_forward",
                        "spatial_batchnorm_backward")


def __getattr__(name):
    if name in NORMALIZATION_LAYERS:
        from . import normalization
        return getattr(normalization, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------
# Dropout (notebook 07)

def _dropout_rng(dropout_param):
    """The Generator dropout draws from: param['rng'], else a new one from param['seed']."""
    if dropout_param.get("rng") is not None:
        return dropout_param["rng"]
    return np.random.default_rng(dropout_param.get("seed"))


def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability keep_prob, scale kept ones by 1 / keep_prob.

    Scaling in training keeps the expected activation unchanged, so test
    mode is the identity.

    Inputs:
    - x: array of any shape
    - dropout_param: dict with
      - keep_prob: probability of *keeping* a unit, in (0, 1]
      - mode: 'train' (drop) or 'test' (identity); default 'train'
      - rng: a numpy.random.Generator to draw the mask from, or
      - seed: seed of a new Generator (used when there is no rng)

    Returns a tuple of:
    - out: same shape as x
    - cache: (dropout_param, mask); mask is a boolean array of x's shape,
      True where the unit was kept (None in test mode)
    """
    p = dropout_param["keep_prob"]
    mode = dropout_param.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout mode must be 'train' or 'test', got {mode!r}")
    mask = None
    if mode == "train":
        rng = _dropout_rng(dropout_param)
        ### BEGIN SOLUTION
        mask = rng.random(x.shape) < p
        out = x * mask / p
        ### END SOLUTION
    else:
        ### BEGIN SOLUTION
        out = x.copy()
        ### END SOLUTION
    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of dropout_forward: the gradient flows through the kept units only.

    Inputs:
    - dout: upstream gradient, same shape as the forward's x
    - cache: (dropout_param, mask) from dropout_forward

    Returns:
    - dx: same shape as dout
    """
    dropout_param, mask = cache
    p = dropout_param["keep_prob"]
    mode = dropout_param.get("mode", "train")
    ### BEGIN SOLUTION
    if mode == "train":
        dx = dout * mask / p
    else:
        dx = dout.copy()
    ### END SOLUTION
    return dx
