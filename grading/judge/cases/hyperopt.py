"""Cases of the deterministic search functions (notebook 06; selfcheck/search.py, hyperopt.py).

Besides each reference output, the cases hold the outputs of the known
wrong variants (``v_<variant>_...`` fields, computed here from the
variants in cases/hyperopt_variants.py), so that the tests can name a
mistake by its output without shipping any implementation.
"""
import numpy as np

from cs231n_lite import hyperopt

from .common import check_case
from .hyperopt_variants import DECAY_VARIANTS, STOP_VARIANTS, TRIAL_VARIANTS, refine_variants

# trial_status codes in the fixtures: 0 'ok', 1 'aborted: NaN', 2 'aborted: loss > Fx initial'
STATUS_CODES = {hyperopt.STATUS_OK: 0, hyperopt.STATUS_NAN: 1}
SPEC_KIND_CODES = {"log_uniform": 0, "uniform": 1, "int": 2}
METRICS = ("val_acc", "score")          # refine_range's metric argument, by code


def _status_code(status):
    return STATUS_CODES.get(status, 2)


def _plateau_curve(rng, n):
    """A validation-accuracy-like curve: rises, plateaus, with noise and repeated values."""
    t = np.arange(n)
    curve = 0.9 - 0.5 * np.exp(-t / rng.uniform(1.5, 4.0)) + rng.normal(0, 0.01, n)
    return np.round(curve, 2)   # rounding makes ties, as accuracies on a fixed set have


def _trial_status_case(visible, rng):
    nan, inf = np.nan, np.inf
    if visible:
        factor = 2.5                                   # not the default 3: an ignored factor shows
        histories = np.array([
            [2.0, 1.9, 1.7, 1.5, 1.4, 1.3, 1.2, 1.1],      # healthy
            [2.0, 1.8, 1.6, nan, nan, nan, nan, nan],       # NaN
            [2.0, 2.5, 3.0, 4.0, 4.5, 4.8, 4.9, inf],      # inf at the end
            [2.0, 1.9, 1.8, 5.5, 1.7, 1.6, 1.5, 1.4],      # spike of 2.75x (above 2.5x, below 3x), then back
            [2.0, 2.5, 3.0, 4.0, 5.0, 4.5, 4.0, 3.5],      # exactly 2.5x: not above
            [2.0, 1.0, 0.5, 0.2, 0.7, 1.6, 1.2, 1.0],      # > 2.5x the minimum, < 2.5x the first
            [2.0, 8.0, 9.0, nan, nan, nan, nan, nan],       # explodes, then NaN: NaN wins
            [2.0, 2.4, 3.5, 4.0, 4.5, 4.8, 4.9, 4.95],     # grows to 2.475x
            [2.0, 1.5, 1.0, -inf, 0.5, 0.4, 0.3, 0.2],     # -inf is not finite either
            [2.0, 1.9, 7.0, 1.8, 1.7, 1.6, 1.5, 1.4],      # 3.5x, then back: aborted (any loss counts)
            [2.0, 2.2, 3.0, 4.0, 5.2, 5.4, 5.6, 5.8],      # ends at 2.9x: above 2.5x, below 3x
        ])
    else:
        factor = float(rng.choice([2.0, 2.5, 4.0]))
        L, k = int(rng.integers(6, 12)), int(rng.integers(8, 14))
        first = rng.uniform(0.5, 3.0, (k, 1))
        histories = first * np.exp(np.cumsum(rng.normal(-0.05, 0.3, (k, L)), axis=1))
        histories[:, 0] = first[:, 0]
        for i in range(k):
            event = rng.integers(5)
            at = int(rng.integers(1, L))
            if event == 0:
                histories[i, at:] = nan
            elif event == 1:
                histories[i, at] = first[i, 0] * factor * rng.uniform(1.01, 3.0)
            elif event == 2:
                histories[i, at] = first[i, 0] * factor   # on the boundary: still ok
            elif event == 3:
                histories[i, at] = -inf if rng.random() < 0.5 else inf
    codes = [_status_code(hyperopt.trial_status(h, factor)) for h in histories]
    fields = {"histories": histories, "factor": factor, "codes": codes}
    for variant, rule in TRIAL_VARIANTS.items():
        fields[f"v_{variant}_codes"] = [_status_code(rule(h, factor)) for h in histories]
    return fields


