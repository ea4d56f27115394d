"""Tests of L2 weight decay and inverted dropout (notebook 07_update_rules_and_regularization.ipynb).

Dropout is random: its forward pass is tested by its contract (fraction
kept, scaling of the kept units, reproducibility, test mode, cache layout),
each statistic within Z = 5.5 standard errors (selfcheck/stats.py); its
backward pass gets a cache in the documented layout (the reference
forward's, from the fixture).
"""
import numpy as np

from .feedback import CheckFailed, call, expect_array, expect_gradients, expect_outputs
from .fixtures import case_seed as _seed
from .registry import Suite
from .stats import Z

NOTEBOOK = "07_update_rules_and_regularization.ipynb"
SUITE = Suite(module="layers", notebook=NOTEBOOK, fixtures="optimization")
TOL, NUMERIC_TOL = 1e-9, 1e-6


# --------------------------------------------------------------------------
# L2

BIASES = ("L2 applied to biases (or to batchnorm's gamma / beta): only the weight matrices W* are "
          "decayed; the gradient of every other parameter is zeros.")


@SUITE.graded("l2_penalty", points=2, module="regularization")
def test_l2_penalty(l2_penalty, case="visible"):
    """Named mistakes: biases, gamma or beta decayed; the 0.5 missing or counted twice in the loss or
    the gradient; 2 * reg * W; grads missing the parameters that are not decayed."""
    name = "l2_penalty"
    f = SUITE.load(name, case)
    names, reg = [str(n) for n in f["names"]], float(f["reg"])
    params = {n: f["p_" + n] for n in names}
    result, _ = call(l2_penalty, name, {n: p.copy() for n, p in params.items()}, reg)
    loss, grads = expect_outputs(name, result, ("loss", "grads"))
    weights = sum(float(np.sum(p * p)) for n, p in params.items() if n.startswith("W"))
    everything = sum(float(np.sum(p * p)) for p in params.values())
    expect_array(name, "loss", loss, f["loss"], TOL, mistakes=[
        (BIASES, 0.5 * reg * everything),
        ("the 0.5 factor is missing from the loss: loss = 0.5 * reg * sum(W ** 2), whose gradient "
         "is reg * W.", reg * weights),
        ("the 0.5 factor counted twice (0.25 * reg * sum(W ** 2)): loss = 0.5 * reg * sum(W ** 2).",
         0.25 * reg * weights),
    ])
    if not isinstance(grads, dict) or set(grads) != set(names):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        hint = (" Likely mistake: the parameters that are not decayed were left out; they get zeros "
                "(np.zeros_like)." if isinstance(grads, dict) and set(grads) < set(names) else
                " Parameters that are not decayed get zeros.")
        raise CheckFailed(f"{name}: grads must be a dict with one entry per parameter, {names}; got {got}.{hint}")
    for n in names:
        p = params[n]
        if n.startswith("W"):
            mistakes = [("the 0.5 factor counted twice: the derivative of 0.5 * reg * W ** 2 is reg * W "
                         "(the 0.5 cancels the 2).", 0.5 * reg * p),
                        ("the gradient is 2 * reg * W: the 0.5 in the loss cancels the 2 of the derivative, "
                         "so it is reg * W.", 2 * reg * p)]
        else:
            mistakes = [(BIASES, reg * p)]
        expect_array(name, f"grads['{n}']", grads[n], f["d_" + n], TOL, mistakes=mistakes)
    keys = tuple(f"d_{n}" for n in names if n.startswith("W"))
    expect_gradients(name, keys, [grads[k[2:]] for k in keys], f, TOL, NUMERIC_TOL)


# --------------------------------------------------------------------------
# dropout

def _dropout_out(name, fn, x, param, what):
    result, _ = call(fn, name, x, param)
    out, cache = expect_outputs(name, result, ("out", "cache"))
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        raise CheckFailed(f"{name}: out ({what}) must be an array of shape {x.shape}; got "
                          f"{getattr(out, 'shape', type(out).__name__)}.")
    return out, cache


