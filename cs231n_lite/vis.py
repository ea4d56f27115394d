"""Plotting helpers, so that notebooks show the idea and not matplotlib details.

Every function draws one figure and returns it.
"""
import matplotlib.pyplot as plt
import numpy as np

from .measure import smooth


def plot_seed_spread(values, ylabel, title):
    """A bar at the mean of each entry, with one dot per seed, so seed noise is visible.

    Inputs:
    - values: dict name -> sequence of numbers (one per seed; None is skipped)
    """
    fig, ax = plt.subplots(figsize=(7, 3.6))
    names = list(values)
    for i, name in enumerate(names):
        v = np.array([x for x in values[name] if x is not None], dtype=float)
        ax.bar(i, v.mean(), color="C0", alpha=0.5)
        ax.plot(np.full(v.size, i), v, "ko", ms=4)
        ax.text(i, v.max(), f" {v.min():.2g}-{v.max():.2g}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)), names, rotation=15, ha="right")
    ax.margins(y=0.15)
    ax.set(ylabel=ylabel, title=f"{title}\n(bar: mean; dots: one per seed; label: range)")
    fig.tight_layout()
    return fig


def plot_activations(x, outputs, derivatives):
    """Each activation and its derivative, side by side.

    Inputs:
    - x: shape (T,), the inputs
    - outputs, derivatives: dicts name -> array of shape (T,)
    """
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name in outputs:
        ax_f.plot(x, outputs[name], label=name)
        ax_d.plot(x, derivatives[name], label=name)
    ax_f.set(title="f(x)", xlabel="x", ylim=(-2, 4))
    ax_d.set(title="f'(x)", xlabel="x", ylim=(-0.1, 1.6))
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
    ax_d.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_per_layer(values, ylabel, title, log=True):
    """One line per setting over layer index 1..L.

    Inputs:
    - values: dict name -> sequence of per-layer values
    """
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for name, v in values.items():
        ax.plot(np.arange(1, len(v) + 1), v, marker="o", label=name)
    ax.xaxis.get_major_locator().set_params(integer=True)      # layers are whole numbers
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="layer", ylabel=ylabel, title=title)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))   # outside: hides no point
    fig.tight_layout()
    return fig


