"""Visible checks of the experiments students write in the notebooks (not graded).

Each check prints PASS, or FAIL with what to change, and returns True on PASS.
The grader never runs them: they tell a student whether an experiment of
their own design answers its question (a bracketed optimum, a reached target,
a correct diagnosis).
"""
import numpy as np


def _report(experiment, problems, success):
    if problems:
        print(f"FAIL {experiment}: " + "; ".join(problems) + ".")
        return False
    print(f"PASS {experiment}: {success}")
    return True


def _bracketed(results, better):
    """(best key, problem or None) of a dict key -> value; None values count as worst.

    better(a, b) is True when value a beats value b. The best key must have a
    tried key on each side whose value is worse.
    """
    keys = sorted(results)
    done = [k for k in keys if results[k] is not None and np.isfinite(results[k])]
    if not done:
        return None, "no run reached a result"
    best = done[0]
    for k in done[1:]:
        if better(results[k], results[best]):
            best = k
    if best == keys[0]:
        return best, f"the best value {best:g} is the smallest you tried: try smaller ones too"
    if best == keys[-1]:
        return best, f"the best value {best:g} is the largest you tried: try larger ones too"
    return best, None


def best_rates(iterations_by_rate):
    """activation -> the learning rate that reached the target in the fewest iterations (if any did)."""
    best = {}
    for activation, runs in iterations_by_rate.items():
        reached = {float(lr): i for lr, i in runs.items() if i is not None}
        if reached:
            best[activation] = min(reached, key=reached.get)
    return best


def check_rate_sweep(iterations_by_rate, activations=("sigmoid", "tanh", "relu")):
    """Notebook 01: each activation's best learning rate found by a sweep of the student's design.

    iterations_by_rate: activation -> {learning rate: iterations to the target, or None}.
    Each activation needs at least 4 rates spanning a factor 10 or more, and
    its best rate bracketed by worse ones on both sides.
    """
    problems = []
    if not isinstance(iterations_by_rate, dict):
        return _report("fair comparison", ["iterations_by_rate must be a dict activation -> {rate: iterations}"], "")
    for activation in activations:
        runs = iterations_by_rate.get(activation) or {}
        rates = sorted(float(r) for r in runs)
        if len(rates) < 4:
            problems.append(f"{activation}: try at least 4 learning rates (you tried {len(rates)})")
            continue
        if rates[-1] / rates[0] < 10:
            problems.append(f"{activation}: your rates span only a factor {rates[-1] / rates[0]:.3g}; "
                            "cover at least 10 on a log scale")
            continue
        values = {float(r): (np.inf if i is None else float(i)) for r, i in runs.items()}
        _, problem = _bracketed({r: (None if np.isinf(v) else v) for r, v in values.items()},
                                lambda a, b: a < b)
        if problem:
            problems.append(f"{activation}: {problem}")
    best = best_rates(iterations_by_rate) if not problems else {}
    return _report("fair comparison", problems,
                   "each best rate is bracketed: " + ", ".join(f"{a} {lr:g}" for a, lr in best.items()))



def check_sample_size(max_error, sample_size, tolerance, population):
    """Notebook 02: the smallest sample whose mean image is within `tolerance` of the full mean.

    max_error: sample size -> largest absolute pixel difference from the full
    training mean; sample_size: the student's answer. It must meet the
    tolerance, be the smallest size tried that does, come after a tried size
    that does not, and be smaller than the training set.
    """
    problems = []
    if not isinstance(max_error, dict) or len(max_error) < 3:
        return _report("sample mean", ["try at least 3 sample sizes (max_error: size -> largest pixel error)"], "")
    sizes = sorted(int(n) for n in max_error)
    errors = {int(n): float(e) for n, e in max_error.items()}
    if sample_size is None or int(sample_size) not in errors:
        problems.append("sample_size must be one of the sizes you tried")
    else:
        n = int(sample_size)
        if n >= population:
            problems.append(f"{n} images is the whole training set: a sample must be smaller")
        elif errors[n] > tolerance:
            problems.append(f"the mean of {n} images is off by {errors[n]:.3g} at its worst pixel, "
                            f"more than {tolerance:g}")
        else:
            smaller_ok = [m for m in sizes if m < n and errors[m] <= tolerance]
            smaller_bad = [m for m in sizes if m < n and errors[m] > tolerance]
            if smaller_ok:
                problems.append(f"{smaller_ok[0]} images already stay within {tolerance:g}: is {n} the smallest?")
            elif not smaller_bad:
                problems.append(f"{n} is the smallest size you tried: try smaller ones to show where the "
                                "error first exceeds the tolerance")
    return _report("sample mean", problems, f"{sample_size} images keep every pixel of the mean image within "
                   f"{tolerance:g} gray levels ({errors.get(int(sample_size or 0), float('nan')):.3g} at the worst)")


