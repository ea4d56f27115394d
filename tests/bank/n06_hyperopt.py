"""Bank entries of notebook 06 (cs231n_lite/hyperopt.py): samplers, searches, coarse-to-fine, stopping."""
from . import Bug, Correct

EXP = "    exponents = rng.uniform(np.log10(low), np.log10(high), size)\n"
LOGU = "            config[name] = float(log_uniform(spec[1], spec[2], None, rng))\n"
UNI = "            config[name] = float(rng.uniform(spec[1], spec[2]))\n"
INT = "            config[name] = int(rng.integers(spec[1], spec[2] + 1))\n"
CHOICE = "            config[name] = values[int(rng.integers(len(values)))]\n"
STATUS = '''    if not np.all(np.isfinite(losses)):
        return STATUS_NAN
    if np.any(losses > abort_factor * losses[0]):
        return exploded_status(abort_factor)
'''
RS_LOOP = '''    for _ in range(n_trials):
        config = sample_config(space, rng)
'''
RS_STATUS = '''        trials.append({"config": config, "result": result,
                       "status": trial_status(result["loss_history"], abort_factor)})
    ### END SOLUTION
    return trials


def grid_values'''
GRID = '''    axes = [grid_values(space[name], counts[name]) for name in names]
    for values in itertools.product(*axes):
        config = dict(zip(names, values))
'''
GS_STATUS = '''                       "status": trial_status(result["loss_history"], abort_factor)})
    ### END SOLUTION
    return trials


def best_trials'''
SCALE = '    scale = np.log10 if kind == "log_uniform" else (lambda v: np.asarray(v, dtype=np.float64))\n'
BEST = "    best = best_trials(trials, metric, top)\n"
NEW = ("    new_lo = max(float(s.min()) - pad * width, s_lo)\n"
       "    new_hi = min(float(s.max()) + pad * width, s_hi)\n")
LOG_BACK = "    if kind == \"log_uniform\":\n        low, high = float(10.0 ** new_lo), float(10.0 ** new_hi)\n"
EDGES = ("    if s[0] <= s_lo + edge * width:\n        side = \"lower edge\"\n"
         "    elif s[0] >= s_hi - edge * width:\n        side = \"upper edge\"\n")
ES_IMPROVED = "        if _improved(history[epoch], history[best_epoch], mode, min_delta):\n"
ES_STOP = "        elif epoch - best_epoch >= patience:\n"
DP = '''        else:
            waited += 1
            if waited >= patience:
                lr *= factor
                waited = 0
'''

