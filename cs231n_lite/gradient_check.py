"""Numerical gradients by centered differences, and the relative error.

    df/dx_i  ~=  (f(x + h e_i) - f(x - h e_i)) / (2 h)

The centered form has error O(h^2) (the one-sided form only O(h)); with
float64 and h = 1e-5 a correct analytic gradient typically agrees to a
relative error below 1e-7, away from kinks such as ReLU's at 0.
"""
import numpy as np


def rel_error(x, y):
    """Largest elementwise relative error, |x - y| / max(1e-8, |x| + |y|).

    Inputs:
    - x, y: arrays of the same shape (or scalars)

    Returns:
    - the maximum relative error, a float (0.0 for empty arrays)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, h=1e-5):
    """Numerical gradient of a scalar function f at x.

    Inputs:
    - f: function taking an array of x's shape and returning a float
    - x: float array, any shape; perturbed in place and restored
    - h: step size

    Returns:
    - grad: array of the same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        saved = x[ix]
        x[ix] = saved + h
        f_plus = f(x)
        x[ix] = saved - h
        f_minus = f(x)
        x[ix] = saved
        grad[ix] = (f_plus - f_minus) / (2 * h)
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of an array-valued f at x, given the upstream df.

    Computes d(sum(f(x) * df))/dx, the quantity a backward pass returns.
    It differences f elementwise *before* weighting and summing: summing
    first (reusing eval_numerical_gradient) cancels digits and costs about
    one order of magnitude of accuracy.

    Inputs:
    - f: function taking an array of x's shape and returning an array
    - x: float array, any shape; perturbed in place and restored
    - df: upstream gradient, same shape as f(x)
    - h: step size

    Returns:
    - grad: array of the same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        saved = x[ix]
        x[ix] = saved + h
        f_plus = np.array(f(x), dtype=np.float64)  # copy: f may reuse buffers
        x[ix] = saved - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[ix] = saved
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, rng=None):
    """Compare an analytic gradient with centered differences at random entries.

    Inputs:
    - f: scalar function of x
    - x: float array, perturbed in place and restored
    - analytic_grad: array of x's shape
    - num_checks: how many random entries to check
    - rng: numpy Generator (a fixed one is used when None)

    Returns:
    - the largest relative error over the checked entries, a float
    """
    rng = np.random.default_rng(0) if rng is None else rng
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        saved = x[ix]
        x[ix] = saved + h
        f_plus = f(x)
        x[ix] = saved - h
        f_minus = f(x)
        x[ix] = saved
        numeric = (f_plus - f_minus) / (2 * h)
        worst = max(worst, rel_error(numeric, analytic_grad[ix]))
    return worst


def layer_gradient_errors(forward, backward, inputs, dout=None, rng=None, **kwargs):
    """Check a layer's backward pass against centered differences of its forward.

    Inputs:
    - forward: forward(*inputs, **kwargs) -> (out, cache)
    - backward: backward(dout, cache) -> one gradient, or a tuple with one
      gradient per entry of inputs, in order
    - inputs: list of float arrays the layer is differentiated with respect to
    - dout: upstream gradient (random standard normal when None)
    - kwargs: constant keyword arguments of forward (e.g. alpha=0.1)

    Returns:
    - list of relative errors ||analytic - numeric|| / (||analytic|| + ||numeric||),
      one per input. A norm-based error: an elementwise one is dominated by
      entries that are ~0 (batch norm's dx has many) and carry pure noise.
    """
    # a seed of its own: a dout drawn like the caller's x would be a function of x (for batch
    # norm, exactly the direction its gradient removes, leaving dx ~ 0 and a meaningless check)
    rng = np.random.default_rng(2311) if rng is None else rng
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    out, cache = forward(*inputs, **kwargs)
    dout = rng.standard_normal(out.shape) if dout is None else dout
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    errors = []
    for i, grad in enumerate(grads):
        def f(v, i=i):
            args = list(inputs)
            args[i] = v
            return forward(*args, **kwargs)[0]
        numeric = eval_numerical_gradient_array(f, inputs[i].copy(), dout)
        denominator = max(np.linalg.norm(grad) + np.linalg.norm(numeric), 1e-12)
        errors.append(float(np.linalg.norm(grad - numeric) / denominator))
    return errors