def check_tanh_gain(gain, tried, top, min_std, max_saturated):
    """Notebook 03: a gain on Xavier's weights that keeps a 10-layer tanh stack alive but unsaturated.

    gain: the student's answer; tried: gain -> (std, saturated fraction) of
    layer 10 for the gains tried (at least 3); top: layer 10's outputs with
    `gain`, recomputed by the notebook.
    """
    if gain is None or top is None:
        return _report("tanh gain", ["store your answer in gain"], "")
    problems = []
    if not isinstance(tried, dict) or len(tried) < 3:
        problems.append("try at least 3 gains and keep them in gain_results")
    std, saturated = float(np.std(top)), float(np.mean(np.abs(top) > 0.99))
    if std < min_std:
        problems.append(f"with gain {gain:g} layer 10 has std {std:.3g} < {min_std:g}: the signal still "
                        "shrinks; try a larger gain")
    if saturated > max_saturated:
        problems.append(f"with gain {gain:g} {saturated:.1%} of layer 10 is saturated (more than "
                        f"{max_saturated:.0%}): try a smaller gain")
    return _report("tanh gain", problems, f"gain {gain:g}: layer 10 has std {std:.3g} with {saturated:.1%} "
                   "of its outputs saturated")


def check_batch_size_search(val_by_batch, smallest_batch, tolerance):
    """Notebook 04: the smallest batch size at which batch norm comes within `tolerance` of layer norm.

    val_by_batch: {'batchnorm': {B: accuracy}, 'layernorm': {B: accuracy}} on
    the same batch sizes (at least 4, spanning a factor 16); smallest_batch:
    the student's answer, which needs a tried batch size below it where batch
    norm is further behind, and none below it within the tolerance.
    """
    bn, ln = (val_by_batch or {}).get("batchnorm") or {}, (val_by_batch or {}).get("layernorm") or {}
    sizes = sorted(int(b) for b in bn)
    problems = []
    if sorted(int(b) for b in ln) != sizes:
        problems.append("run both normalizations at the same batch sizes")
    elif len(sizes) < 4 or sizes[-1] / sizes[0] < 16:
        problems.append("try at least 4 batch sizes spanning a factor 16 or more")
    elif smallest_batch is None or int(smallest_batch) not in sizes:
        problems.append("smallest_batch must be one of the batch sizes you tried")
    else:
        gap = {b: ln[b] - bn[b] for b in sizes}
        n = int(smallest_batch)
        if gap[n] > tolerance:
            problems.append(f"at batch size {n} batch norm is {gap[n]:.3f} behind layer norm, more than {tolerance:g}")
        elif any(gap[b] <= tolerance for b in sizes if b < n):
            problems.append(f"batch size {min(b for b in sizes if gap[b] <= tolerance)} is already within "
                            f"{tolerance:g}: is {n} the smallest?")
        elif not any(b < n for b in sizes):
            problems.append(f"{n} is the smallest batch size you tried: try smaller ones to see batch norm "
                            "fall behind")
    return _report("batch size", problems, f"from batch size {smallest_batch} on (of those tried) batch norm is "
                   f"within {tolerance:g} of layer norm")


def check_l2_search(l2_results, best_reg, plain_val, margin):
    """Notebook 07: the L2 strength with the best validation accuracy, bracketed, beating the plain net.

    l2_results: strength -> (train accuracy, validation accuracy, weight norm)
    for at least 4 strengths spanning two decades; best_reg: the student's
    answer; plain_val: the unregularized network's validation accuracy.
    """
    if not isinstance(l2_results, dict) or len(l2_results) < 4:
        return _report("L2 strength", ["try at least 4 strengths (l2_results: strength -> (train, val, norm))"], "")
    regs = sorted(float(r) for r in l2_results)
    val = {float(r): float(v[1]) for r, v in l2_results.items()}
    problems = []
    if regs[0] <= 0 or regs[-1] / regs[0] < 100:
        problems.append("use positive strengths spanning at least two decades on a log scale")
    elif best_reg is None or float(best_reg) not in val:
        problems.append("best_reg must be one of the strengths you tried")
    else:
        best, problem = _bracketed(val, lambda a, b: a > b)
        if float(best_reg) != best:
            problems.append(f"best_reg = {best_reg:g} is not the strength with the highest validation "
                            f"accuracy ({best:g})")
        elif problem:
            problems.append(problem.replace("value", "strength"))
        elif val[best] < plain_val + margin:
            problems.append(f"your best strength reaches {val[best]:.3f}, not {margin:g} above the plain "
                            f"network's {plain_val:.3f}: look between the strengths you tried")
    return _report("L2 strength", problems, f"lambda = {best_reg:g} reaches {val.get(float(best_reg or 0), 0):.3f} "
                   f"validation accuracy, against {plain_val:.3f} without L2")


