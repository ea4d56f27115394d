"""Hyperparameter optimization: samplers, random and grid search, coarse-to-fine,
early stopping and learning-rate decay on plateau (graded, notebook 06).

Everything here takes and returns plain data. A *search space* is a dict
name -> spec, where a spec is a tuple (or list):

- ``("log_uniform", low, high)``: 10**u with u uniform on [log10 low, log10 high]
- ``("uniform", low, high)``: uniform on [low, high]
- ``("int", low, high)``: an integer drawn uniformly from low..high (both included)
- ``("choice", [v1, v2, ...])``: one of the values, each equally likely

A *trial* is a dict ``{"config": dict, "result": dict, "status": str}``. The
searches call ``train_fn(config) -> result``, a callable handed in by the
caller; ``result`` must hold ``"loss_history"`` (the training losses of the
run, a list of floats, first one = the initial loss) and whatever metric the
caller ranks trials by (``"val_acc"`` by convention).

The early-abort rule (the lecture's "loss > 3x the original: break out
early") is ``trial_status``: the training run stops itself (the Solver's
``divergence_factor`` guard ends the run at the first such loss, so its
loss history ends there), and the search *reports* it from the loss history.
"""
import itertools

import numpy as np

SPEC_KINDS = ("log_uniform", "uniform", "int", "choice")
STATUS_OK = "ok"
STATUS_NAN = "aborted: NaN"


def exploded_status(abort_factor=3.0):
    """The status string of a trial whose loss exceeded abort_factor x its initial value."""
    return f"aborted: loss > {abort_factor:g}x initial"


def log_uniform(low, high, size, rng):
    """Samples whose base-10 logarithm is uniform on [log10(low), log10(high)].

    Each decade between low and high receives the same share of samples
    (e.g. between 1e-5 and 1e-1, a quarter of them fall in [1e-3, 1e-2]).

    Inputs:
    - low, high: positive floats, low < high
    - size: int or tuple, the shape of the output
    - rng: numpy.random.Generator, the only source of randomness

    Returns:
    - float64 array of shape ``size`` with values in [low, high]
    """
    if not 0 < low < high:
        raise ValueError(f"log_uniform needs 0 < low < high, got low={low}, high={high}")
    ### BEGIN SOLUTION
    exponents = rng.uniform(np.log10(low), np.log10(high), size)
    samples = 10.0 ** exponents
    ### END SOLUTION
    return samples


def _check_spec(name, spec):
    if not isinstance(spec, (tuple, list)) or not spec or spec[0] not in SPEC_KINDS:
        raise ValueError(f"search space entry {name!r}: expected a tuple whose first item is one of "
                         f"{SPEC_KINDS}, got {spec!r}")


def sample_config(space, rng):
    """One configuration drawn from a search space.

    Inputs:
    - space: dict name -> spec (see the module docstring)
    - rng: numpy.random.Generator

    Returns:
    - dict name -> value, with the same keys as space: a float for
      'log_uniform' and 'uniform' (log_uniform drawn with ``log_uniform``),
      an integer for 'int' (low..high, both included, each equally likely),
      one of the listed values for 'choice' (each equally likely)
    """
    for name, spec in space.items():
        _check_spec(name, spec)
    config = {}
    ### BEGIN SOLUTION
    for name, spec in space.items():
        kind = spec[0]
        if kind == "log_uniform":
            config[name] = float(log_uniform(spec[1], spec[2], None, rng))
        elif kind == "uniform":
            config[name] = float(rng.uniform(spec[1], spec[2]))
        elif kind == "int":
            config[name] = int(rng.integers(spec[1], spec[2] + 1))
        else:
            values = list(spec[1])
            config[name] = values[int(rng.integers(len(values)))]
    ### END SOLUTION
    return config


def trial_status(loss_history, abort_factor=3.0):
    """Whether a training run finished or was aborted early, from its losses.

    The rule (lecture: "if the cost is ever > 3 * original cost, break out
    early"): the run is aborted if any loss is NaN or infinite, or if any
    loss is strictly greater than ``abort_factor`` times the first loss.

    Inputs:
    - loss_history: sequence of floats (may be empty: then the run is 'ok')
    - abort_factor: positive float

    Returns:
    - 'aborted: NaN' if a loss is NaN or +-inf (checked first), else
      ``exploded_status(abort_factor)`` ('aborted: loss > 3x initial') if a
      loss exceeds abort_factor * loss_history[0], else 'ok'
    """
    losses = np.asarray(loss_history, dtype=np.float64)
    ### BEGIN SOLUTION
    if losses.size == 0:
        return STATUS_OK
    if not np.all(np.isfinite(losses)):
        return STATUS_NAN
    if np.any(losses > abort_factor * losses[0]):
        return exploded_status(abort_factor)
    return STATUS_OK
    ### END SOLUTION


