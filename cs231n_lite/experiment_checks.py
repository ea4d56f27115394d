"""Visible checks of the experiments students write in the notebooks (not graded).

Each check prints PASS, or FAIL with what to change, and returns True on PASS.
The grader never runs them: they tell a student whether an experiment of
their own design answers its question (a bracketed optimum, a reached target,
a correct diagnosis).
"""
import numpy as np

from cs231n_lite.selfcheck.babysitting import check_lr_sweep  # noqa: E402,F401
from cs231n_lite.selfcheck.hyperopt import check_search_outcome  # noqa: E402,F401
from cs231n_lite.selfcheck.optimization import check_adam_lr_search  # noqa: E402,F401