def trains(loss_history, steps, drop=0.8):
    """A run trains: all `steps` iterations ran, every loss is finite, and the mean of the last 20
    losses is below `drop` times the first."""
    h = np.asarray(loss_history, dtype=np.float64)
    return h.size == steps and bool(np.all(np.isfinite(h))) and h[-20:].mean() < drop * h[0]


def check_lr_range(lr_results, useful_range, steps):
    """Notebook 05: the range of learning rates that train, found by a sweep of the student's design.

    lr_results: learning rate -> loss history; useful_range: (lowest,
    highest) rate that trains. Needs at least 8 rates, a rate at which the
    loss moves by less than 1% and one at which it explodes, a range that
    matches the runs, and the nearest tried rate outside each end within a
    factor 3.5 (and not training).
    """
    if not isinstance(lr_results, dict) or len(lr_results) < 8:
        return _report("learning-rate range", ["try at least 8 learning rates (lr_results: rate -> loss history)"], "")
    hist = {float(r): np.asarray(h, dtype=np.float64) for r, h in lr_results.items()}
    rates = sorted(hist)
    problems = []
    flat = [r for r in rates if hist[r].size == steps and np.all(np.isfinite(hist[r]))
            and abs(hist[r][-20:].mean() - hist[r][0]) < 0.01 * hist[r][0]]
    exploded = [r for r in rates if hist[r].size < steps or not np.all(np.isfinite(hist[r]))
                or hist[r].max() > 3 * hist[r][0]]
    if not flat:
        problems.append("include a rate so low that the loss moves by less than 1%")
    if not exploded:
        problems.append("include a rate so high that the loss explodes (the Solver stops it)")
    good = [r for r in rates if trains(hist[r], steps)]
    if not good:
        problems.append(f"none of your rates trains in {steps} iterations")
    elif useful_range is None or len(useful_range) != 2:
        problems.append("store (lowest, highest) rate that trains in useful_range")
    else:
        low, high = (float(v) for v in useful_range)
        if (low, high) != (min(good), max(good)):
            problems.append(f"your runs say the rates that train go from {min(good):g} to {max(good):g}, "
                            f"not {low:g} to {high:g}")
        else:
            below = [r for r in rates if r < low]
            above = [r for r in rates if r > high]
            if below and low / below[-1] > 3.5:
                problems.append(f"the lower end is only located between {below[-1]:g} and {low:g}: "
                                "try rates in between")
            if above and above[0] / high > 3.5:
                problems.append(f"the upper end is only located between {high:g} and {above[0]:g}: "
                                "try rates in between")
    return _report("learning-rate range", problems,
                   f"the rates from {useful_range[0]:g} to {useful_range[1]:g} train; "
                   "the nearest rates outside do not" if not problems else "")


def check_search_target(tuned_val_acc, target, trials, first_guess):
    """Notebook 06: the student's search and final training reach a target the first guess misses.

    tuned_val_acc: the restored model's validation accuracy; trials: the
    search's trials (at least 3); first_guess: what the fine pass's best
    configuration reached with a constant rate (experiment 4), for context.
    """
    problems = []
    if not trials or len(trials) < 3:
        problems.append("run a search of at least 3 trials (my_trials)")
    if tuned_val_acc is None:
        problems.append("store your tuned model's validation accuracy in tuned_val_acc")
    elif tuned_val_acc < target:
        problems.append(f"your tuned model reaches {tuned_val_acc:.1%} validation accuracy, below the target "
                        f"{target:.1%} (the first guess reached {first_guess:.1%}): search the hidden size too, "
                        "check that the best value is not at the edge of its range, and train the final model "
                        "with decay on plateau and early stopping")
    return _report("my search", problems, f"your tuned model reaches {tuned_val_acc:.1%} validation accuracy "
                   f"after {len(trials or [])} trials (target {target:.1%}; the first guess reached {first_guess:.1%})"
                   if not problems else "")