def _grid_case(visible, rng):
    if visible:
        lr, reg, hidden, choice, counts = (1e-4, 1e-1), (0.0, 0.5), (50, 200), (0.0, 0.5), (4, 3, 2)
    else:
        lo = 10 ** rng.uniform(-6, -3)
        lr, reg = (lo, lo * 10 ** rng.uniform(2, 4)), (float(rng.uniform(-1, 0)), float(rng.uniform(0.1, 1)))
        hi = int(rng.integers(2, 6))
        hidden = (1, hi)
        choice = tuple(np.round(rng.uniform(0, 1, int(rng.integers(1, 4))), 3))
        counts = (int(rng.integers(2, 5)), int(rng.integers(1, 4)), hi + 2)  # int axis: duplicates merge
    space = {"lr": ("log_uniform", *lr), "reg": ("uniform", *reg), "hidden": ("int", *hidden),
             "p": ("choice", list(choice))}
    points = dict(zip(["lr", "reg", "hidden"], counts))
    trials = hyperopt.grid_search(lambda c: {"loss_history": [1.0]}, space, points)
    same = hyperopt.grid_search(lambda c: {"loss_history": [1.0]}, space, counts[0])   # one int for every axis
    return {"lr": lr, "reg": reg, "hidden": hidden, "choice": choice, "counts": counts,
            "configs": [[t["config"][k] for k in space] for t in trials],
            "configs_int": [[t["config"][k] for k in space] for t in same]}


def _refine_scenarios(visible, rng):
    """(kind, low, high, values, metric values, ok, top, pad, edge, metric code) of each case."""
    scenarios = []
    if visible:
        r = np.random.default_rng(0)
        lrs = 10 ** r.uniform(-5, -1, 20)
        acc = 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2
        ones = np.ones(20)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc, ones, 5, 0.05, 0.1, 1))   # interior; pad, metric
        acc_up = 0.5 + 0.1 * np.log10(lrs)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_up, ones, 3, 0.1, 0.1, 0))  # best near the edge
        regs = r.uniform(0.0, 1.0, 12)
        scenarios.append(("uniform", 0.0, 1.0, regs, 0.7 - (regs - 0.05) ** 2, np.ones(12), 4, 0.1, 0.1, 0))
        sizes = r.integers(16, 513, 10).astype(float)
        scenarios.append(("int", 16, 512, sizes, -np.abs(sizes - 300) / 1000, np.ones(10), 3, 0.1, 0.1, 0))
        # rounding outward: [30 - 4.5, 60 + 4.5] -> [25, 65] (round() would give [26, 64])
        ints = np.array([30.0, 60.0, 45.0, 90.0, 15.0, 75.0])
        scenarios.append(("int", 10, 100, ints, np.array([0.9, 0.85, 0.8, 0.2, 0.1, 0.3]), np.ones(6), 3, 0.05, 0.1, 0))
        ok = (np.log10(lrs) < -1.5).astype(float)                                        # aborted: high lr
        acc_ab = np.where(ok > 0, 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2, 0.95)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_ab, ok, 3, 0.1, 0.1, 0))
        # the best at 0.82 of [0, 1]: not within 0.1 of the upper edge, within 0.2
        regs2 = np.array([0.82, 0.5, 0.3, 0.1, 0.65])
        scenarios.append(("uniform", 0.0, 1.0, regs2, np.array([0.9, 0.8, 0.7, 0.6, 0.85]), np.ones(5), 2, 0.1, 0.2, 1))
    else:
        for kind in rng.permutation(["log_uniform", "uniform", "int", "log_uniform", "int"]):
            n = int(rng.integers(6, 25))
            if kind == "log_uniform":
                low = 10 ** rng.uniform(-7, -2)
                high = low * 10 ** rng.uniform(1, 5)
                values = 10 ** rng.uniform(np.log10(low), np.log10(high), n)
                s, s_lo, s_hi = np.log10(values), np.log10(low), np.log10(high)
            elif kind == "uniform":
                low = float(rng.uniform(-1, 1)); high = low + float(rng.uniform(0.1, 3))
                values = rng.uniform(low, high, n)
                s, s_lo, s_hi = values, low, high
            else:
                low = int(rng.integers(1, 50)); high = low + int(rng.integers(10, 500))
                values = rng.integers(low, high + 1, n).astype(float)
                s, s_lo, s_hi = values, low, high
            peak = rng.uniform(s_lo - 0.1 * (s_hi - s_lo), s_hi + 0.1 * (s_hi - s_lo))
            metric = 0.9 - ((s - peak) / (s_hi - s_lo)) ** 2 + rng.normal(0, 0.01, n)
            ok = (rng.random(n) < 0.8).astype(float)
            ok[int(rng.integers(n))] = 1.0
            scenarios.append((str(kind), low, high, values, metric, ok, int(rng.integers(1, 7)),
                              float(rng.choice([0.05, 0.1, 0.15])), float(rng.choice([0.1, 0.15])),
                              int(rng.integers(2))))
        # the best trial within 0.1-0.2 of the width from an edge, edge = 0.25: warned, not at edge = 0.1
        low = float(rng.uniform(-1, 1)); width = float(rng.uniform(0.5, 3))
        at = float(rng.uniform(0.12, 0.18))
        values = low + width * np.r_[at, rng.uniform(0.3, 0.7, 5)]
        if rng.random() < 0.5:
            values = 2 * low + width - values                     # mirrored: the upper edge
        metric = np.r_[0.9, rng.uniform(0.5, 0.8, 5)]
        scenarios.append(("uniform", low, low + width, values, metric, np.ones(6), 2, 0.1, 0.25, int(rng.integers(2))))
    return scenarios