def random_search(train_fn, space, n_trials, rng, abort_factor=3.0):
    """Random search: n_trials configurations drawn from space, each trained once.

    Inputs:
    - train_fn: callable, train_fn(config) -> result dict holding at least
      'loss_history' (list of floats); it should stop a diverging run itself
      (Solver's divergence_factor does)
    - space: dict name -> spec (see the module docstring)
    - n_trials: int >= 0
    - rng: numpy.random.Generator; configurations are drawn one after the
      other with ``sample_config(space, rng)``
    - abort_factor: passed to ``trial_status``

    Returns:
    - list of n_trials dicts, in the order they were run:
      {'config': the config given to train_fn, 'result': what it returned,
       'status': trial_status(result['loss_history'], abort_factor)}
    """
    trials = []
    ### BEGIN SOLUTION
    for _ in range(n_trials):
        config = sample_config(space, rng)
        result = train_fn(dict(config))
        trials.append({"config": config, "result": result,
                       "status": trial_status(result["loss_history"], abort_factor)})
    ### END SOLUTION
    return trials


def grid_values(spec, n):
    """The n grid points of one search-space entry (given).

    'log_uniform': n values evenly spaced in log10 from low to high;
    'uniform': n evenly spaced values; 'int': the distinct integers nearest
    to n evenly spaced values; 'choice': every value (n is ignored).
    """
    kind = spec[0]
    if kind == "choice":
        return list(spec[1])
    if kind == "log_uniform":
        return [float(v) for v in np.logspace(np.log10(spec[1]), np.log10(spec[2]), n)]
    if kind == "uniform":
        return [float(v) for v in np.linspace(spec[1], spec[2], n)]
    return sorted({int(v) for v in np.rint(np.linspace(spec[1], spec[2], n))})


def grid_search(train_fn, space, points_per_axis, abort_factor=3.0):
    """Grid search over the same space description: every combination, trained once.

    Inputs:
    - train_fn, abort_factor: as in random_search
    - space: dict name -> spec
    - points_per_axis: int, or dict name -> int ('choice' entries may be
      left out); grid_values(spec, n) gives each axis's values

    Returns:
    - list of trials (same dicts as random_search) in itertools.product
      order of the axes taken in space's key order (the last key varies
      fastest); len = product of the axes' lengths
    """
    names = list(space)
    for name in names:
        _check_spec(name, space[name])
    counts = {name: (points_per_axis.get(name, 0) if isinstance(points_per_axis, dict) else points_per_axis)
              for name in names}
    trials = []
    ### BEGIN SOLUTION
    axes = [grid_values(space[name], counts[name]) for name in names]
    for values in itertools.product(*axes):
        config = dict(zip(names, values))
        result = train_fn(dict(config))
        trials.append({"config": config, "result": result,
                       "status": trial_status(result["loss_history"], abort_factor)})
    ### END SOLUTION
    return trials


def best_trials(trials, metric="val_acc", top=1):
    """The ``top`` trials with status 'ok' and the highest result[metric], best first (given)."""
    ok = [t for t in trials if t["status"] == STATUS_OK and np.isfinite(t["result"][metric])]
    return sorted(ok, key=lambda t: -t["result"][metric])[:top]


