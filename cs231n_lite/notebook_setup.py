"""What the first cell of every notebook does (the cell is the same in all seven).

    # Setup: import *this folder's* cs231n_lite (your code), ...
    import os, sys; sys.path.insert(0, os.path.abspath("." if os.path.isdir("cs231n_lite") else ".."))
    from cs231n_lite.notebook_setup import *; RUN_TRAINING, QUICK = setup_notebook()

The first line finds the folder that holds `cs231n_lite/` (the notebook's own
folder in a course, its parent in the repository). The star import gives the
notebooks their names: numpy as `np`, `plt`, `tqdm`, the package's modules,
`report`, `check`, and `tests` (every graded function's visible test, as the
grade cells call them). Not graded: nothing here is tested by the grader.
"""
import os
import time
import types

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

import cs231n_lite
from cs231n_lite import (babysit, experiment_checks, hyperopt, init, layers, normalization, optim,
                         preprocess, regularization, vis)
from cs231n_lite.classifiers import FullyConnectedNet
from cs231n_lite.data import (DatasetError, corrupt_labels, flatten_scaled, load_cifar10, load_fashion_mnist_small,
                              sample_photo_patches)
from cs231n_lite.gradient_check import layer_gradient_errors, rel_error
from cs231n_lite.measure import check_experiment, first_below, pin_blas_threads, report, smooth
from cs231n_lite.selfcheck import REGISTRY, check, check_all
from cs231n_lite.solver import Solver

__all__ = ["np", "plt", "tqdm", "time", "cs231n_lite", "babysit", "experiment_checks", "hyperopt", "init",
           "layers", "normalization", "optim", "preprocess", "regularization", "vis", "FullyConnectedNet",
           "DatasetError", "corrupt_labels", "flatten_scaled", "load_cifar10", "load_fashion_mnist_small",
           "sample_photo_patches", "layer_gradient_errors", "rel_error", "check_experiment", "first_below",
           "report", "smooth", "check", "check_all", "Solver", "tests", "setup_notebook"]

# The grade cells call tests.test_<name>(module.<name>): one namespace holds every visible test.
tests = types.SimpleNamespace(**{f"test_{name}": spec.test for name, spec in REGISTRY.items()})

THREADS = 1


def quick_mode(environ=None):
    """(RUN_TRAINING, QUICK) for an environment (default: this process's).

    RUN_TRAINING is False under `nbgrader validate` (it sets NBGRADER_EXECUTION):
    the training experiments are then skipped. QUICK (fewer trials, seeds or
    epochs where a notebook offers it) is on with CS231N_LITE_QUICK=1, inside
    pytest (PYTEST_CURRENT_TEST) and whenever training is skipped.
    """
    env = os.environ if environ is None else environ
    run_training = not env.get("NBGRADER_EXECUTION")
    quick = bool(env.get("CS231N_LITE_QUICK") or env.get("PYTEST_CURRENT_TEST")) or not run_training
    return run_training, quick


def _package_root_is(folder):
    return os.path.dirname(os.path.dirname(os.path.abspath(cs231n_lite.__file__))) == os.path.abspath(folder)


def setup_notebook(dpi=80):
    """Prepare a notebook's kernel; returns (RUN_TRAINING, QUICK) (see quick_mode).

    - checks that the imported cs231n_lite is the one next to the notebook
      (your code), not another copy;
    - in IPython: reloads your edited modules before every cell (%autoreload 2)
      and draws figures inline;
    - limits numpy's BLAS/OpenMP thread pools to one thread: the measured
      numbers do not depend on the machine, and a busy shared machine does
      not slow the kernel down (in JupyterLab on a busy 2-core machine,
      notebook 07 took 21.8 minutes unpinned, 71 s pinned);
    - sets the figure resolution.
    """
    here = os.getcwd()
    expected = here if os.path.isdir(os.path.join(here, "cs231n_lite")) else os.path.dirname(here)
    if not _package_root_is(expected):
        raise ImportError(f"cs231n_lite was imported from {cs231n_lite.__file__}, not from {expected}: "
                          "restart the kernel in the folder that holds the notebooks and cs231n_lite/")
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        if "autoreload" not in shell.extension_manager.loaded:
            shell.run_line_magic("load_ext", "autoreload")
        shell.run_line_magic("autoreload", "2")
        shell.run_line_magic("matplotlib", "inline")
    pools = pin_blas_threads(THREADS)
    plt.rcParams["figure.dpi"] = dpi
    run_training, quick = quick_mode()
    mode = "" if run_training and not quick else (" | quick mode" if run_training else
                                                 " | training skipped (NBGRADER_EXECUTION)")
    print(f"using {cs231n_lite.__file__} | BLAS threads: {THREADS} ({pools} pools){mode}")
    return run_training, quick