def _refine_case(visible, rng):
    fields = {}
    scenarios = _refine_scenarios(visible, rng)
    for i, (kind, low, high, values, metric, ok, top, pad, edge, metric_code) in enumerate(scenarios):
        key = METRICS[metric_code]
        trials = [{"config": {"x": float(v) if kind != "int" else int(v)}, "result": {key: float(m)},
                   "status": hyperopt.STATUS_OK if o else hyperopt.STATUS_NAN}
                  for v, m, o in zip(values, metric, ok)]
        space = {"x": (kind, low, high)}
        (_, new_low, new_high), warning = hyperopt.refine_range(trials, "x", space, metric=key, top=top,
                                                                edge=edge, pad=pad)
        side = 0 if warning is None else (1 if "lower edge" in warning else 2)
        fields.update({f"kind_{i}": SPEC_KIND_CODES[kind], f"range_{i}": (low, high), f"values_{i}": values,
                       f"metric_{i}": metric, f"ok_{i}": ok, f"top_{i}": top, f"pad_{i}": pad, f"edge_{i}": edge,
                       f"metric_key_{i}": metric_code, f"new_range_{i}": (new_low, new_high), f"side_{i}": side})
        for variant, (new_range, variant_side) in refine_variants(trials, space, key, top, edge, pad).items():
            fields[f"v_{variant}_range_{i}"] = new_range
            fields[f"v_{variant}_side_{i}"] = variant_side
    fields["n_cases"] = len(scenarios)
    return fields


