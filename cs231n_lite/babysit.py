"""Babysitting the learning process: the checks before and during a training run.

All graded functions (notebook 05) take and return plain data: arrays,
numbers, dicts, lists, a ``numpy.random.Generator``, and callables handed in
by the caller (a model's loss as ``loss_fn(params) -> (loss, grads)``, a
training run as ``train_fn(X, y, reg) -> history``).

The loss-curve diagnosis uses these thresholds (fractions of the run are
fractions of the number of recorded losses T):

- ``start``: mean of the first max(1, T // 50) losses; ``end``: mean of the
  last 10%; ``drop = start - end``.
- EXPLODING: a loss is NaN/inf, or exceeds ``EXPLODE_FACTOR`` (3) times
  ``start`` (any length of curve); or ``end > (1 + RISE_FRACTION) * start``
  (RISE_FRACTION = 0.10: the loss rose by more than 10%).
- Any other curve needs at least ``MIN_LENGTH`` (20) losses.
- TOO_FLAT (learning rate too low): ``drop < FLAT_FRACTION`` (0.10) * start.
- progress(a, b) = (start - mean of the losses in [a T, b T)) / drop, the
  fraction of the whole decrease reached in that window.
- BAD_INIT (flat, then a sudden drop): progress(0.20, 0.30) < ``LATE_START`` (0.15).
- LR_TOO_HIGH (fast drop, then a plateau): progress(0.05, 0.15) >= ``EARLY_PLATEAU`` (0.90).
- HEALTHY otherwise.
"""
import numpy as np

from .layers import softmax_loss  # noqa: F401  (given; used by the notebook's checks)

EXPLODING, TOO_FLAT, LR_TOO_HIGH, BAD_INIT, HEALTHY = (
    "exploding", "too_flat", "lr_too_high", "bad_init", "healthy")
DIAGNOSES = (EXPLODING, TOO_FLAT, LR_TOO_HIGH, BAD_INIT, HEALTHY)
ADVICE = {
    EXPLODING: "the loss exploded (NaN/inf or growing): lower the learning rate a lot, check the init scale",
    TOO_FLAT: "the loss barely moves: the learning rate is too low (or the gradients vanish)",
    LR_TOO_HIGH: "fast drop, then a plateau: the learning rate is too high; lower it (or decay it)",
    BAD_INIT: "flat, then a sudden drop: a bad initialization (too small) delays learning",
    HEALTHY: "a healthy curve: keep going",
}
EXPLODE_FACTOR = 3.0
FLAT_FRACTION = 0.10
RISE_FRACTION = 0.10
LATE_START = 0.15
EARLY_PLATEAU = 0.90
MIN_LENGTH = 20
INITIAL_LOSS_TOL = 0.1


def expected_initial_loss(num_classes):
    """Softmax loss of a freshly initialized classifier with C classes.

    Small random weights give nearly equal scores, so every class gets
    probability about 1 / C and the loss of each example is -log(1 / C).

    Inputs:
    - num_classes: C, an int >= 2

    Returns:
    - the expected loss, a float (log(10) = 2.3026 for C = 10)
    """
    ### BEGIN SOLUTION
    loss = float(np.log(num_classes))
    ### END SOLUTION
    return loss


def check_initial_loss(loss, num_classes, tol=INITIAL_LOSS_TOL):
    """Compare the first loss of a run with log(C) (regularization off).

    Inputs:
    - loss: the measured loss of the fresh network, a float
    - num_classes: C
    - tol: largest accepted relative deviation |loss - log C| / log C

    Returns a dict:
    - 'loss': the measured loss (float)
    - 'expected': log(C) (float)
    - 'relative_error': (loss - expected) / expected, signed (float)
    - 'verdict': 'ok' if |relative_error| <= tol, 'too high' if it is above
      (scores too large at init, or regularization on), 'too low' if below
      (the network is not fresh, or the labels leak into the inputs);
      'not finite' if loss is NaN or inf
    - 'ok': verdict == 'ok' (bool)
    """
    loss = float(loss)
    ### BEGIN SOLUTION
    expected = expected_initial_loss(num_classes)
    relative_error = (loss - expected) / expected
    if not np.isfinite(loss):
        verdict = "not finite"
    elif abs(relative_error) <= tol:
        verdict = "ok"
    elif relative_error > 0:
        verdict = "too high"
    else:
        verdict = "too low"
    ### END SOLUTION
    return {"loss": loss, "expected": expected, "relative_error": float(relative_error),
            "verdict": verdict, "ok": verdict == "ok"}