def plot_paths(paths, target, title="weight updates"):
    """Trajectories of a 2-D weight vector.

    Inputs:
    - paths: dict name -> array (T, 2) of successive weights
    - target: the optimum, shape (2,)
    """
    fig, axes = plt.subplots(1, len(paths), figsize=(5 * len(paths), 4.2))
    for ax, (name, path) in zip(np.atleast_1d(axes), paths.items()):
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-o", ms=2, lw=0.8)
        ax.plot(*target, "r*", ms=14, label="optimum")
        ax.plot(*path[0], "ks", label="start")
        ax.set(title=f"{name}: {len(path) - 1} steps", xlabel="w1", ylabel="w2")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_loss_curves(histories, threshold=None, window=20, title="training loss", log=False):
    """Smoothed loss curves, with an optional horizontal target line.

    Inputs:
    - histories: dict name -> sequence of per-iteration losses
    - log: logarithmic loss axis (the tick labels stay in loss units)
    """
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, h in histories.items():
        ax.plot(smooth(h, window), label=name)
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls="--", lw=1, label=f"target loss {threshold:g}")
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel=f"loss (moving average of {window}{', log scale' if log else ''})",
           title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_bars(values, ylabel, title):
    """A bar per entry of values (dict name -> number), labelled with its value."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    names = list(values)
    bars = ax.bar(names, [values[n] for n in names], color="C0")
    ax.bar_label(bars, fmt="%.3g")
    ax.margins(y=0.15)  # room for the labels
    ax.set(ylabel=ylabel, title=title)
    plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    fig.tight_layout()
    return fig


def show_images(X, y, class_names, per_class=6):
    """A grid of example images, one row per class.

    Inputs:
    - X: images, shape (N, H, W) or (N, H, W, 3)
    - y: labels, shape (N,)
    """
    classes = len(class_names)
    fig, axes = plt.subplots(classes, per_class, figsize=(per_class * 0.9, classes * 0.9))
    for c in range(classes):
        idx = np.flatnonzero(y == c)[:per_class]
        for j in range(per_class):
            ax = axes[c, j]
            ax.axis("off")
            if j < idx.size:
                ax.imshow(X[idx[j]], cmap="gray" if X.ndim == 3 else None)
        axes[c, 0].set_title(class_names[c], fontsize=7, loc="left")
    fig.tight_layout()
    return fig


def plot_layer_histograms(activations, title, bins=40, value_range=None, titles=None):
    """One histogram per layer of the values in each array.

    Inputs:
    - activations: list of L arrays (the outputs of layers 1..L)
    - value_range: (low, high) shared by every panel, so that a layer whose values
      collapse towards 0 shows a narrow spike instead of being rescaled to fill
      its panel; None lets each panel choose its own range
    - titles: one title per panel (default: the layer and the std of its values)
    """
    L = len(activations)
    cols = min(L, 5)                      # two rows of five for ten layers: readable labels
    rows = -(-L // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.5 * cols, 2.3 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel(), start=1):
        if i > L:
            ax.set_visible(False)
            continue
        h = activations[i - 1]
        ax.hist(np.ravel(h), bins=bins, range=value_range, color="C0", histtype="stepfilled")  # one patch: fast
        if value_range is not None:
            ax.set_xlim(value_range)
        ax.set_title(titles[i - 1] if titles else f"layer {i}: std {np.std(h):.2g}", fontsize=10)
        ax.tick_params(labelsize=9)
        ax.set_yticks([])
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def scale_explorer(draw, scales, initial):
    """A slider over `scales` that redraws `draw(scale)` in place of the figure above it.

    The figure at `initial` is an ordinary output, so it is saved with the
    notebook and shows when the notebook runs headless (nbconvert, validate);
    with a widget frontend, moving the slider replaces that same output, so
    there is never a stale copy next to the live one.

    Inputs:
    - draw: function scale -> draws a figure (the current matplotlib figure)
    - scales: the values the slider offers
    - initial: the value drawn first (must be in scales)

    Returns:
    - the slider widget, or None if ipywidgets is not installed
    """
    from IPython.display import display

    def render(scale):
        draw(scale)
        fig = plt.gcf()
        plt.close(fig)           # shown through the display handle only, not again at cell end
        return fig

    handle = display(render(initial), display_id=True)
    try:
        import ipywidgets as widgets
    except ImportError:
        return None
    slider = widgets.SelectionSlider(options=list(scales), value=initial, description="scale",
                                     continuous_update=False)
    slider.observe(lambda change: handle.update(render(change["new"])), names="value")
    display(slider)
    return slider


def plot_clouds(panels, title="preprocessing a 2-D data cloud"):
    """Scatter plots of 2-D data, one panel per entry, all with equal axes.

    Inputs:
    - panels: dict name -> array (N, 2)
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.3))
    for ax, (name, data) in zip(np.atleast_1d(axes), panels.items()):
        ax.scatter(data[:, 0], data[:, 1], s=3, alpha=0.4)
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(name, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_matrices(matrices, title=""):
    """Each 2-D array of `matrices` (dict name -> array) as an image with a colour bar."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 3.6))
    for ax, (name, m) in zip(np.atleast_1d(axes), matrices.items()):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-np.abs(m).max(), vmax=np.abs(m).max())
        ax.set_title(name, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_loss_gallery(curves, labels, window=10):
    """One small panel per training-loss curve, titled with its diagnosis.

    Inputs:
    - curves: dict name -> list of losses (NaN/inf allowed)
    - labels: dict name -> diagnosis string shown in the title
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(3.0 * len(curves), 2.8))
    for ax, (name, losses) in zip(np.atleast_1d(axes), curves.items()):
        losses = np.asarray(losses, dtype=np.float64)
        finite = np.where(np.isfinite(losses), losses, np.nan)
        ax.plot(finite, lw=0.6, alpha=0.5)
        if losses.size >= window and np.isfinite(losses).all():
            ax.plot(smooth(losses, window), lw=1.5)
        ax.set(title=f"{name}\n-> {labels[name]}", xlabel="iteration")
        ax.title.set_fontsize(9)
    np.atleast_1d(axes)[0].set_ylabel("training loss")
# --------------------------------------------------------------------------
# notebook 07: update rules and regularization

def plot_surface_paths(f, paths, extent, title, levels=30):
    """Paths of several update rules over the contours of a 2-D function.

    Inputs:
    - f: f(X, Y) -> Z, vectorized over grids
    - paths: dict rule name -> array (T, 2) of successive points
    - extent: (xmin, xmax, ymin, ymax)
    """
    xs = np.linspace(extent[0], extent[1], 200)
    ys = np.linspace(extent[2], extent[3], 200)
    X, Y = np.meshgrid(xs, ys)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.contour(X, Y, f(X, Y), levels=levels, cmap="Greys", linewidths=0.6)
    for name, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-o", ms=1.5, lw=1, label=f"{name} ({len(path) - 1} steps)")
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="w1", ylabel="w2", title=title)
    ax.legend(fontsize=7, loc="best")
# --- notebook 06: hyperparameter optimization -------------------------------