@SUITE.graded("dropout_forward", points=3)
def test_dropout_forward(dropout_forward, case="visible"):
    """Named mistakes: test mode rescaled; the drop probability used as the keep probability; kept
    units not rescaled, multiplied by keep_prob or divided by 1 - keep_prob; the cache's mask not a
    boolean array of the kept units; the global np.random state, or the seed / rng ignored."""
    name = "dropout_forward"
    f = SUITE.load(name, case)
    p, shape = float(f["keep_prob"]), tuple(int(s) for s in f["shape"])
    rng = np.random.default_rng(_seed(name, case, 0))
    x = rng.uniform(0.5, 2.0, shape)             # no zeros: a zero in out means a dropped unit

    # test mode: the identity
    out, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "mode": "test"}, "test mode")
    expect_array(name, "out in test mode", out, x, TOL, mistakes=[
        ("the output is rescaled at test time too (times keep_prob): with inverted dropout the "
         "training pass already divides by keep_prob, so test mode is the identity.", x * p),
        ("the output is rescaled at test time too (divided by keep_prob): test mode is the identity.", x / p),
    ])

    # train mode: the fraction kept and the scaling of kept units
    param = {"keep_prob": p, "mode": "train", "seed": int(rng.integers(2 ** 31))}
    out, cache = _dropout_out(name, dropout_forward, x, dict(param), "train mode")
    kept = out != 0
    n = x.size
    frac, se = float(kept.mean()), np.sqrt(p * (1 - p) / n)
    if abs(frac - p) > Z * se:
        msg = (f"{name}: {frac:.2%} of the units were kept in train mode, expected keep_prob = {p:.2%} "
               f"(allowed +/- {Z * se:.2%} over {n} units).")
        if abs(frac - (1 - p)) <= Z * se:
            msg += (" Likely mistake: the drop probability used where the keep probability is meant: "
                    "keep a unit where rng.random(shape) < keep_prob.")
        raise CheckFailed(msg)
    expect_array(name, "out at the kept units (train mode)", out[kept], x[kept] / p, TOL, mistakes=[
        ("the dropout mask is not rescaled: inverted dropout divides the kept units by keep_prob, so "
         "that the expected activation is unchanged and test mode needs no scaling.", x[kept]),
        ("the kept units were multiplied by keep_prob; inverted dropout divides them by keep_prob.",
         x[kept] * p),
        ("the kept units were divided by the drop probability 1 - keep_prob; divide by keep_prob.",
         x[kept] / (1 - p)),
    ])

    # the cache layout dropout_backward relies on
    if not (isinstance(cache, tuple) and len(cache) == 2):
        raise CheckFailed(f"{name}: cache must be (dropout_param, mask) as documented; got "
                          f"{type(cache).__name__}.")
    mask = np.asarray(cache[1]) if cache[1] is not None else None
    if mask is None or mask.shape != x.shape or mask.dtype != bool or not np.array_equal(mask, kept):
        hint = ""
        if mask is not None and mask.shape == x.shape and np.allclose(mask, kept / p):
            hint = (" Likely mistake: the cache holds the scaled mask (mask / keep_prob); keep the boolean "
                    "mask, dropout_backward does its own scaling.")
        raise CheckFailed(f"{name}: the cache's mask must be a boolean array of x's shape, True exactly "
                          f"where the unit was kept (out != 0), so that dropout_backward uses the same mask.{hint}")

    # reproducibility: the seed, or the rng, decides the mask; the global state is not used
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        again, _ = _dropout_out(name, dropout_forward, x, dict(param), "same seed")
        np.random.seed(2)
        other, _ = _dropout_out(name, dropout_forward, x, {**param, "seed": param["seed"] + 1}, "other seed")
        gen_a, gen_b = np.random.default_rng(_seed(name, case, 5)), np.random.default_rng(_seed(name, case, 5))
        with_rng_a, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "rng": gen_a}, "rng given")
        with_rng_b, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": p, "rng": gen_b}, "rng given")
    finally:
        np.random.set_state(saved)
    if not np.array_equal(again, out):
        raise CheckFailed(f"{name}: two calls with the same dropout_param['seed'] gave different masks. Likely "
                          "mistake: the mask was drawn from np.random's global state; draw it from the Generator "
                          "the param names (its 'rng', or one made from its 'seed').")
    if np.array_equal(other, out):
        raise CheckFailed(f"{name}: two different seeds gave the same mask; draw the mask from the seed's Generator.")
    if not np.array_equal(with_rng_a, with_rng_b):
        raise CheckFailed(f"{name}: two Generators in the same state (dropout_param['rng']) gave different "
                          "masks; draw from dropout_param['rng'] when it is given.")

    # keep_prob = 1 keeps everything
    out1, _ = _dropout_out(name, dropout_forward, x, {"keep_prob": 1.0, "mode": "train", "seed": 3},
                           "keep_prob = 1")
    expect_array(name, "out with keep_prob = 1 (train mode)", out1, x, TOL)


@SUITE.graded("dropout_backward", points=2)
def test_dropout_backward(dropout_backward, case="visible"):
    """Named mistakes: not rescaled, divided by 1 - keep_prob, multiplied by keep_prob; the mask not
    applied; the dropout ignored; rescaled in test mode."""
    name = "dropout_backward"
    f = SUITE.load(name, case)
    dout, mask, p = f["dout"], f["mask"].astype(bool), float(f["keep_prob"])
    param = {"keep_prob": p, "mode": "train", "seed": int(f["seed"])}
    result, _ = call(dropout_backward, name, dout, (param, mask.copy()))
    (dx,) = expect_outputs(name, result, ("dx",))
    expect_gradients(name, ("dx",), (dx,), f, TOL, NUMERIC_TOL, mistakes={"dx": [
        ("the gradient is not rescaled: the forward divided the kept units by keep_prob, so the "
         "backward does too, dx = dout * mask / keep_prob.", dout * mask),
        ("the gradient was divided by the drop probability 1 - keep_prob; divide by keep_prob.",
         dout * mask / (1 - p)),
        ("the gradient was multiplied by keep_prob; divide by it.", dout * mask * p),
        ("the mask was not applied: dropped units received no input from x, so they pass back "
         "no gradient (use the mask of the cache).", dout / p),
        ("the backward ignores the dropout: only the kept units pass the gradient, scaled by 1 / keep_prob.",
         dout),
    ]}, context={"mask": mask.astype(float)})
    result, _ = call(dropout_backward, name, dout, ({"keep_prob": p, "mode": "test"}, None))
    (dx,) = expect_outputs(name, result, ("dx",))
    expect_array(name, "dx in test mode", dx, dout, TOL, mistakes=[
        ("the gradient is rescaled in test mode: the forward is the identity there, so dx = dout.", dout / p),
        ("the gradient is rescaled in test mode: the forward is the identity there, so dx = dout.", dout * p)])
