"""Weight initializers (notebook 03_weight_initialization.ipynb).

Every initializer returns a float64 array of shape (fan_in, fan_out), the
layout of ``affine_forward``'s w, and draws its randomness only from the
numpy Generator it is given (never from the global ``np.random`` state), so
the same seed always gives the same weights.
"""
import numpy as np


def _generator(rng):
    """The given Generator, or a fresh unseeded one."""
    return np.random.default_rng() if rng is None else rng


def zeros_init(fan_in, fan_out):
    """All weights zero (the symmetric start that does not work).

    Returns:
    - w: zeros of shape (fan_in, fan_out), float64
    """
    ### BEGIN SOLUTION
    w = np.zeros((fan_in, fan_out))
    ### END SOLUTION
    return w


def small_random_init(fan_in, fan_out, std=0.01, rng=None):
    """Gaussian weights with a fixed small standard deviation, N(0, std**2).

    Inputs:
    - fan_in, fan_out: number of inputs and outputs of the layer
    - std: standard deviation of every weight
    - rng: numpy Generator to draw from (None: a fresh one)

    Returns:
    - w: shape (fan_in, fan_out), float64
    """
    rng = _generator(rng)
    ### BEGIN SOLUTION
    w = std * rng.standard_normal((fan_in, fan_out))
    ### END SOLUTION
    return w


def xavier_init(fan_in, fan_out, rng=None):
    """Xavier initialization in the lecture's form, N(0, 1 / fan_in).

    Keeps Var(w^T x) = Var(x) for a linear (or tanh near 0) unit with
    fan_in inputs: Var(out) = fan_in * Var(w) * Var(x).

    Inputs:
    - fan_in, fan_out: number of inputs and outputs of the layer
    - rng: numpy Generator to draw from (None: a fresh one)

    Returns:
    - w: shape (fan_in, fan_out), float64, variance 1 / fan_in
    """
    rng = _generator(rng)
    ### BEGIN SOLUTION
    w = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
    ### END SOLUTION
    return w


def glorot_uniform_init(fan_in, fan_out, rng=None):
    """Glorot & Bengio (2010) uniform initialization, U(-b, b).

    b = sqrt(6 / (fan_in + fan_out)), so that the variance b**2 / 3 is
    2 / (fan_in + fan_out): a compromise between the forward (fan_in) and
    the backward (fan_out) pass.

    Inputs:
    - fan_in, fan_out: number of inputs and outputs of the layer
    - rng: numpy Generator to draw from (None: a fresh one)

    Returns:
    - w: shape (fan_in, fan_out), float64, values in [-b, b]
    """
    rng = _generator(rng)
    ### BEGIN SOLUTION
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    w = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    ### END SOLUTION
    return w


def he_init(fan_in, fan_out, rng=None):
    """He et al. (2015) initialization for ReLU layers, N(0, 2 / fan_in).

    A ReLU zeroes half of its inputs, which halves the second moment that
    reaches the next layer; the factor 2 compensates.

    Inputs:
    - fan_in, fan_out: number of inputs and outputs of the layer
    - rng: numpy Generator to draw from (None: a fresh one)

    Returns:
    - w: shape (fan_in, fan_out), float64, variance 2 / fan_in
    """
    rng = _generator(rng)
    ### BEGIN SOLUTION
    w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
    ### END SOLUTION
    return w


def orthonormal_init(fan_in, fan_out, rng=None):
    """Random orthonormal weights (given): orthonormal columns if fan_in >= fan_out,
    orthonormal rows otherwise (Saxe et al., 2014).

    Returns:
    - w: shape (fan_in, fan_out), float64
    """
    rng = _generator(rng)
    big, small = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthonormal matrices
    return q if fan_in >= fan_out else q.T


def layer_output_variances(model, X):
    """Variance of every affine layer's output (before normalization/activation) on X.

    Inputs:
    - model: a FullyConnectedNet
    - X: batch of shape (N, D)

    Returns:
    - list of num_layers floats, one per affine layer (the last is the scores')
    """
    # the model computes them: when graded, the model lives in the grader
    # and only these numbers cross into your process
    return model.affine_output_variances(X)


def lsuv_init(model, X, tol=0.1, max_iter=10):
    """Layer-sequential unit-variance initialization (Mishkin & Matas, 2016).

    Starts every weight matrix orthonormal (given code), then, from the
    first layer to the last, rescales W_i and b_i by the same factor
    1 / sqrt(Var(out_i)), Var(out_i) measured on the batch X, until the
    variance of that layer's affine output is within 1 +/- tol, making at
    most max_iter rescalings per layer (max_iter=0 leaves the orthonormal
    start as it is). Each layer is measured after the earlier layers were
    rescaled.

    Inputs:
    - model: a FullyConnectedNet; its params are changed in place
    - X: a batch of data, shape (N, D)
    - tol: accepted distance of each variance from 1
    - max_iter: most rescalings per layer

    Returns:
    - variances: list of the final output variance of each layer on X
    """
    rng = np.random.default_rng(0)
    for i in range(1, model.num_layers + 1):
        fan_in, fan_out = model.params[f"W{i}"].shape
        model.params[f"W{i}"] = orthonormal_init(fan_in, fan_out, rng).astype(model.dtype)
    variances = []
    for i in range(1, model.num_layers + 1):
        ### BEGIN SOLUTION
        for _ in range(max_iter):
            var = layer_output_variances(model, X)[i - 1]
            if abs(var - 1.0) < tol or var == 0.0:  # a dead layer cannot be rescaled
                break
            scale = 1.0 / np.sqrt(var)
            model.params[f"W{i}"] *= scale
            model.params[f"b{i}"] *= scale
        ### END SOLUTION
        variances.append(layer_output_variances(model, X)[i - 1])
    return variances
