"""Bank entries of notebook 05 (cs231n_lite/babysit.py): the babysitting checks."""
from . import Bug, Correct

LOG = "    loss = float(np.log(num_classes))\n"
REL = "    relative_error = (loss - expected) / expected\n"
OK = "    elif abs(relative_error) <= tol:\n"
VERDICT = '''    if not np.isfinite(loss):
        verdict = "not finite"
    elif abs(relative_error) <= tol:
        verdict = "ok"
    elif relative_error > 0:
        verdict = "too high"
    else:
        verdict = "too low"
'''
ERROR = "            error = abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))\n"
PERTURB = "            plus[ix] += h\n            minus[ix] -= h\n"
NUMERIC = "            numeric = (loss_plus - loss_minus) / (2 * h)\n"
SAMPLE = "            flat = rng.choice(p.size, size=num_checks, replace=False)\n"
TRAIN = "    history = train_fn(X_small, y_small, 0.0)\n"
EXPLODE = "    if not np.all(np.isfinite(losses)) or losses.max() > EXPLODE_FACTOR * start:\n        return EXPLODING\n"
SHORT = ("    if T < MIN_LENGTH:\n        raise ValueError(f\"need at least {MIN_LENGTH} losses to read a curve, "
         "got {T}\")\n")
RISE = "    if end > (1 + RISE_FRACTION) * start:\n        return EXPLODING\n"
FLAT = "    if drop < FLAT_FRACTION * start:\n        return TOO_FLAT\n"
BAD = "    if (start - window(0.20, 0.30)) / drop < LATE_START:\n        return BAD_INIT\n"
HIGH = "    if (start - window(0.05, 0.15)) / drop >= EARLY_PLATEAU:\n        return LR_TOO_HIGH\n"
UPDATE = "    update = np.linalg.norm(w_after - w_before)\n"
WEIGHTS = "    weights = np.linalg.norm(w_before)\n"

