"""Mini-batch training loop with histories, a progress bar and a divergence guard."""
import copy

import numpy as np
from tqdm.auto import tqdm

from . import optim


class Solver:
    """Trains a model that has ``params`` and ``loss(X, y)`` like FullyConnectedNet.

    After ``train()``:
    - loss_history: training loss of every iteration
    - train_acc_history, val_acc_history: accuracies at every epoch end
    - best_val_acc, best_params: the best validation accuracy and the
      parameters that reached it; the model is left with best_params
    - stop_reason: None, or why training stopped early (the loss became
      NaN/inf, or exceeded ``divergence_factor`` times its initial value)
    - reached_target_at: iteration at which the smoothed loss first went
      below ``target_loss`` (training stops there), or None
    - update_ratio_history: dict name -> list, for every parameter the
      ratio norm(update) / norm(weights before the update) of every step
      (the lecture's "about 1e-3" diagnostic; inf for all-zero weights)
    """

    def __init__(self, model, data, update_rule="sgd", optim_config=None,
                 lr_decay=1.0, batch_size=100, num_epochs=10, num_iterations=None,
                 num_train_samples=1000, num_val_samples=None, print_every=None,
                 divergence_factor=3.0, target_loss=None, target_window=50,
                 keep_best=True, progress=True, seed=0):
        """
        Inputs:
        - model: object with ``params`` (dict of arrays) and ``loss(X, y)``
        - data: dict with X_train (N, D), y_train (N,), X_val, y_val
        - update_rule: name of a rule in cs231n_lite.optim ('sgd', 'sgd_momentum', ...)
        - optim_config: hyperparameters given to the rule (learning_rate, ...)
        - lr_decay: learning rate multiplier applied after each epoch
        - batch_size: examples per iteration
        - num_epochs: passes over the training data (ignored if num_iterations is set)
        - num_iterations: exact number of iterations to run, or None
        - num_train_samples: training examples used to measure train accuracy
        - num_val_samples: validation examples used (None: all)
        - print_every: print the loss every this many iterations (None: never)
        - divergence_factor: stop once the loss exceeds this times its first value
        - target_loss: stop once the moving average of the last target_window
          losses is below this (None: never); see reached_target_at
        - keep_best: leave the model with the best validation parameters
        - progress: show a tqdm progress bar
        - seed: seed of the minibatch sampler
        """
        rule = getattr(optim, update_rule, None)
        if rule is None:
            raise ValueError(f"unknown update_rule {update_rule!r}: cs231n_lite.optim has no such function")
        missing = {"X_train", "y_train", "X_val", "y_val"} - set(data)
        if missing:
            raise ValueError(f"data is missing {sorted(missing)}")
        self.model, self.rule = model, rule
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.optim_config = dict(optim_config or {})
        self.lr_decay, self.batch_size = lr_decay, batch_size
        num_train = self.X_train.shape[0]
        self.iterations_per_epoch = max(num_train // batch_size, 1)
        self.num_iterations = (num_iterations if num_iterations is not None
                               else num_epochs * self.iterations_per_epoch)
        self.num_train_samples, self.num_val_samples = num_train_samples, num_val_samples
        self.print_every, self.divergence_factor = print_every, divergence_factor
        self.target_loss, self.target_window = target_loss, target_window
        self.keep_best, self.progress = keep_best, progress
        self.rng = np.random.default_rng(seed)
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.best_val_acc = -1.0
        self.best_params = {}
        self.loss_history, self.train_acc_history, self.val_acc_history = [], [], []
        self.stop_reason = None
        self.reached_target_at = None
        self.update_ratio_history = {k: [] for k in self.model.params}
        self.optim_configs = {k: dict(self.optim_config) for k in self.model.params}

    def _step(self):
        idx = self.rng.choice(self.X_train.shape[0], self.batch_size, replace=False)
        loss, grads = self.model.loss(self.X_train[idx], self.y_train[idx])
        self.loss_history.append(float(loss))
        if not np.isfinite(loss):
            return f"loss became {loss} at iteration {len(self.loss_history)}"
        first = self.loss_history[0]
        if loss > self.divergence_factor * first:
            return (f"loss {loss:.3g} exceeded {self.divergence_factor:g}x its initial "
                    f"value {first:.3g} at iteration {len(self.loss_history)}")
        for name, w in self.model.params.items():
            before = np.array(w, dtype=np.float64)   # a copy: a rule may update in place
            self.model.params[name], self.optim_configs[name] = self.rule(
                w, grads[name], self.optim_configs[name])
            self._record_update_ratio(name, before, self.model.params[name])
        return None

    def _record_update_ratio(self, name, before, after):
        update = np.linalg.norm(np.asarray(after, dtype=np.float64) - before)
        weights = np.linalg.norm(before)
        ratio = 0.0 if update == 0 else (float(update / weights) if weights > 0 else float("inf"))
        self.update_ratio_history.setdefault(name, []).append(ratio)

    def check_accuracy(self, X, y, num_samples=None, batch_size=500):
        """Fraction of correctly classified examples.

        Inputs:
        - X: shape (N, D); y: shape (N,)
        - num_samples: evaluate on a random subset of this size (None: all)

        Returns:
        - accuracy, a float in [0, 1]
        """
        if num_samples is not None and X.shape[0] > num_samples:
            idx = self.rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[idx], y[idx]
        preds = [np.argmax(self.model.loss(X[i:i + batch_size]), axis=1)
                 for i in range(0, X.shape[0], batch_size)]
        return float(np.mean(np.concatenate(preds) == y))

    def _end_epoch(self):
        self.epoch += 1
        for cfg in self.optim_configs.values():
            if "learning_rate" in cfg:
                cfg["learning_rate"] *= self.lr_decay
        self._record_accuracy()

    def _record_accuracy(self):
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = copy.deepcopy(self.model.params)

    def train(self):
        """Run the optimization; returns self so calls can be chained."""
        bar = tqdm(range(self.num_iterations), disable=not self.progress,
                   desc="training", leave=False)
        for it in bar:
            self.stop_reason = self._step()
            if self.stop_reason:
                print(f"Solver stopped: {self.stop_reason}. Lower the learning rate "
                      "or the initialization scale.")
                break
            if self.print_every and it % self.print_every == 0:
                print(f"(Iteration {it + 1} / {self.num_iterations}) loss: {self.loss_history[-1]:.4f}")
            if (it + 1) % self.iterations_per_epoch == 0:
                self._end_epoch()
            if it % 20 == 0:
                bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}")
            if self.target_loss is not None and \
                    np.mean(self.loss_history[-self.target_window:]) < self.target_loss:
                self.reached_target_at = it + 1
                break
        bar.close()
        if not self.val_acc_history and not self.stop_reason:
            self._record_accuracy()
        if self.keep_best and self.best_params:
            self.model.params = self.best_params
        return self
