"""Self-check: the same tests the grader runs, on the visible fixtures.

    from cs231n_lite.selfcheck import check, check_all
    check("relu_forward")        # prints what is wrong, returns True/False
    check_all()                  # every graded function, one line each

Works anywhere (no nbgrader needed); the module under test is reloaded
first, so edits to cs231n_lite/*.py are picked up without restarting.
"""
import importlib

# importing a topic registers its tests, in notebook order (babysitting, hyperopt and
# optimization import the second module of their notebook: monitoring, search, regularization)
from . import activations, preprocessing, initialization, normalization  # noqa: F401  (notebooks 01-04)
from . import babysitting, search, hyperopt, optimization  # noqa: F401  (notebooks 05-07)
from .feedback import CheckFailed
from .registry import REGISTRY


def _function(spec):
    module = importlib.reload(importlib.import_module(f"cs231n_lite.{spec.module}"))
    return getattr(module, spec.name)


def check(name, case="visible", quiet=False):
    """Run the test of one graded function; print the verdict, return True if it passed."""
    if name not in REGISTRY:
        raise KeyError(f"no graded function {name!r}; known: {', '.join(sorted(REGISTRY))}")
    spec = REGISTRY[name]
    try:
        spec.test(_function(spec), case=case)
    except CheckFailed as exc:
        if not quiet:
            print(f"FAIL {exc}")
        return False
    if not quiet:
        print(f"PASS {name}: all {case} checks passed ({spec.points} point{'s' * (spec.points > 1)}).")
    return True


def notebook_named(name):
    """The notebook file a name refers to: '01_activation_functions(.ipynb)', 'activation_functions', '01' or 1.

    Raises ValueError, listing the notebooks, for a name that matches none.
    """
    notebooks = sorted({spec.notebook for spec in REGISTRY.values()})
    key = str(name).strip().lower().replace(" ", "_").removesuffix(".ipynb")
    if key.isdigit():
        key = f"{int(key):02d}"
    for nb in notebooks:
        stem = nb.removesuffix(".ipynb")
        number, _, title = stem.partition("_")
        if key in (stem, number, title):
            return nb
    raise ValueError(f"no notebook {name!r}; the graded notebooks are: " + ", ".join(notebooks))


def check_all(notebook=None):
    """Check every graded function (of one notebook, if given); returns {name: passed}.

    notebook: None for all, or any of '01_activation_functions',
    '01_activation_functions.ipynb', 'activation_functions', '01', 1.
    """
    wanted = None if notebook is None else notebook_named(notebook)
    results = {}
    for name, spec in REGISTRY.items():
        if wanted is None or spec.notebook == wanted:
            results[name] = check(name)
    passed = sum(results.values())
    print(f"{passed} of {len(results)} functions pass their visible checks.")
    return results


__all__ = ["check", "check_all", "CheckFailed", "REGISTRY"]