BUGS = [
    Bug("log_uniform", "uniform on [low, high]", ((EXP + "    samples = 10.0 ** exponents\n", "    samples = rng.uniform(low, high, size)\n"),),
        "you sampled uniformly on [low, high]"),
    Bug("log_uniform", "natural log of the bounds", ((EXP, "    exponents = rng.uniform(np.log(low), np.log(high), size)\n"),),
        "on the wrong interval"),
    Bug("log_uniform", "bounds not logged", ((EXP, "    exponents = rng.uniform(low, high, size)\n"),), "on the wrong interval"),
    Bug("log_uniform", "global np.random", ((EXP, "    exponents = np.random.uniform(np.log10(low), np.log10(high), size)\n"),),
        "instead of the rng argument"),
    Bug("log_uniform", "size ignored", ((EXP, "    exponents = rng.uniform(np.log10(low), np.log10(high))\n"),),
        "the size argument was ignored"),
    Bug("sample_config", "int excludes high", ((INT, "            config[name] = int(rng.integers(spec[1], spec[2]))\n"),),
        "excludes high"),
    Bug("sample_config", "log_uniform drawn linearly", ((LOGU, UNI),), "use log_uniform"),
    Bug("sample_config", "a new Generator per call", (("    for name, spec in space.items():\n        kind = spec[0]\n",
                                                       "    rng = np.random.default_rng(0)\n"
                                                       "    for name, spec in space.items():\n        kind = spec[0]\n"),),
        "a new np.random.default_rng inside the function"),
    Bug("sample_config", "global np.random for 'uniform'", ((UNI, "            config[name] = float(np.random.uniform(spec[1], spec[2]))\n"),),
        "instead of the rng argument"),
    Bug("sample_config", "the last choice never drawn", ((CHOICE, "            config[name] = values[int(rng.integers(len(values) - 1))]\n"),),
        "this value is never drawn"),
    Bug("trial_status", "compared with the smallest loss", ((STATUS, STATUS.replace("losses[0]", "losses.min()")),),
        "compared with the smallest loss"),
    Bug("trial_status", ">= instead of >", ((STATUS, STATUS.replace("losses > abort_factor", "losses >= abort_factor")),),
        "use >, not >="),
    Bug("trial_status", "abort_factor ignored", ((STATUS, STATUS.replace("abort_factor * losses[0]", "3.0 * losses[0]")),),
        "the abort_factor argument was ignored"),
    Bug("trial_status", "only the last loss", ((STATUS, STATUS.replace("np.any(losses > abort_factor * losses[0])",
                                                                    "losses[-1] > abort_factor * losses[0]")),),
        "only looked at the last loss"),
    Bug("trial_status", "NaN checked after the comparison", ((STATUS, '''    if np.any(losses > abort_factor * losses[0]):
        return exploded_status(abort_factor)
    if not np.all(np.isfinite(losses)):
        return STATUS_NAN
'''),), "NaN/inf must be checked first"),
    Bug("trial_status", "np.isnan only", ((STATUS, STATUS.replace("not np.all(np.isfinite(losses))", "np.any(np.isnan(losses))")),),
        "test np.isfinite, not np.isnan"),
    Bug("trial_status", "no NaN check", ((STATUS, STATUS.replace("    if not np.all(np.isfinite(losses)):\n        return STATUS_NAN\n", "")),),
        "NaN (or inf) must be detected first"),
    Bug("random_search", "one config for every trial", ((RS_LOOP, "    config = sample_config(space, rng)\n    for _ in range(n_trials):\n"),),
        "drawn once, outside the loop"),
    Bug("random_search", "a new Generator", ((RS_LOOP, "    rng = np.random.default_rng(0)\n" + RS_LOOP),), "a new Generator"),
    Bug("random_search", "abort_factor not passed on", ((RS_STATUS, RS_STATUS.replace('trial_status(result["loss_history"], abort_factor)',
                                                                                     'trial_status(result["loss_history"])')),),
        "not passed on"),
    Bug("random_search", "every status 'ok'", ((RS_STATUS, RS_STATUS.replace('trial_status(result["loss_history"], abort_factor)', '"ok"')),),
        "the status must be trial_status"),
    Bug("random_search", "'log_uniform' drawn linearly", ((RS_LOOP, '''    for _ in range(n_trials):
        config = sample_config({k: ("uniform", *s[1:]) if s[0] == "log_uniform" else s for k, s in space.items()}, rng)
'''),), "the configs do not come from sample_config"),
    Bug("random_search", "one trial too many", ((RS_LOOP, RS_LOOP.replace("range(n_trials)", "range(n_trials + 1)")),),
        "one trial too many or too few"),
    Bug("grid_search", "first key fastest", ((GRID, '''    axes = [grid_values(space[name], counts[name]) for name in names[::-1]]
    for values in itertools.product(*axes):
        config = dict(zip(names[::-1], values))
        config = {name: config[name] for name in names}
'''),), "the axes vary in the wrong order"),
    Bug("grid_search", "sorted keys", ((GRID, '''    axes = [grid_values(space[name], counts[name]) for name in sorted(names)]
    for values in itertools.product(*axes):
        config = dict(zip(sorted(names), values))
        config = {name: config[name] for name in names}
'''),), "sorted key order"),
    Bug("grid_search", "abort_factor not passed on", ((GS_STATUS, GS_STATUS.replace('trial_status(result["loss_history"], abort_factor)',
                                                                                   'trial_status(result["loss_history"])')),),
        "not passed on"),
    Bug("grid_search", "points_per_axis read as a dict", ((GRID, GRID.replace("counts[name]", "points_per_axis.get(name, 0)")),),
        "may be one int for every axis"),
    Bug("refine_range", "aborted trials ranked", ((BEST, "    best = sorted(trials, key=lambda t: -t[\"result\"][metric])[:top]\n"),),
        "ranked the aborted trials too"),
    Bug("refine_range", "top ignored", ((BEST, "    best = best_trials(trials, metric, len(trials))\n"),), "every trial was used"),
    Bug("refine_range", "linear units for log_uniform", ((SCALE, "    scale = lambda v: np.asarray(v, dtype=np.float64)\n"),
                                                         (LOG_BACK, "    if False:\n        low, high = new_lo, new_hi\n")),
        "refined in linear units"),
    Bug("refine_range", "left in log10 units", ((LOG_BACK, "    if kind == \"log_uniform\":\n        low, high = new_lo, new_hi\n"),),
        "still in log10 units"),
    Bug("refine_range", "int rounded to the nearest", (("        low, high = int(np.floor(new_lo)), int(np.ceil(new_hi))\n",
                                                        "        low, high = int(round(new_lo)), int(round(new_hi))\n"),),
        "rounded outward"),
    Bug("refine_range", "pad ignored", ((NEW, NEW.replace("pad * width", "0.1 * width")),), "the pad argument was ignored"),
    Bug("refine_range", "edge ignored", ((EDGES, EDGES.replace("edge * width", "0.1 * width")),), "the edge argument was ignored"),
    Bug("refine_range", "not clipped", ((NEW, "    new_lo = float(s.min()) - pad * width\n    new_hi = float(s.max()) + pad * width\n"),),
        "not clipped"),
    Bug("refine_range", "metric ignored", ((BEST, "    best = best_trials(trials, \"val_acc\", top)\n"),), "the metric argument"),
    Bug("refine_range", "never warns", (("    if side:\n        warning = (", "    if False:\n        warning = ("),),
        "no warning at an edge"),
    Bug("early_stopping", "ties improve", ((ES_IMPROVED, "        if (history[epoch] >= history[best_epoch] + min_delta if mode == \"max\" "
                                           "else history[epoch] <= history[best_epoch] - min_delta):\n"),),
        "a tie is not an improvement"),
    Bug("early_stopping", "min_delta ignored", ((ES_IMPROVED, ES_IMPROVED.replace("mode, min_delta", "mode, 0.0")),),
        "beat the best by more than min_delta"),
    Bug("early_stopping", "compared with the previous epoch", ((ES_IMPROVED, ES_IMPROVED.replace("history[best_epoch]", "history[epoch - 1]")),),
        "compared with the previous one"),
    Bug("early_stopping", "stops one epoch late", ((ES_STOP, "        elif epoch - best_epoch > patience:\n"),), "one epoch late"),
    Bug("early_stopping", "stops one epoch early", ((ES_STOP, "        elif epoch - best_epoch >= patience - 1:\n"),), "one epoch early"),
    Bug("early_stopping", "best of the whole history", (("            stop_epoch = epoch\n            break\n",
                                                         "            stop_epoch = epoch\n            break\n"
                                                         "    best_epoch = int(np.argmax(history) if mode == \"max\" else np.argmin(history))\n"),),
        "best of the whole history"),
    Bug("early_stopping", "the last epoch as the best", (("            stop_epoch = epoch\n            break\n",
                                                          "            stop_epoch = epoch\n            break\n    best_epoch = stop_epoch\n"),),
        "best_epoch is the last epoch trained"),
    Bug("decay_on_plateau", "count not reset", ((DP, DP.replace("                waited = 0\n", "")),), "restarts at 0"),
    Bug("decay_on_plateau", "best reset after a cut", ((DP, DP.replace("                waited = 0\n", "                waited = 0\n                best = None\n")),),
        "the best value is kept"),
    Bug("decay_on_plateau", "cut one epoch late", ((DP, DP.replace("waited >= patience", "waited > patience")),), "not one epoch later"),
    Bug("decay_on_plateau", "the rate used during each epoch", (("        rates.append(lr)\n", "        rates.append(lr)\n"
                                                                 "    rates = [float(learning_rate)] + rates[:-1]\n"),),
        "not the rate used during it"),
    Bug("decay_on_plateau", "min_delta ignored", (("        if best is None or _improved(value, best, mode, min_delta):\n",
                                                   "        if best is None or _improved(value, best, mode, 0.0):\n"),),
        "beat the best by more than min_delta"),
]

