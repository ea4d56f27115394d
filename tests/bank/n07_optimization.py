"""Bank entries of notebook 07 (cs231n_lite/optim.py, regularization.py, layers.py): rules, schedules, L2, dropout."""
from . import Bug, Correct

MOM = "    v = config[\"momentum\"] * v - config[\"learning_rate\"] * dw\n    next_w = w + v\n"
NEST = ('''    v_prev = v
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w - config["momentum"] * v_prev + (1 + config["momentum"]) * v
''')
ADAGRAD = "    cache = cache + dw ** 2\n    next_w = w - config[\"learning_rate\"] * dw / (np.sqrt(cache) + config[\"epsilon\"])\n"
RMS = ('''    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
''')
ADAM = ('''    t = t + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
''')
STEP = "    lr = base_lr * gamma ** (iteration // step_size)\n"
EXPO = "    lr = base_lr * np.exp(-k * iteration)\n"
INV = "    lr = base_lr / (1 + k * iteration)\n"
L2 = ('''        if is_decayed(name):
            loss += 0.5 * reg * float(np.sum(p * p))
            grads[name] = reg * p
        else:
            grads[name] = np.zeros_like(p)
''')
MASK = "        mask = rng.random(x.shape) < p\n        out = x * mask / p\n"
TEST = "        out = x.copy()\n"
BACK = "        dx = dout * mask / p\n    else:\n        dx = dout.copy()\n"


def adam(old, new):
    return ((ADAM, ADAM.replace(old, new)),)


