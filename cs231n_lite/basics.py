"""Given layers (not graded): the affine layer, the worked example of the forward/backward API,
and the softmax loss. cs231n_lite.layers exports them too.
"""
import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer, out = x.reshape(N, D) @ w + b.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k); each example is flattened to
      D = d_1 * ... * d_k features
    - w: weights, shape (D, M)
    - b: biases, shape (M,)

    Returns a tuple of:
    - out: shape (N, M)
    - cache: (x, w, b)
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of affine_forward.

    Inputs:
    - dout: upstream gradient, shape (N, M)
    - cache: (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: shape of x, (N, d_1, ..., d_k)
    - dw: shape (D, M)
    - db: shape (M,)
    """
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def softmax_loss(x, y):
    """Mean softmax (cross-entropy) loss and its gradient.

    Inputs:
    - x: class scores, shape (N, C)
    - y: integer labels, shape (N,), 0 <= y[i] < C

    Returns a tuple of:
    - loss: scalar
    - dx: gradient of the loss with respect to x, shape (N, C)
    """
    shifted = x - x.max(axis=1, keepdims=True)  # exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


