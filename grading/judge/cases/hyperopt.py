"""Cases of the deterministic search functions (notebook 06; selfcheck/search.py, hyperopt.py)."""
import numpy as np

from cs231n_lite import hyperopt

from .common import check_case


# trial_status codes in the fixtures: 0 'ok', 1 'aborted: NaN', 2 'aborted: loss > Fx initial'
STATUS_CODES = {hyperopt.STATUS_OK: 0, hyperopt.STATUS_NAN: 1}
SPEC_KIND_CODES = {"log_uniform": 0, "uniform": 1, "int": 2}


def _status_code(status):
    return STATUS_CODES.get(status, 2)


def _plateau_curve(rng, n):
    """A validation-accuracy-like curve: rises, plateaus, with noise and repeated values."""
    t = np.arange(n)
    curve = 0.9 - 0.5 * np.exp(-t / rng.uniform(1.5, 4.0)) + rng.normal(0, 0.01, n)
    return np.round(curve, 2)   # rounding makes ties, as accuracies on a fixed set have


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

    # trial_status ---------------------------------------------------------
    nan, inf = np.nan, np.inf
    if visible:
        factor = 3.0
        histories = np.array([
            [2.3, 2.1, 1.9, 1.7, 1.6, 1.5, 1.4, 1.3],      # healthy
            [2.3, 2.0, 1.8, nan, nan, nan, nan, nan],       # NaN
            [2.3, 2.5, 3.0, 4.0, 5.0, 6.0, 6.5, inf],      # inf at the end
            [2.3, 2.2, 2.0, 7.0, 1.9, 1.8, 1.7, 1.6],      # spike above 3x, then back
            [2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 5.5, 5.0],      # exactly 3x: not above
            [2.0, 1.0, 0.5, 0.2, 0.7, 1.6, 1.2, 1.0],      # > 3x the minimum, < 3x the first
            [2.3, 8.0, 9.0, nan, nan, nan, nan, nan],       # explodes, then NaN: NaN wins
            [2.3, 2.4, 3.5, 5.0, 6.0, 6.6, 6.8, 6.85],     # grows to 2.98x
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
    add("trial_status", {"histories": histories, "factor": factor, "codes": codes})

    # grid_search ----------------------------------------------------------
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
    add("grid_search", {"lr": lr, "reg": reg, "hidden": hidden, "choice": choice, "counts": counts,
                        "configs": [[t["config"][k] for k in space] for t in trials]})

    # refine_range ---------------------------------------------------------
    scenarios = []
    if visible:
        r = np.random.default_rng(0)
        lrs = 10 ** r.uniform(-5, -1, 20)
        acc = 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc, np.ones(20), 5))          # interior optimum
        acc_up = 0.5 + 0.1 * np.log10(lrs)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_up, np.ones(20), 3))       # best near the edge
        regs = r.uniform(0.0, 1.0, 12)
        scenarios.append(("uniform", 0.0, 1.0, regs, 0.7 - (regs - 0.05) ** 2, np.ones(12), 4))  # lower edge
        sizes = r.integers(16, 513, 10).astype(float)
        scenarios.append(("int", 16, 512, sizes, -np.abs(sizes - 300) / 1000, np.ones(10), 3))
        ok = (np.log10(lrs) < -1.5).astype(float)                                        # aborted: high lr
        acc_ab = np.where(ok > 0, 0.8 - 0.1 * (np.log10(lrs) + 2.7) ** 2, 0.95)
        scenarios.append(("log_uniform", 1e-5, 1e-1, lrs, acc_ab, ok, 3))
    else:
        for kind in rng.permutation(["log_uniform", "uniform", "int", "log_uniform"]):
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
            scenarios.append((str(kind), low, high, values, metric, ok, int(rng.integers(1, 7))))
    for i, (kind, low, high, values, metric, ok, top) in enumerate(scenarios):
        trials = [{"config": {"x": float(v) if kind != "int" else int(v)},
                   "result": {"val_acc": float(m)},
                   "status": hyperopt.STATUS_OK if o else hyperopt.STATUS_NAN}
                  for v, m, o in zip(values, metric, ok)]
        (_, new_low, new_high), warning = hyperopt.refine_range(trials, "x", {"x": (kind, low, high)}, top=top)
        side = 0 if warning is None else (1 if "lower edge" in warning else 2)
        add("refine_range", {f"kind_{i}": SPEC_KIND_CODES[kind], f"range_{i}": (low, high),
                             f"values_{i}": values, f"metric_{i}": metric, f"ok_{i}": ok, f"top_{i}": top,
                             f"new_range_{i}": (new_low, new_high), f"side_{i}": side})
    add("refine_range", {"n_cases": len(scenarios)})

    # early_stopping and decay_on_plateau ---------------------------------
    if visible:
        stop_cases = [  # history, patience, mode (1 = max, 0 = min), min_delta
            ([0.50, 0.60, 0.65, 0.64, 0.66, 0.66, 0.65, 0.64, 0.70, 0.71], 3, 1, 0.0),  # stops before 0.70
            ([0.50, 0.60, 0.60, 0.60, 0.59, 0.58], 2, 1, 0.0),                            # ties do not improve
            ([0.30, 0.40, 0.50, 0.55, 0.58, 0.60], 2, 1, 0.0),                            # never stops
            ([2.0, 1.5, 1.2, 1.25, 1.1, 1.15, 1.3, 1.4, 0.9], 2, 0, 0.0),                 # a loss (min)
            ([0.50, 0.60, 0.605, 0.607, 0.615, 0.62, 0.70], 2, 1, 0.01),                  # min_delta
        ]
        plateau_cases = [  # history, lr, factor, patience, mode, min_delta
            ([0.5, 0.6, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.67, 0.6, 0.6], 0.1, 0.5, 2, 1, 0.0),
            ([2.0, 1.8, 1.9, 1.7, 1.7, 1.7, 1.7, 1.6], 1e-2, 0.1, 1, 0, 0.0),
            ([0.5, 0.525, 0.53, 0.535, 0.54, 0.6, 0.6], 1.0, 0.3, 2, 1, 0.02),
        ]
    else:
        stop_cases, plateau_cases = [], []
        for _ in range(5):
            n = int(rng.integers(5, 20))
            curve, mode = _plateau_curve(rng, n), int(rng.integers(2))
            if mode == 0:
                curve = np.round(1.0 - curve, 2)
            stop_cases.append((curve, int(rng.integers(1, 5)), mode, float(rng.choice([0.0, 0.0, 0.015]))))
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
    for i, (history, patience, mode, min_delta) in enumerate(stop_cases):
        out = hyperopt.early_stopping(history, patience, mode=["min", "max"][mode], min_delta=min_delta)
        add("early_stopping", {f"history_{i}": history, f"patience_{i}": patience, f"mode_{i}": mode,
                               f"min_delta_{i}": min_delta, f"best_epoch_{i}": out["best_epoch"],
                               f"stop_epoch_{i}": out["stop_epoch"]})
    add("early_stopping", {"n_cases": len(stop_cases)})
    for i, (history, lr, factor, patience, mode, min_delta) in enumerate(plateau_cases):
        rates = hyperopt.decay_on_plateau(history, lr, factor, patience, mode=["min", "max"][mode],
                                          min_delta=min_delta)
        add("decay_on_plateau", {f"history_{i}": history, f"lr_{i}": lr, f"factor_{i}": factor,
                                 f"patience_{i}": patience, f"mode_{i}": mode, f"min_delta_{i}": min_delta,
                                 f"rates_{i}": rates})
    add("decay_on_plateau", {"n_cases": len(plateau_cases)})
    return fx