def _stopping_cases(visible, rng):
    if visible:
        stop_cases = [  # history, patience, mode (1 = max, 0 = min), min_delta
            ([0.50, 0.60, 0.65, 0.64, 0.66, 0.66, 0.65, 0.64, 0.70, 0.71], 3, 1, 0.0),  # stops before 0.70
            ([0.50, 0.60, 0.60, 0.60, 0.59, 0.58], 2, 1, 0.0),                            # ties do not improve
            ([0.30, 0.40, 0.50, 0.55, 0.58, 0.60], 2, 1, 0.0),                            # never stops
            ([2.0, 1.5, 1.2, 1.25, 1.1, 1.15, 1.3, 1.4, 0.9], 2, 0, 0.0),                 # a loss (min)
            ([0.50, 0.60, 0.605, 0.607, 0.615, 0.62, 0.70], 2, 1, 0.01),                  # min_delta
            ([0.5, 0.7, 0.6, 0.65, 0.68, 0.69, 0.72], 3, 1, 0.0),     # gains over the last epoch, not the best
        ]
        plateau_cases = [  # history, lr, factor, patience, mode, min_delta
            ([0.5, 0.6, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.67, 0.6, 0.6], 0.1, 0.5, 2, 1, 0.0),
            ([2.0, 1.8, 1.9, 1.7, 1.7, 1.7, 1.7, 1.6], 1e-2, 0.1, 1, 0, 0.0),
            ([0.5, 0.525, 0.53, 0.535, 0.54, 0.6, 0.6], 1.0, 0.3, 2, 1, 0.02),
            ([0.5, 0.7, 0.6, 0.65, 0.6, 0.62, 0.61, 0.6, 0.6], 0.4, 0.5, 2, 1, 0.0),   # below the best for long
        ]
    else:
        stop_cases, plateau_cases = [], []
        for k in range(5):
            n = int(rng.integers(5, 20))
            curve, mode = _plateau_curve(rng, n), int(rng.integers(2))
            if mode == 0:
                curve = np.round(1.0 - curve, 2)
            min_delta = 0.015 if k == 4 else float(rng.choice([0.0, 0.0, 0.015]))   # at least one case
            stop_cases.append((curve, int(rng.integers(1, 5)), mode, min_delta))
        for _ in range(4):
            n = int(rng.integers(5, 20))
            curve, mode = _plateau_curve(rng, n), int(rng.integers(2))
            if mode == 0:
                curve = np.round(1.0 - curve, 2)
            plateau_cases.append((curve, float(10 ** rng.uniform(-4, 0)), float(rng.choice([0.1, 0.2, 0.5])),
                                  int(rng.integers(1, 4)), mode, float(rng.choice([0.0, 0.015]))))
        rising = np.round(np.sort(rng.uniform(0.3, 0.8, 3)), 2)       # then a long plateau: several cuts
        flat = np.r_[rising, np.full(int(rng.integers(5, 9)), rising[-1])]
        plateau_cases.append((flat, float(10 ** rng.uniform(-3, 0)), 0.5, int(rng.integers(1, 3)), 1, 0.0))
        creeping = np.round(rng.uniform(0.4, 0.6) + 0.01 * np.arange(int(rng.integers(6, 10))), 2)  # gains < min_delta
        plateau_cases.append((creeping, float(10 ** rng.uniform(-3, 0)), 0.5, 2, 1, 0.025))
        peak = np.round(np.sort(rng.uniform(0.3, 0.8, 3)), 2)           # an exact tie right after the best
        stop_cases.append((np.r_[peak, peak[-1], peak[-1] - 0.05, peak[-1] - 0.04, peak[-1] + 0.01], 2, 1, 0.0))
    stop, decay = {}, {}
    for i, (history, patience, mode, min_delta) in enumerate(stop_cases):
        kwargs = {"mode": ["min", "max"][mode], "min_delta": min_delta}
        out = hyperopt.early_stopping(history, patience, **kwargs)
        stop.update({f"history_{i}": history, f"patience_{i}": patience, f"mode_{i}": mode,
                     f"min_delta_{i}": min_delta, f"best_epoch_{i}": out["best_epoch"],
                     f"stop_epoch_{i}": out["stop_epoch"]})
        for variant, fn in STOP_VARIANTS.items():
            stop[f"v_{variant}_{i}"] = fn([float(v) for v in history], patience, **kwargs)
    stop["n_cases"] = len(stop_cases)
    for i, (history, lr, factor, patience, mode, min_delta) in enumerate(plateau_cases):
        kwargs = {"mode": ["min", "max"][mode], "min_delta": min_delta}
        decay.update({f"history_{i}": history, f"lr_{i}": lr, f"factor_{i}": factor, f"patience_{i}": patience,
                      f"mode_{i}": mode, f"min_delta_{i}": min_delta,
                      f"rates_{i}": hyperopt.decay_on_plateau(history, lr, factor, patience, **kwargs)})
        for variant, fn in DECAY_VARIANTS.items():
            decay[f"v_{variant}_{i}"] = fn([float(v) for v in history], lr, factor, patience, **kwargs)
    decay["n_cases"] = len(plateau_cases)
    return stop, decay


def build(case, seed):
    """Fixtures of the deterministic hyperparameter-search functions (notebook 06).

    trial_status: loss histories -> status codes; grid_search: a space ->
    the grid in order; refine_range, early_stopping, decay_on_plateau:
    several scenarios each, fields suffixed _<i> (n_cases gives how many).
    """
    visible = check_case(case)
    rng = np.random.default_rng(seed)
    fx = {}

    def add(name, fields):
        for k, v in fields.items():
            fx[f"{name}/{k}"] = np.asarray(v, dtype=np.float64)

    add("trial_status", _trial_status_case(visible, rng))
    add("grid_search", _grid_case(visible, rng))
    add("refine_range", _refine_case(visible, rng))
    stop, decay = _stopping_cases(visible, rng)
    add("early_stopping", stop)
    add("decay_on_plateau", decay)
    return fx
