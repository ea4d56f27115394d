"""Cases of the update rules, schedules, L2 and dropout (notebook 07; selfcheck/optimization.py, regularization.py)."""
import numpy as np

from cs231n_lite import layers, optim, regularization

from .common import check_case, fixture_dict, numeric


def _trajectory(rule, w0, dws, config):
    """The weights after each step of ``rule`` fed the gradients ``dws``, as (K, *w.shape)."""
    w, out = w0.copy(), []
    for dw in dws:
        w, config = rule(w, dw, config)
        out.append(w)
    return np.array(out), config


def build(case, seed):
    """Fixtures of the update rules, schedules, l2_penalty and dropout: {'<function>/<field>': array}.

    Hyperparameters are chosen so that every known wrong variant differs:
    epsilon is large (1e-3-ish) next to some tiny gradients, so eps inside the
    square root shows; decay rates and betas are far from 0.5, so a swapped
    average shows; keep_prob is never 0.5, so a drop probability shows.
    """
    visible = check_case(case)
    rng = np.random.default_rng(seed)
    fx, add = fixture_dict()

    shape, steps = ((4, 5), 5) if visible else (tuple(rng.integers(3, 7, 2)), int(rng.integers(4, 8)))
    loguniform = lambda lo, hi: float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    def gradients():
        dws = rng.standard_normal((steps, *shape))
        dws[:, :, 0] *= 0.01          # tiny gradients: there epsilon matters
        return dws

    if visible:
        hyper = {"momentum_update": {"learning_rate": 0.05, "momentum": 0.8},
                 "nesterov_momentum": {"learning_rate": 0.05, "momentum": 0.8},
                 "adagrad": {"learning_rate": 0.1, "epsilon": 1e-3},
                 "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-3},
                 "adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-3}}
    else:
        mu = lambda: rng.uniform(0.6, 0.95)
        hyper = {"momentum_update": {"learning_rate": loguniform(1e-3, 1e-1), "momentum": mu()},
                 "nesterov_momentum": {"learning_rate": loguniform(1e-3, 1e-1), "momentum": mu()},
                 "adagrad": {"learning_rate": loguniform(1e-3, 1e-1), "epsilon": loguniform(1e-4, 1e-2)},
                 "rmsprop": {"learning_rate": loguniform(1e-3, 1e-1), "decay_rate": rng.uniform(0.7, 0.97),
                             "epsilon": loguniform(1e-4, 1e-2)},
                 "adam": {"learning_rate": loguniform(1e-3, 1e-1), "beta1": rng.uniform(0.7, 0.95),
                          "beta2": rng.uniform(0.85, 0.99), "epsilon": loguniform(1e-4, 1e-2)}}
    state_keys = {"momentum_update": ("velocity",), "nesterov_momentum": ("velocity",), "adagrad": ("cache",),
                  "rmsprop": ("cache",), "adam": ("m", "v")}
    for name, h in hyper.items():
        rule = getattr(optim, name)
        w0, dws = rng.standard_normal(shape), gradients()
        ws, config = _trajectory(rule, w0, dws, dict(h))
        ws_default, _ = _trajectory(rule, w0, dws, None)
        f = {"w0": w0, "dws": dws, "ws": ws, "ws_default": ws_default,
             "hyper_names": np.array(sorted(h)), "hyper_values": np.array([h[k] for k in sorted(h)])}
        for key in state_keys[name]:            # the state the docstring says config holds
            f[f"state_{key}"] = config[key]
        if name in ("momentum_update", "nesterov_momentum"):
            # a schedule sets config['learning_rate'] before each step: the velocity must hold the rate
            lrs = h["learning_rate"] * 0.6 ** np.arange(steps)
            w, config, out = w0.copy(), dict(h), []
            for lr, dw in zip(lrs, dws):
                config["learning_rate"] = float(lr)
                w, config = rule(w, dw, config)
                out.append(w)
            f["schedule_lrs"], f["ws_schedule"] = lrs, np.array(out)
        if name == "adam":   # resume from a state saved after t0 steps
            t0 = 3 if visible else int(rng.integers(2, 20))
            m0, v0 = 0.1 * rng.standard_normal(shape), 0.1 * rng.uniform(0.1, 1.0, shape)
            f["m0"], f["v0"], f["t0"] = m0, v0, t0
            f["ws_resume"], cfg = _trajectory(rule, w0, dws, {**h, "m": m0.copy(), "v": v0.copy(), "t": t0})
            f["m_resume"], f["v_resume"] = cfg["m"], cfg["v"]
        add(name, f)

    # schedules: iterations 0..; the step boundaries included
    base_lr = 0.1 if visible else loguniform(1e-3, 1.0)
    step_size = 5 if visible else int(rng.integers(3, 40))
    gamma = 0.5 if visible else rng.uniform(0.1, 0.8)
    k = 0.05 if visible else loguniform(1e-3, 0.3)
    its = np.unique(np.concatenate([np.arange(4 * step_size + 2),
                                    [0, 100, 1000] if visible else rng.integers(0, 5000, 5)]))
    add("step_decay", {"base_lr": base_lr, "step_size": step_size, "gamma": gamma, "iterations": its,
                       "lr": [optim.step_decay(base_lr, int(i), step_size, gamma) for i in its]})
    for name in ("exponential_decay", "inverse_time_decay"):
        add(name, {"base_lr": base_lr, "k": k, "iterations": its,
                   "lr": [getattr(optim, name)(base_lr, int(i), k) for i in its]})

    # L2: a net's parameters, with biases and normalization parameters
    dims = [5, 4, 3] if visible else list(rng.integers(2, 7, 4))
    params = {}
    for i in range(1, len(dims)):
        params[f"W{i}"] = rng.standard_normal((dims[i - 1], dims[i]))
        params[f"b{i}"] = rng.standard_normal(dims[i])
        if i < len(dims) - 1:
            params[f"gamma{i}"] = rng.uniform(0.5, 2.0, dims[i])
            params[f"beta{i}"] = rng.standard_normal(dims[i])
    reg = 0.3 if visible else loguniform(1e-3, 1.0)
    loss, grads = regularization.l2_penalty(params, reg)
    f = {"reg": reg, "loss": loss, "names": np.array(list(params))}
    for name, p in params.items():
        f["p_" + name], f["d_" + name] = p, grads[name]
        if regularization.is_decayed(name):   # the others have a zero gradient
            numeric(lambda v, name=name: np.array(regularization.l2_penalty({**params, name: v}, reg)[0]),
                     p, np.array(1.0), "d_" + name, f)
    add("l2_penalty", f)

    # dropout: the forward is tested statistically (selfcheck draws its inputs);
    # the backward gets a cache in the documented layout, from the reference forward
    keep_prob = 0.7 if visible else float(rng.choice([rng.uniform(0.2, 0.45), rng.uniform(0.55, 0.9)]))
    add("dropout_forward", {"keep_prob": keep_prob,
                            "shape": [200, 300] if visible else [int(rng.integers(150, 250)), 256]})
    dshape = (6, 7) if visible else tuple(rng.integers(4, 9, 2))
    x, dout = rng.standard_normal(dshape), rng.standard_normal(dshape)
    while True:   # both kept and dropped units (else some wrong backward passes equal the right one)
        mask_seed = int(rng.integers(2 ** 31))
        param = {"keep_prob": keep_prob, "mode": "train", "seed": mask_seed}
        _, (_, mask) = layers.dropout_forward(x, dict(param))
        if min(mask.sum(), (~mask).sum()) >= 3:
            break
    b = {"x": x, "dout": dout, "keep_prob": keep_prob, "seed": mask_seed, "mask": mask,
         "dx": layers.dropout_backward(dout, (param, mask))}
    numeric(lambda v: layers.dropout_forward(v, dict(param))[0], x, dout, "dx", b)
    add("dropout_backward", b)
    return fx
