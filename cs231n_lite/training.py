"""Given helpers of notebook 06 (not graded): a search with a progress bar, training epoch by epoch.

cs231n_lite.hyperopt exports them too.
"""

def with_progress(train_fn, bar):
    """train_fn, advancing the tqdm ``bar`` by one after each call (searches show progress)."""
    def wrapped(config):
        result = train_fn(config)
        bar.update(1)
        return result
    return wrapped


def train_by_epoch(model, data, learning_rate, epochs, next_rate=None, update_rule="sgd_momentum",
                   batch_size=100, divergence_factor=3.0, seed=0):
    """Train ``model`` one epoch at a time, saving what early stopping and decay need.

    Each epoch is one ``Solver`` run of one epoch; the update rule's state
    (momentum velocity) is carried from epoch to epoch, and the learning
    rate of the next epoch is ``next_rate(val_history)`` (None: constant),
    e.g. ``lambda h: decay_on_plateau(h, lr0)[-1]``. Divergence is judged
    against the loss of the run's *first* iteration, as trial_status does:
    the first epoch's Solver stops at the first loss above
    divergence_factor times it (or NaN); later epochs stop on NaN at once
    and, at the end of the epoch, on any loss above that bound (a later
    epoch's own first loss is far lower, so the Solver's guard, relative to
    it, would stop healthy runs on minibatch noise).

    Returns a dict: 'val_acc' (list, one per epoch), 'train_acc', 'rates'
    (the rate used in each epoch), 'snapshots' (copies of model.params after
    each epoch), 'loss_history' (every iteration), 'stop_reason' (None, or
    the Solver's reason for stopping a diverging run).
    """
    import contextlib
    import copy
    import io

    from .solver import Solver

    out = {"val_acc": [], "train_acc": [], "rates": [], "snapshots": [], "loss_history": [], "stop_reason": None}
    rate, configs = float(learning_rate), None
    for epoch in range(epochs):
        solver = Solver(model, data, update_rule=update_rule, optim_config={"learning_rate": rate},
                        batch_size=batch_size, num_epochs=1,
                        divergence_factor=divergence_factor if epoch == 0 else float("inf"),
                        keep_best=False, progress=False, seed=seed + epoch)
        if configs is not None:
            for cfg in configs.values():
                cfg["learning_rate"] = rate
            solver.optim_configs = configs
        with contextlib.redirect_stdout(io.StringIO()):
            solver.train()
        configs = solver.optim_configs
        out["loss_history"] += solver.loss_history
        out["rates"].append(rate)
        if not solver.stop_reason and epoch > 0:
            bound = divergence_factor * out["loss_history"][0]
            above = [i for i, v in enumerate(solver.loss_history) if v > bound]
            if above:
                at = len(out["loss_history"]) - len(solver.loss_history) + above[0]
                out["loss_history"] = out["loss_history"][:at + 1]
                solver.stop_reason = (f"loss {out['loss_history'][-1]:.3g} exceeded {divergence_factor:g}x "
                                      f"the run's initial loss at iteration {at + 1}")
        if solver.stop_reason:
            out["stop_reason"] = solver.stop_reason
            break
        out["val_acc"].append(solver.val_acc_history[-1])
        out["train_acc"].append(solver.train_acc_history[-1])
        out["snapshots"].append(copy.deepcopy(model.params))
        if next_rate is not None:
            rate = float(next_rate(out["val_acc"]))
    return out