CORRECT = [
    Correct("log_uniform", "exp of a uniform natural log", ((EXP + "    samples = 10.0 ** exponents\n",
                                                              "    samples = np.exp(rng.uniform(np.log(low), np.log(high), size))\n"),)),
    Correct("sample_config", "rng.choice of the values", ((CHOICE, "            config[name] = values[int(rng.choice(len(values)))]\n"),)),
    Correct("trial_status", "max of the losses", ((STATUS, STATUS.replace("np.any(losses > abort_factor * losses[0])",
                                                                         "losses.max() > abort_factor * losses[0]")),)),
    Correct("grid_search", "nested dict comprehension", ((GRID, GRID.replace("config = dict(zip(names, values))",
                                                                          "config = {n: v for n, v in zip(names, values)}")),)),
    Correct("refine_range", "clip with np.clip", ((NEW, "    new_lo, new_hi = np.clip([s.min() - pad * width, s.max() + pad * width], s_lo, s_hi)\n"
                                                  "    new_lo, new_hi = float(new_lo), float(new_hi)\n"),)),
    Correct("early_stopping", "a counter of epochs without improvement", ((ES_IMPROVED + "            best_epoch = epoch\n" + ES_STOP,
                                                                        ES_IMPROVED + "            best_epoch = epoch\n"
                                                                        "        elif epoch - best_epoch == patience:\n"),)),
]