BUGS = [
    Bug("momentum_update", "w - v", ((MOM, MOM.replace("next_w = w + v", "next_w = w - v")),), "sign conventions mixed"),
    Bug("momentum_update", "velocity not carried", ((MOM, "    next_w = w - config[\"learning_rate\"] * dw\n"),),
        "the velocity is not carried"),
    Bug("momentum_update", "the learning rate on the stored velocity",
        ((MOM, "    v = config[\"momentum\"] * v - dw\n    next_w = w + config[\"learning_rate\"] * v\n"),),
        "the learning rate was applied to the stored velocity"),
    Bug("momentum_update", "+ lr * dw with w + v", ((MOM, MOM.replace("- config[\"learning_rate\"] * dw", "+ config[\"learning_rate\"] * dw")),),
        "sign conventions mixed"),
    Bug("nesterov_momentum", "classical momentum", ((NEST, NEST.replace(
        "next_w = w - config[\"momentum\"] * v_prev + (1 + config[\"momentum\"]) * v", "next_w = w + v")),),
        "this is classical momentum"),
    Bug("nesterov_momentum", "signs of the look-ahead swapped", ((NEST, NEST.replace(
        "next_w = w - config[\"momentum\"] * v_prev + (1 + config[\"momentum\"]) * v",
        "next_w = w + config[\"momentum\"] * v_prev - (1 + config[\"momentum\"]) * v")),), "sign conventions mixed"),
    Bug("nesterov_momentum", "the learning rate on the stored velocity", ((NEST, '''    v_prev = v
    v = config["momentum"] * v - dw
    next_w = w + config["learning_rate"] * (-config["momentum"] * v_prev + (1 + config["momentum"]) * v)
'''),), "the learning rate was applied to the stored velocity"),
    Bug("adagrad", "epsilon inside the root", ((ADAGRAD, ADAGRAD.replace("(np.sqrt(cache) + config[\"epsilon\"])",
                                                                       "np.sqrt(cache + config[\"epsilon\"])")),),
        "epsilon is inside the square root"),
    Bug("adagrad", "cache not accumulated", ((ADAGRAD, ADAGRAD.replace("cache = cache + dw ** 2", "cache = dw ** 2")),),
        "the cache is not accumulated"),
    Bug("adagrad", "no square root", ((ADAGRAD, ADAGRAD.replace("(np.sqrt(cache) + config[\"epsilon\"])",
                                                              "(cache + config[\"epsilon\"])")),), "the square root is missing"),
    Bug("rmsprop", "epsilon inside the root", ((RMS, RMS.replace("(np.sqrt(cache) + config[\"epsilon\"])",
                                                               "np.sqrt(cache + config[\"epsilon\"])")),),
        "epsilon is inside the square root"),
    Bug("rmsprop", "decay the wrong way round", ((RMS, RMS.replace(
        "config[\"decay_rate\"] * cache + (1 - config[\"decay_rate\"]) * dw ** 2",
        "(1 - config[\"decay_rate\"]) * cache + config[\"decay_rate\"] * dw ** 2")),), "the wrong way round"),
    Bug("rmsprop", "no (1 - decay_rate)", ((RMS, RMS.replace("(1 - config[\"decay_rate\"]) * dw ** 2", "dw ** 2")),),
        "lacks its factor (1 - decay_rate)"),
    Bug("rmsprop", "no decay (AdaGrad)", ((RMS, RMS.replace("config[\"decay_rate\"] * cache + (1 - config[\"decay_rate\"]) * dw ** 2",
                                                           "cache + dw ** 2")),), "never decays"),
    Bug("adam", "t incremented after the correction", ((ADAM, ADAM.replace("    t = t + 1\n", "").replace(
        "    next_w = w - config", "    t = t + 1\n    next_w = w - config")),), "incremented after the bias correction"),
    Bug("adam", "no bias correction", adam("    m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)\n",
                                           "    m_hat, v_hat = m, v\n"), "there is no bias correction"),
    Bug("adam", "only m corrected", adam("    v_hat = v / (1 - beta2 ** t)\n", "    v_hat = v\n"), "only m is bias-corrected"),
    Bug("adam", "epsilon inside the root", adam("(np.sqrt(v_hat) + config[\"epsilon\"])", "np.sqrt(v_hat + config[\"epsilon\"])"),
        "epsilon is inside the square root"),
    Bug("adam", "the correction with t + 1", adam("    m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)\n",
                                                 "    m_hat = m / (1 - beta1 ** (t + 1))\n    v_hat = v / (1 - beta2 ** (t + 1))\n"),
        "t is one too large"),
    Bug("step_decay", "one iteration early", ((STEP, "    lr = base_lr * gamma ** ((iteration + 1) // step_size)\n"),),
        "one iteration early"),
    Bug("step_decay", "not rounded down", ((STEP, "    lr = base_lr * gamma ** (iteration / step_size)\n"),), "not rounded down"),
    Bug("step_decay", "gamma ** iteration", ((STEP, "    lr = base_lr * gamma ** iteration\n"),), "raised to the iteration itself"),
    Bug("step_decay", "gamma ignored", ((STEP, "    lr = base_lr * 0.1 ** (iteration // step_size)\n"),), "the gamma argument was ignored"),
    Bug("exponential_decay", "sign of the exponent", ((EXPO, "    lr = base_lr * np.exp(k * iteration)\n"),), "the sign of the exponent"),
    Bug("exponential_decay", "the discrete form", ((EXPO, "    lr = base_lr * (1 - k) ** iteration\n"),), "the discrete form"),
    Bug("exponential_decay", "base_lr missing", ((EXPO, "    lr = np.exp(-k * iteration)\n"),), "base_lr is missing"),
    Bug("inverse_time_decay", "the 1 missing", ((INV, "    lr = base_lr / (k * iteration)\n"),), "the 1 is missing"),
    Bug("inverse_time_decay", "k ignored", ((INV, "    lr = base_lr / (1 + iteration)\n"),), "k is ignored"),
    Bug("inverse_time_decay", "(1 + k) ** iteration", ((INV, "    lr = base_lr / (1 + k) ** iteration\n"),), "decays exponentially"),
    Bug("l2_penalty", "every parameter decayed", ((L2, '''        loss += 0.5 * reg * float(np.sum(p * p))
        grads[name] = reg * p
'''),), "L2 applied to biases"),
    Bug("l2_penalty", "no 0.5 in the loss", ((L2, L2.replace("loss += 0.5 * reg", "loss += reg")),), "the 0.5 factor is missing"),
    Bug("l2_penalty", "2 * reg * W", ((L2, L2.replace("grads[name] = reg * p", "grads[name] = 2 * reg * p")),), "2 * reg * W"),
    Bug("l2_penalty", "0.5 in the gradient too", ((L2, L2.replace("grads[name] = reg * p", "grads[name] = 0.5 * reg * p")),),
        "counted twice"),
    Bug("l2_penalty", "no gradient for the others", ((L2, L2.replace("        else:\n            grads[name] = np.zeros_like(p)\n", "")),),
        "the parameters that are not decayed were left out"),
    Bug("dropout_forward", "not rescaled", ((MASK, MASK.replace("out = x * mask / p", "out = x * mask")),), "the dropout mask is not rescaled"),
    Bug("dropout_forward", "drop probability as keep", ((MASK, MASK.replace("< p", "< 1 - p")),), "the drop probability used"),
    Bug("dropout_forward", "multiplied by keep_prob", ((MASK, MASK.replace("out = x * mask / p", "out = x * mask * p")),),
        "multiplied by keep_prob"),
    Bug("dropout_forward", "test mode rescaled", ((TEST, "        out = x * p\n"),), "rescaled at test time"),
    Bug("dropout_forward", "global np.random", ((MASK, MASK.replace("rng.random(x.shape)", "np.random.random(x.shape)")),),
        "drawn from np.random's global state"),
    Bug("dropout_forward", "the scaled mask cached", ((MASK, "        mask = (rng.random(x.shape) < p) / p\n        out = x * mask\n"),),
        "the cache holds the scaled mask"),
    Bug("dropout_backward", "not rescaled", ((BACK, BACK.replace("dx = dout * mask / p", "dx = dout * mask")),), "the gradient is not rescaled"),
    Bug("dropout_backward", "mask not applied", ((BACK, BACK.replace("dx = dout * mask / p", "dx = dout / p")),), "the mask was not applied"),
    Bug("dropout_backward", "rescaled in test mode", ((BACK, BACK.replace("dx = dout.copy()", "dx = dout / p")),),
        "rescaled in test mode"),
    Bug("dropout_backward", "divided by 1 - keep_prob", ((BACK, BACK.replace("dx = dout * mask / p", "dx = dout * mask / (1 - p)")),),
        "divided by the drop probability"),
]

CORRECT = [
    Correct("momentum_update", "the other sign convention", ((MOM, "    v = config[\"momentum\"] * v + config[\"learning_rate\"] * dw\n"
                                                             "    next_w = w - v\n"),)),
    Correct("rmsprop", "the update written in two lines", ((RMS, '''    cache = cache * config["decay_rate"]
    cache = cache + (1 - config["decay_rate"]) * dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
'''),)),
    Correct("adam", "the correction folded into the step", ((ADAM, '''    t = t + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    step = config["learning_rate"] * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    next_w = w - step * m / (np.sqrt(v) + config["epsilon"] * np.sqrt(1 - beta2 ** t))
'''),)),
    Correct("step_decay", "np.floor", ((STEP, "    lr = base_lr * gamma ** np.floor(iteration / step_size)\n"),)),
    Correct("dropout_forward", "rng.binomial mask", ((MASK, "        mask = rng.binomial(1, p, x.shape).astype(bool)\n        out = np.where(mask, x / p, 0.0)\n"),)),
]
