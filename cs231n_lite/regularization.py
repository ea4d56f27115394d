"""L2 weight decay as a piece of the model's loss and gradient (notebook 07).

Only weight matrices are decayed: parameters whose name starts with "W"
(W1, W2, ...). Biases (b*), batch/layer norm's gamma*/beta* and any other
parameter are left alone: they do not multiply the inputs, so shrinking
them does not make the function smoother, and decaying gamma fights the
normalization.
"""
import numpy as np


def is_decayed(name):
    """True for the parameters L2 applies to: names starting with 'W'."""
    return name.startswith("W")


def l2_penalty(params, reg):
    """L2 penalty 0.5 * reg * sum of squared weights, and its gradient.

    loss = 0.5 * reg * sum over decayed W of sum(W ** 2)
    grads[W] = reg * W                 (the 0.5 cancels the 2 of the derivative)
    grads[other] = zeros               (biases, gamma, beta: not decayed)

    Inputs:
    - params: dict name -> array, e.g. FullyConnectedNet.params
    - reg: float >= 0, the regularization strength

    Returns a tuple of:
    - loss: float
    - grads: dict with the same keys as params, each of its parameter's shape
    """
    loss = 0.0
    grads = {}
    for name, p in params.items():
        ### BEGIN SOLUTION
        if is_decayed(name):
            loss += 0.5 * reg * float(np.sum(p * p))
            grads[name] = reg * p
        else:
            grads[name] = np.zeros_like(p)
        ### END SOLUTION
    return float(loss), grads