def refine_range(trials, key, space, metric="val_acc", top=5, edge=0.1, pad=0.1):
    """The coarse-to-fine step: a narrower range for ``key`` around the best trials.

    Work in the spec's own scale: s(v) = log10(v) for 'log_uniform', s(v) = v
    for 'uniform' and 'int'. With [S_lo, S_hi] the sampled range in that
    scale and W = S_hi - S_lo:

    1. keep the trials whose status is 'ok' and rank them by result[metric]
       (higher is better); take the best ``top`` (all if fewer);
    2. the new range is [min s - pad * W, max s + pad * W] over those trials,
       clipped to [S_lo, S_hi], mapped back (10**s for 'log_uniform'; for
       'int' rounded outward: floor of the low end, ceil of the high end);
    3. warn when the single best trial's s lies within edge * W of S_lo or
       of S_hi: the optimum may lie outside the range sampled.

    Inputs:
    - trials: list of trial dicts (random_search's output)
    - key: the hyperparameter to refine (a key of space)
    - space: the search space the trials were drawn from
    - metric, top, edge, pad: as above

    Returns a tuple of:
    - new_spec: (kind, new_low, new_high), same kind as space[key]; low/high
      are floats (integers for 'int')
    - warning: None, or a string that names key and says 'lower edge' or
      'upper edge' (it may also quote the best value and the sampled range)
    """
    spec = space[key]
    _check_spec(key, spec)
    kind = spec[0]
    if kind == "choice":
        raise ValueError(f"refine_range: {key!r} is a 'choice' entry; there is no range to narrow")
    if not best_trials(trials, metric, 1):
        raise ValueError("refine_range: no trial with status 'ok'")
    ### BEGIN SOLUTION
    scale = np.log10 if kind == "log_uniform" else (lambda v: np.asarray(v, dtype=np.float64))
    s_lo, s_hi = float(scale(spec[1])), float(scale(spec[2]))
    width = s_hi - s_lo
    best = best_trials(trials, metric, top)
    s = np.array([scale(t["config"][key]) for t in best], dtype=np.float64)
    new_lo = max(float(s.min()) - pad * width, s_lo)
    new_hi = min(float(s.max()) + pad * width, s_hi)
    if kind == "log_uniform":
        low, high = float(10.0 ** new_lo), float(10.0 ** new_hi)
    elif kind == "int":
        low, high = int(np.floor(new_lo)), int(np.ceil(new_hi))
    else:
        low, high = new_lo, new_hi
    warning = None
    if s[0] <= s_lo + edge * width:
        side = "lower edge"
    elif s[0] >= s_hi - edge * width:
        side = "upper edge"
    else:
        side = None
    if side:
        warning = (f"the best {key} = {best[0]['config'][key]:.3g} lies at the {side} of the sampled "
                   f"range [{spec[1]:.3g}, {spec[2]:.3g}]: the optimum may lie outside it; extend the "
                   "range that way and search again.")
    ### END SOLUTION
    return (kind, low, high), warning


def _improved(value, best, mode, min_delta):
    if mode == "max":
        return value > best + min_delta
    return value < best - min_delta


def early_stopping(history, patience, snapshots=None, mode="max", min_delta=0.0):
    """Early stopping with patience (look-ahead), replayed on a metric history.

    Epochs are read in order as training would produce them. An epoch
    *improves* if its value beats the best so far by more than min_delta
    (strictly greater for mode='max', strictly smaller for 'min'; ties do
    not improve, so the earliest of equal values stays best). Training
    stops at the first epoch that is ``patience`` epochs after the best
    epoch with no improvement in between; later epochs are never seen. If
    that never happens, the whole history was used.

    Inputs:
    - history: sequence of floats, one per epoch (e.g. validation accuracy)
    - patience: int >= 1
    - snapshots: None, or a list with one entry per epoch (e.g. a dict of
      parameter arrays saved after that epoch)
    - mode: 'max' (accuracy) or 'min' (loss)
    - min_delta: float >= 0

    Returns a dict:
    - 'best_epoch': int, index of the best epoch among those seen
    - 'best_value': float, history[best_epoch]
    - 'stop_epoch': int, index of the last epoch trained
    - 'params': snapshots[best_epoch] (None if snapshots is None)
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    history = [float(v) for v in history]
    if not history:
        raise ValueError("early_stopping needs at least one epoch")
    ### BEGIN SOLUTION
    best_epoch, stop_epoch = 0, len(history) - 1
    for epoch in range(1, len(history)):
        if _improved(history[epoch], history[best_epoch], mode, min_delta):
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            stop_epoch = epoch
            break
    ### END SOLUTION
    return {"best_epoch": best_epoch, "best_value": history[best_epoch], "stop_epoch": stop_epoch,
            "params": None if snapshots is None else snapshots[best_epoch]}


def decay_on_plateau(history, learning_rate, factor=0.5, patience=2, mode="max", min_delta=0.0):
    """Learning-rate decay on plateau, replayed on a metric history.

    After each epoch: if the value improves on the best so far (same rule as
    early_stopping), the count of epochs without improvement is reset to 0,
    else it grows by 1; when it reaches ``patience``, the learning rate is
    multiplied by ``factor`` and the count is reset to 0 (the best value is
    kept). The first epoch always sets the best.

    Inputs:
    - history: sequence of floats, one per epoch
    - learning_rate: the initial learning rate
    - factor: multiplier in (0, 1)
    - patience: int >= 1
    - mode, min_delta: as in early_stopping

    Returns:
    - list of floats, one per epoch: the learning rate to use *after* that
      epoch (so its last entry is the rate for the next epoch)
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    rates = []
    ### BEGIN SOLUTION
    lr, best, waited = float(learning_rate), None, 0
    for value in history:
        if best is None or _improved(value, best, mode, min_delta):
            best, waited = value, 0
        else:
            waited += 1
            if waited >= patience:
                lr *= factor
                waited = 0
        rates.append(lr)
    ### END SOLUTION
    return rates


# Given helpers for the notebook (not graded), exported here for it (cs231n_lite/training.py).
from .training import train_by_epoch, with_progress  # noqa: F401,E402