def check_model_gradients(loss_fn, params, num_checks=10, h=1e-5, rng=None):
    """Compare a model's analytic gradients with centered differences, per parameter.

    A parameter with at most ``num_checks`` entries is checked at every
    entry; a larger one at ``num_checks`` distinct entries drawn with ``rng``
    (sparse sampling: a full check of a 784 x 100 matrix would cost 157k
    loss evaluations). At each entry i:

        numeric = (L(p + h e_i) - L(p - h e_i)) / (2 h)
        error   = |numeric - analytic| / max(1e-8, |numeric| + |analytic|)

    Inputs:
    - loss_fn: callable, loss_fn(params) -> (loss, grads), grads a dict with
      one array per parameter; call it with a params dict only
    - params: dict name -> float array, left unchanged: evaluate the loss on
      a new dict holding a perturbed copy of one array, e.g.
      ``loss_fn({**params, name: shifted})``. (When graded, loss_fn runs in
      another process and the dicts it is given are copies that come back
      as new arrays: perturbing ``params`` in place through a saved
      reference to one of its arrays would go wrong there.)
    - num_checks: entries sampled per large parameter
    - h: step of the centered difference
    - rng: numpy Generator for the sampling (np.random.default_rng(0) if None)

    Returns:
    - dict name -> largest relative error over the checked entries (float),
      one key per parameter, in params' order
    """
    rng = np.random.default_rng(0) if rng is None else rng
    _, grads = loss_fn(params)
    grads = {name: np.array(g, dtype=np.float64) for name, g in grads.items()}
    report = {}
    for name in params:
        p = params[name]
        ### BEGIN SOLUTION
        if p.size <= num_checks:
            flat = np.arange(p.size)
        else:
            flat = rng.choice(p.size, size=num_checks, replace=False)
        worst = 0.0
        for k in flat:
            ix = np.unravel_index(int(k), p.shape)
            plus, minus = p.copy(), p.copy()
            plus[ix] += h
            minus[ix] -= h
            loss_plus = float(loss_fn({**params, name: plus})[0])
            loss_minus = float(loss_fn({**params, name: minus})[0])
            numeric = (loss_plus - loss_minus) / (2 * h)
            analytic = grads[name][ix]
            error = abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))
            worst = max(worst, float(error))
        ### END SOLUTION
        report[name] = worst
    return report


def overfit_small_subset(train_fn, X, y, num_examples=20):
    """Train on the first ``num_examples`` examples only, regularization off.

    A model that cannot drive the loss of 20 examples to ~0 and reach 100%
    training accuracy has a bug (or far too little capacity): check this
    before any long run.

    Inputs:
    - train_fn: callable, train_fn(X_small, y_small, reg) -> history, which
      trains a fresh model on exactly these examples with L2 strength reg;
      history is a dict with 'loss_history' (one loss per iteration) and
      'train_acc_history' (training accuracy at the end of every epoch)
    - X: shape (N, D); y: shape (N,), N >= num_examples
    - num_examples: size of the subset (20-50 is typical)

    Returns a dict:
    - 'num_examples': int
    - 'loss_history', 'train_acc_history': lists of floats, as trained
    - 'final_loss': the last loss (float)
    - 'final_train_acc': the last training accuracy (float)
    - 'reached_100': whether the final training accuracy is 1.0 (bool)
    """
    ### BEGIN SOLUTION
    X_small, y_small = X[:num_examples], y[:num_examples]
    history = train_fn(X_small, y_small, 0.0)
    ### END SOLUTION
    losses = [float(v) for v in history["loss_history"]]
    accuracies = [float(v) for v in history["train_acc_history"]]
    ### BEGIN SOLUTION
    final_acc = accuracies[-1]
    reached = final_acc == 1.0
    ### END SOLUTION
    return {"num_examples": int(num_examples), "loss_history": losses, "train_acc_history": accuracies,
            "final_loss": losses[-1], "final_train_acc": final_acc, "reached_100": bool(reached)}


def diagnose_loss_curve(losses):
    """Classify a training-loss history by its shape (thresholds in the module docstring).

    Inputs:
    - losses: list or array of T losses, one per iteration (may hold NaN/inf);
      a curve that is not exploding needs T >= 20

    Returns:
    - one of 'exploding', 'too_flat', 'lr_too_high', 'bad_init', 'healthy'
      (the constants EXPLODING, TOO_FLAT, LR_TOO_HIGH, BAD_INIT, HEALTHY)

    Raises:
    - ValueError for an empty curve, or one of fewer than 20 finite losses
      that does not explode (too short to read)
    """
    losses = np.asarray(losses, dtype=np.float64).ravel()
    T = losses.size
    if T == 0:
        raise ValueError("need at least one loss")

    def window(a, b):
        return float(np.mean(losses[int(a * T):max(int(b * T), int(a * T) + 1)]))

    ### BEGIN SOLUTION
    start = float(np.mean(losses[:max(1, T // 50)]))
    if not np.all(np.isfinite(losses)) or losses.max() > EXPLODE_FACTOR * start:
        return EXPLODING
    if T < MIN_LENGTH:
        raise ValueError(f"need at least {MIN_LENGTH} losses to read a curve, got {T}")
    end = window(0.9, 1.0)
    if end > (1 + RISE_FRACTION) * start:
        return EXPLODING
    drop = start - end
    if drop < FLAT_FRACTION * start:
        return TOO_FLAT
    if (start - window(0.20, 0.30)) / drop < LATE_START:
        return BAD_INIT
    if (start - window(0.05, 0.15)) / drop >= EARLY_PLATEAU:
        return LR_TOO_HIGH
    return HEALTHY
    ### END SOLUTION


def update_weight_ratio(w_before, w_after):
    """Size of one update relative to the weights: ||w_after - w_before|| / ||w_before||.

    Norms are Frobenius norms over all entries. The lecture's rule of thumb:
    about 1e-3 per step; much smaller means the learning rate is too low,
    much larger that it is too high.

    Inputs:
    - w_before: weights before the step, any shape
    - w_after: weights after the step, same shape

    Returns:
    - the ratio, a float; 0.0 if nothing changed, inf if w_before is all
      zeros and the update is not
    """
    w_before = np.asarray(w_before, dtype=np.float64)
    w_after = np.asarray(w_after, dtype=np.float64)
    ### BEGIN SOLUTION
    update = np.linalg.norm(w_after - w_before)
    weights = np.linalg.norm(w_before)
    if update == 0:
        return 0.0
    if weights == 0:
        return float("inf")
    ratio = float(update / weights)
    ### END SOLUTION
    return ratio