BUGS = [
    Bug("expected_initial_loss", "log base 10", ((LOG, "    loss = float(np.log10(num_classes))\n"),), "log base 10"),
    Bug("expected_initial_loss", "log base 2", ((LOG, "    loss = float(np.log2(num_classes))\n"),), "log base 2"),
    Bug("expected_initial_loss", "the probability 1/C", ((LOG, "    loss = 1.0 / num_classes\n"),), "the probability 1/C"),
    Bug("expected_initial_loss", "the sign", ((LOG, "    loss = float(np.log(1.0 / num_classes))\n"),), "the sign"),
    Bug("check_initial_loss", "relative error unsigned", ((REL, "    relative_error = abs(loss - expected) / expected\n"),),
        "keep its sign"),
    Bug("check_initial_loss", "absolute error", ((REL, "    relative_error = loss - expected\n"),), "an absolute error"),
    Bug("check_initial_loss", "< tol", ((OK, "    elif abs(relative_error) < tol:\n"),), "not <"),
    Bug("check_initial_loss", "tol ignored", ((OK, "    elif abs(relative_error) <= 0.1:\n"),), "the tol argument was ignored"),
    Bug("check_initial_loss", "absolute deviation against tol", ((OK, "    elif abs(loss - expected) <= tol:\n"),),
        "the absolute deviation"),
    Bug("check_initial_loss", "too high / too low swapped", ((VERDICT, VERDICT.replace('"too high"', '"TMP"')
                                                             .replace('"too low"', '"too high"').replace('"TMP"', '"too low"')),),
        "are swapped"),
    Bug("check_initial_loss", "NaN checked last", ((VERDICT, '''    if abs(relative_error) <= tol:
        verdict = "ok"
    elif relative_error > 0:
        verdict = "too high"
    elif relative_error <= 0:
        verdict = "too low"
    else:
        verdict = "not finite"
'''),), "'not finite'"),
    Bug("check_initial_loss", "log10 for the expected loss", (("    expected = expected_initial_loss(num_classes)\n",
                                                              "    expected = float(np.log10(num_classes))\n"),),
        "expected_initial_loss(num_classes)"),
    Bug("check_model_gradients", "one-sided differences", ((NUMERIC, "            numeric = (loss_plus - float(loss_fn(params)[0])) / h\n"),),
        "one-sided differences"),
    Bug("check_model_gradients", "error relative to the analytic gradient",
        ((ERROR, "            error = abs(numeric - analytic) / max(1e-8, abs(analytic))\n"),), "divided by one gradient only"),
    Bug("check_model_gradients", "mean instead of max", (("            worst = max(worst, float(error))\n",
                                                         "            worst += float(error) / len(flat)\n"),), "the mean error"),
    Bug("check_model_gradients", "h ignored", ((PERTURB + "            loss_plus", "            plus[ix] += 1e-5\n            minus[ix] -= 1e-5\n"
                                               "            loss_plus"), (NUMERIC, "            numeric = (loss_plus - loss_minus) / 2e-5\n")),
        "the h argument was ignored"),
    Bug("check_model_gradients", "first num_checks entries", ((SAMPLE, "            flat = np.arange(num_checks)\n"),),
        "do not come from the rng argument"),
    Bug("check_model_gradients", "global np.random", ((SAMPLE, "            flat = np.random.choice(p.size, size=num_checks, replace=False)\n"),),
        "instead of the rng argument"),
    Bug("check_model_gradients", "perturbed in place", (("            plus, minus = p.copy(), p.copy()\n", "            plus, minus = p, p.copy()\n"),),
        "perturbed in place"),
    Bug("overfit_small_subset", "the whole set", ((TRAIN, "    history = train_fn(X, y, 0.0)\n"),), "the whole set"),
    Bug("overfit_small_subset", "regularization on", ((TRAIN, "    history = train_fn(X_small, y_small, 1e-3)\n"),),
        "regularization left on"),
    Bug("overfit_small_subset", "reg not passed", ((TRAIN, "    history = train_fn(X_small, y_small)\n"),), "regularization left on"),
    Bug("overfit_small_subset", "a random subset", (("    X_small, y_small = X[:num_examples], y[:num_examples]\n",
                                                     "    pick = np.random.default_rng(0).choice(len(X), num_examples, replace=False)\n"
                                                     "    X_small, y_small = X[pick], y[pick]\n"),), "other examples than the first"),
    Bug("overfit_small_subset", "reached_100 from the best epoch", (("    reached = final_acc == 1.0\n",
                                                                     "    reached = max(accuracies) == 1.0\n"),), "not when any epoch"),
    Bug("overfit_small_subset", "final accuracy as the best one", (("    final_acc = accuracies[-1]\n", "    final_acc = max(accuracies)\n"),),
        "the best accuracy"),
    Bug("diagnose_loss_curve", "end as the last loss", (("    end = window(0.9, 1.0)\n", "    end = float(losses[-1])\n"),),
        "end is the mean of the last 10%"),
    Bug("diagnose_loss_curve", "start as the first loss", (("    start = float(np.mean(losses[:max(1, T // 50)]))\n",
                                                           "    start = float(losses[0])\n"),), "start is the mean of the first"),
    Bug("diagnose_loss_curve", "LR_TOO_HIGH before BAD_INIT", ((BAD + HIGH, HIGH + BAD),), "BAD_INIT is checked before LR_TOO_HIGH"),
    Bug("diagnose_loss_curve", "BAD_INIT before TOO_FLAT", ((FLAT + BAD, BAD + FLAT),), "TOO_FLAT is checked before BAD_INIT"),
    Bug("diagnose_loss_curve", "the rise rule after TOO_FLAT", ((RISE + "    drop = start - end\n" + FLAT,
                                                                "    drop = start - end\n" + FLAT + RISE),),
        "is checked before TOO_FLAT"),
    Bug("diagnose_loss_curve", "an absolute flat threshold", ((FLAT, "    if drop < 0.1:\n        return TOO_FLAT\n"),),
        "the flat rule is relative"),
    Bug("diagnose_loss_curve", "NaN not detected", ((EXPLODE, EXPLODE.replace("not np.all(np.isfinite(losses)) or ", "")),),
        "a NaN or inf loss means exploding"),
    Bug("diagnose_loss_curve", "length required before the 3x rule", ((EXPLODE + SHORT, SHORT + EXPLODE),),
        "apply to a curve of any length"),
    Bug("diagnose_loss_curve", "no ValueError for a short curve", ((SHORT, ""),), "raises ValueError"),
    Bug("update_weight_ratio", "the norm after the update", ((WEIGHTS, "    weights = np.linalg.norm(w_after)\n"),),
        "after the update"),
    Bug("update_weight_ratio", "the change of the norm", ((UPDATE, "    update = abs(np.linalg.norm(w_after) - np.linalg.norm(w_before))\n"),),
        "the change of the norm"),
    Bug("update_weight_ratio", "squared norms", ((UPDATE + WEIGHTS, "    update = np.sum((w_after - w_before) ** 2)\n"
                                                 "    weights = np.sum(w_before ** 2)\n"),), "squared norms"),
    Bug("update_weight_ratio", "the spectral norm", ((UPDATE + WEIGHTS, "    update = np.linalg.norm(w_after - w_before, 2)\n"
                                                     "    weights = np.linalg.norm(w_before, 2)\n"),), "the spectral norm"),
    Bug("update_weight_ratio", "no difference", ((UPDATE, "    update = np.linalg.norm(w_after)\n"),),
        "the numerator is the norm of the update"),
    Bug("update_weight_ratio", "the zero-weights case first", (("    if update == 0:\n        return 0.0\n    if weights == 0:\n"
                                                                "        return float(\"inf\")\n",
                                                                "    if weights == 0:\n        return float(\"inf\")\n"
                                                                "    if update == 0:\n        return 0.0\n"),),
        "check update == 0 first"),
]

CORRECT = [
    Correct("check_initial_loss", "relative error as loss / expected - 1", ((REL, "    relative_error = loss / expected - 1.0\n"),)),
    Correct("check_model_gradients", "perturb in place and restore on a new dict",
            (("            plus, minus = p.copy(), p.copy()\n            plus[ix] += h\n            minus[ix] -= h\n"
              "            loss_plus = float(loss_fn({**params, name: plus})[0])\n"
              "            loss_minus = float(loss_fn({**params, name: minus})[0])\n",
              "            q = p.copy()\n            old = q[ix]\n            q[ix] = old + h\n"
              "            loss_plus = float(loss_fn({**params, name: q.copy()})[0])\n            q[ix] = old - h\n"
              "            loss_minus = float(loss_fn({**params, name: q.copy()})[0])\n"),)),
    Correct("diagnose_loss_curve", "window(0.9, 1.0) written as a slice", (("    end = window(0.9, 1.0)\n",
                                                                            "    end = float(losses[int(0.9 * T):].mean())\n"),)),
    Correct("update_weight_ratio", "np.sqrt of sums of squares", ((UPDATE + WEIGHTS, "    update = np.sqrt(np.sum((w_after - w_before) ** 2))\n"
                                                                 "    weights = np.sqrt(np.sum(w_before ** 2))\n"),)),
]