def plot_search_comparison(budgets, curves, ylabel="best objective found", title="random vs grid search"):
    """Mean best value found vs number of trials, one line per method.

    Inputs:
    - budgets: list of trial counts
    - curves: dict method -> (means, standard errors), one entry per budget
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for method, (means, errors) in curves.items():
        ax.errorbar(budgets, means, yerr=errors, marker="o", capsize=3, label=method)
    ax.set(xlabel="number of trials", ylabel=ylabel, title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_update_ratios(histories, guide=1e-3, window=10):
    """log10 of the update/weight ratio over training, one panel per run, one line per parameter.

    Inputs:
    - histories: dict run label -> dict parameter -> list of ratios per step
    - guide: the rule-of-thumb ratio drawn as a dashed line
    """
    fig, axes = plt.subplots(1, len(histories), figsize=(4.0 * len(histories), 3.0), sharey=True)
    for ax, (label, ratios) in zip(np.atleast_1d(axes), histories.items()):
        for name, values in ratios.items():
            values = np.asarray(values, dtype=np.float64)
            values = values[np.isfinite(values) & (values > 0)]
            if values.size:
                ax.plot(smooth(np.log10(values), window), label=name, lw=1)
        ax.axhline(np.log10(guide), color="k", ls="--", lw=0.8)
        ax.set(title=label, xlabel="iteration")
    np.atleast_1d(axes)[0].set_ylabel("log10(||update|| / ||w||)")
    np.atleast_1d(axes)[-1].legend(fontsize=8)
def plot_lines(curves, xlabel, ylabel, title, x=None, logx=False, logy=False, marker=None):
    """One line per entry of curves (dict name -> sequence), over x (default 0..T-1)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        xs = np.arange(values.size) if x is None else x
        ax.plot(xs, values, marker=marker, label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_train_val(results, title, xlabel=None):
    """Grouped bars of train and validation accuracy per setting.

    Inputs:
    - results: dict setting -> (train_accuracy, val_accuracy)
    """
    names = list(results)
    pos = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(6.5, 1.3 * len(names) + 1.5), 3.6))
    for offset, k, label in ((-0.2, 0, "train"), (0.2, 1, "validation")):
        bars = ax.bar(pos + offset, [results[n][k] for n in names], width=0.4, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(pos, [n.replace(" + ", "\n+ ") for n in names], fontsize=8)   # long names on two lines
    ax.set(ylabel="accuracy", title=title, ylim=(0, 1.1))
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))     # outside: hides no bar
    fig.tight_layout()
    return fig


def plot_search_scatter(passes, x="lr", y="reg", metric="val_acc", title="validation accuracy per trial"):
    """Trials of one or more search passes on log-log axes, coloured by the metric.

    Inputs:
    - passes: dict name -> list of trial dicts (hyperopt.random_search's output);
      trials whose status is not 'ok' are drawn as red crosses, one kind per pass
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    scatter = None
    for (name, trials), marker, cross in zip(passes.items(), "osD^v", "x+1234"):
        ok = [t for t in trials if t["status"] == "ok"]
        bad = [t for t in trials if t["status"] != "ok"]
        if ok:
            scatter = ax.scatter([t["config"][x] for t in ok], [t["config"][y] for t in ok],
                                 c=[t["result"][metric] for t in ok], cmap="viridis", marker=marker,
                                 vmin=0.1, vmax=0.9, edgecolors="k", linewidths=0.3, label=name)
        if bad:
            ax.scatter([t["config"][x] for t in bad], [t["config"][y] for t in bad], marker=cross, s=60,
                       color="red", label=f"{name}: aborted")
    ax.set(xscale="log", yscale="log", xlabel=x, ylabel=y, title=title)
    if scatter is not None:
        fig.colorbar(scatter, ax=ax, label=metric)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)   # below: hides no trial
    fig.tight_layout()
    return fig


def plot_epoch_curves(runs, marks=None, title="validation accuracy per epoch"):
    """Validation curves per epoch (left) and the learning rate used (right, log scale).

    Inputs:
    - runs: dict name -> dict with 'val_acc' and 'rates' lists (hyperopt.train_by_epoch's output)
    - marks: dict label -> epoch index, drawn as vertical lines on the left panel
    """
    fig, (ax, ax_lr) = plt.subplots(1, 2, figsize=(11, 3.6))
    for name, run in runs.items():
        ax.plot(np.arange(1, len(run["val_acc"]) + 1), run["val_acc"], marker=".", label=name)
        ax_lr.plot(np.arange(1, len(run["rates"]) + 1), run["rates"], marker=".", label=name)
    for (label, epoch), style in zip((marks or {}).items(), ("--", ":", "-.")):
        ax.axvline(epoch + 1, color="gray", linestyle=style, label=label)
    ax.set(xlabel="epoch", ylabel="validation accuracy", title=title)
    ax_lr.set(xlabel="epoch", ylabel="learning rate", yscale="log", title="learning rate used")
    ax.legend(fontsize=8)
    ax_lr.legend(fontsize=8)
    fig.tight_layout()
    return fig
