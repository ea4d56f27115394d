"""Self-check: the same tests the grader runs, on the visible fixtures.

    from cs231n_lite.selfcheck import check, check_all
    check("relu_forward")        # prints what is wrong, returns True/False
    check("test_relu_forward")   # the grade id on the grade cell works too
    check_all()                  # every graded function, one line each

Works anywhere (no nbgrader needed). Each check imports the package's
modules afresh from their files (selfcheck/runner.py), so edits to
cs231n_lite/*.py are picked up without restarting, and a file that does not
parse or import fails the check with its name and line. Grade cells run
``grade(name)``, the same check raising CheckFailed.
"""
from . import activations, preprocessing, initialization, normalization  # notebooks 01-04
from . import babysitting, monitoring, search, hyperopt, optimization, schedules, regularization  # 05-07
from .feedback import CheckFailed
from .registry import REGISTRY, register

# The graded functions, in notebook order: one suite per topic (a notebook may have several).
SUITES = (activations.SUITE, preprocessing.SUITE, initialization.SUITE, normalization.SUITE,
          babysitting.SUITE, monitoring.SUITE, search.SUITE, hyperopt.SUITE,
          optimization.SUITE, schedules.SUITE, regularization.SUITE)
register(SUITES)
from .runner import check, check_all, grade, notebook_named  # noqa: F401

__all__ = ["check", "check_all", "grade", "CheckFailed", "REGISTRY"]
