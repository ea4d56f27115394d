"""Known wrong variants of the deterministic search functions, run on the cases' inputs.

Their outputs go into the fixtures (``v_<variant>_...``): a test recognises a
mistake by its output and names it, and no implementation ships to students.
Each variant is the reference rule with one documented detail changed.
"""
import numpy as np

from cs231n_lite import hyperopt


def _trial_status(history, factor, reference="first", above=np.greater, last_only=False, finite_first=True,
                  finite=np.isfinite, check_finite=True):
    """trial_status with one detail changed."""
    h = np.asarray(history, dtype=np.float64)
    if h.size == 0:
        return hyperopt.STATUS_OK
    base = np.nanmin(h) if reference == "min" else h[0]
    with np.errstate(invalid="ignore"):
        exploded = bool(above(h[-1], factor * base)) if last_only else bool(np.any(above(h, factor * base)))
    not_finite = check_finite and not np.all(finite(h) if finite is np.isfinite else ~finite(h))
    if finite_first and not_finite:
        return hyperopt.STATUS_NAN
    if exploded:
        return hyperopt.exploded_status(factor)
    return hyperopt.STATUS_NAN if not_finite else hyperopt.STATUS_OK


TRIAL_VARIANTS = {
    "vs_min": lambda h, f: _trial_status(h, f, reference="min"),
    "at_or_above": lambda h, f: _trial_status(h, f, above=np.greater_equal),
    "last_only": lambda h, f: _trial_status(h, f, last_only=True),
    "nan_after": lambda h, f: _trial_status(h, f, finite_first=False),
    "isnan_only": lambda h, f: _trial_status(h, f, finite=np.isnan),
    "no_finite": lambda h, f: _trial_status(h, f, check_finite=False),
    "default_factor": lambda h, f: hyperopt.exploded_status(f) if hyperopt.trial_status(h, 3.0).startswith(
        "aborted: loss") else hyperopt.trial_status(h, 3.0),
}


def _better(value, best, mode, min_delta, ties=False):
    if mode == "max":
        return value >= best + min_delta if ties else value > best + min_delta
    return value <= best - min_delta if ties else value < best - min_delta


def _early_stopping(history, patience, mode="max", min_delta=0.0, ties=False, previous=False, late=0,
                    global_best=False, last_best=False):
    """[best_epoch, stop_epoch] of early stopping with one detail changed."""
    best, stop, last = 0, len(history) - 1, 0
    for epoch in range(1, len(history)):
        reference = history[epoch - 1] if previous else history[best]
        if _better(history[epoch], reference, mode, min_delta, ties):
            best = last = epoch
        elif epoch - (last if previous else best) >= patience + late:
            stop = epoch
            break
    if global_best:
        best = int(np.argmax(history) if mode == "max" else np.argmin(history))
    if last_best:
        best = stop
    return [best, stop]


STOP_VARIANTS = {
    "ties": lambda h, p, **kw: _early_stopping(h, p, ties=True, **kw),
    "no_min_delta": lambda h, p, mode, min_delta: _early_stopping(h, p, mode=mode, min_delta=0.0),
    "previous": lambda h, p, **kw: _early_stopping(h, p, previous=True, **kw),
    "late_stop": lambda h, p, **kw: _early_stopping(h, p, late=1, **kw),
    "early_stop": lambda h, p, **kw: _early_stopping(h, p, late=-1, **kw),
    "global_best": lambda h, p, **kw: _early_stopping(h, p, global_best=True, **kw),
    "last_best": lambda h, p, **kw: _early_stopping(h, p, last_best=True, **kw),
}


def _decay(history, lr, factor, patience, mode="max", min_delta=0.0, reset=True, keep_best=True, late=0,
           ties=False, previous=False, before=False):
    """The rates of decay on plateau with one detail changed."""
    first, rates, best, waited = float(lr), [], None, 0
    lr = first
    for i, value in enumerate(history):
        reference = history[i - 1] if previous and i > 0 else best
        if best is None or _better(value, reference, mode, min_delta, ties):
            best, waited = value, 0
        else:
            waited += 1
            if waited >= patience + late:
                lr *= factor
                if reset:
                    waited = 0
                if not keep_best:
                    best = None
        rates.append(lr)
    return [first] + rates[:-1] if before else rates


DECAY_VARIANTS = {
    "no_reset": lambda *a, **kw: _decay(*a, reset=False, **kw),
    "best_reset": lambda *a, **kw: _decay(*a, keep_best=False, **kw),
    "late": lambda *a, **kw: _decay(*a, late=1, **kw),
    "ties": lambda *a, **kw: _decay(*a, ties=True, **kw),
    "previous": lambda *a, **kw: _decay(*a, previous=True, **kw),
    "before": lambda *a, **kw: _decay(*a, before=True, **kw),
    "no_min_delta": lambda h, lr, f, p, mode, min_delta: _decay(h, lr, f, p, mode=mode, min_delta=0.0),
}


def _side(warning):
    return 0 if warning is None else (1 if "lower edge" in warning else 2)


def _raw_range(trials, space, key, top, pad, clip=True):
    """The refined range in the spec's scale before rounding (and, if clip=False, before clipping)."""
    kind, low, high = space["x"]
    scale = np.log10 if kind == "log_uniform" else (lambda v: np.asarray(v, dtype=np.float64))
    s_lo, s_hi = float(scale(low)), float(scale(high))
    width = s_hi - s_lo
    s = np.array([scale(t["config"]["x"]) for t in hyperopt.best_trials(trials, key, top)], dtype=np.float64)
    lo, hi = float(s.min()) - pad * width, float(s.max()) + pad * width
    if clip:
        lo, hi = max(lo, s_lo), min(hi, s_hi)
    return lo, hi


def refine_variants(trials, space, key, top, edge, pad):
    """{variant: ([new_low, new_high], side)} of refine_range's known mistakes (those that apply)."""
    kind, low, high = space["x"]
    out = {}

    def run(trials_=trials, space_=space, **kw):
        args = {"metric": key, "top": top, "edge": edge, "pad": pad, **kw}
        (_, lo, hi), warning = hyperopt.refine_range(trials_, "x", space_, **args)
        return [lo, hi], _side(warning)
    if kind == "log_uniform":
        out["linear"] = run(space_={"x": ("uniform", low, high)})
        lo, hi = _raw_range(trials, space, key, top, pad)
        out["log_units"] = ([lo, hi], run()[1])
    if any(t["status"] != hyperopt.STATUS_OK for t in trials):
        out["with_aborted"] = run(trials_=[dict(t, status=hyperopt.STATUS_OK) for t in trials])
    if top < len(trials):
        out["all_trials"] = run(top=len(trials))
    if pad != 0.1:
        out["default_pad"] = run(pad=0.1)
    if edge != 0.1:
        out["default_edge"] = run(edge=0.1)
    if kind == "int":
        lo, hi = _raw_range(trials, space, key, top, pad)
        out["rounded"] = ([float(round(lo)), float(round(hi))], run()[1])
    lo, hi = _raw_range(trials, space, key, top, pad, clip=False)
    if kind == "log_uniform":
        lo, hi = 10.0 ** lo, 10.0 ** hi
    elif kind == "int":
        lo, hi = float(np.floor(lo)), float(np.ceil(hi))
    out["unclipped"] = ([lo, hi], run()[1])
    return out
