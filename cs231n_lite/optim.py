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


# --------------------------------------------------------------------------
# Notebook 07: the rules students write. The given sgd and sgd_momentum above
# stay as they are (notebooks 01-04 train with them); the student's own
# momentum is momentum_update, graded in notebook 07.

def momentum_update(w, dw, config=None):
    """SGD with momentum, written by you (the given sgd_momentum is the same rule).

    v = momentum * v - learning_rate * dw
    next_w = w + v

    Inputs:
    - w: weights, any shape
    - dw: gradient of the loss with respect to w, same shape
    - config: dict (None on the first call) with learning_rate (default 1e-2),
      momentum (0.9) and the state velocity (zeros of w's shape at first)

    Returns a tuple of:
    - next_w: the updated weights, same shape as w
    - config: the config dict, velocity updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    ### BEGIN SOLUTION
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum, in the "look-ahead variable" form (Sutskever et al., 2013).

    The gradient dw is taken at the stored weights w (which play the role
    of the look-ahead point):

    v_prev = v
    v = momentum * v - learning_rate * dw
    next_w = w - momentum * v_prev + (1 + momentum) * v

    Inputs:
    - w, dw: weights and gradient, same shape
    - config: dict (None on the first call) with learning_rate (1e-2),
      momentum (0.9) and the state velocity (zeros at first)

    Returns a tuple of:
    - next_w: same shape as w
    - config: velocity updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    ### BEGIN SOLUTION
    v_prev = v
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w - config["momentum"] * v_prev + (1 + config["momentum"]) * v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def adagrad(w, dw, config=None):
    """AdaGrad (Duchi et al., 2011): per-parameter steps shrink with the sum of squared gradients.

    cache = cache + dw ** 2
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    Inputs:
    - w, dw: weights and gradient, same shape
    - config: dict (None on the first call) with learning_rate (1e-2),
      epsilon (1e-8, added *outside* the square root) and the state cache
      (zeros at first)

    Returns a tuple of:
    - next_w: same shape as w
    - config: cache updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    ### BEGIN SOLUTION
    cache = cache + dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    ### END SOLUTION
    config["cache"] = cache
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp (Tieleman & Hinton, 2012): a leaky average of squared gradients.

    cache = decay_rate * cache + (1 - decay_rate) * dw ** 2
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    Inputs:
    - w, dw: weights and gradient, same shape
    - config: dict (None on the first call) with learning_rate (1e-2),
      decay_rate (0.99: the weight of the *old* cache), epsilon (1e-8,
      outside the square root) and the state cache (zeros at first)

    Returns a tuple of:
    - next_w: same shape as w
    - config: cache updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    ### BEGIN SOLUTION
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    ### END SOLUTION
    config["cache"] = cache
    return next_w, config


def adam(w, dw, config=None):
    """Adam (Kingma & Ba, 2015) with bias correction.

    t = t + 1                                   (so t = 1 at the first step)
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t);  v_hat = v / (1 - beta2 ** t)
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    The step counter is incremented *before* the bias correction, as in the
    paper and in PyTorch.

    Inputs:
    - w, dw: weights and gradient, same shape
    - config: dict (None on the first call) with learning_rate (1e-3),
      beta1 (0.9), beta2 (0.999), epsilon (1e-8) and the state m, v (zeros
      at first) and t (0 before the first step)

    Returns a tuple of:
    - next_w: same shape as w
    - config: m, v and t updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0)
    beta1, beta2 = config["beta1"], config["beta2"]
    ### BEGIN SOLUTION
    t = t + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    ### END SOLUTION
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


# --------------------------------------------------------------------------
# Learning-rate schedules: pure functions of the iteration (0 = the first
# step). A training loop asks for the rate before each step and writes it
# into every parameter's config["learning_rate"].

def step_decay(base_lr, iteration, step_size, gamma=0.1):
    """Piecewise-constant schedule: multiply by gamma every step_size iterations.

    lr = base_lr * gamma ** floor(iteration / step_size)
    (iterations 0 .. step_size - 1 use base_lr; iteration step_size the first decayed rate.)

    Inputs:
    - base_lr: float, the rate at iteration 0
    - iteration: int >= 0
    - step_size: int > 0
    - gamma: float, the factor applied at each drop

    Returns:
    - lr: float
    """
    ### BEGIN SOLUTION
    lr = base_lr * gamma ** (iteration // step_size)
    ### END SOLUTION
    return float(lr)


def exponential_decay(base_lr, iteration, k):
    """Exponential schedule, lr = base_lr * exp(-k * iteration).

    Inputs:
    - base_lr: float, the rate at iteration 0
    - iteration: int >= 0
    - k: float >= 0, the decay rate per iteration

    Returns:
    - lr: float
    """
    ### BEGIN SOLUTION
    lr = base_lr * np.exp(-k * iteration)
    ### END SOLUTION
    return float(lr)


def inverse_time_decay(base_lr, iteration, k):
    """1/t schedule, lr = base_lr / (1 + k * iteration).

    Inputs:
    - base_lr: float, the rate at iteration 0
    - iteration: int >= 0
    - k: float >= 0

    Returns:
    - lr: float
    """
    ### BEGIN SOLUTION
    lr = base_lr / (1 + k * iteration)
    ### END SOLUTION
    return float(lr)
