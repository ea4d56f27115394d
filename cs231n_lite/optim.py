"""First-order update rules.

Every rule has the signature ``next_w, config = rule(w, dw, config)``:

- w: current weights, any shape
- dw: gradient of the loss with respect to w, same shape
- config: dict of hyperparameters and state (e.g. the velocity); it is
  created on the first call when None and must be passed back next time.
"""
import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent, w -= learning_rate * dw.

    config keys: learning_rate (default 1e-2).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w = w - config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: v = mu * v - lr * dw; w += v.

    config keys: learning_rate (1e-2), momentum (0.9), velocity (zeros of
    w's shape, created on the first call).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
