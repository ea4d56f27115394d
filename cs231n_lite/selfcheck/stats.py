"""Statistical checks shared by the tests of random functions (initializers, samplers, dropout).

Every statistic a test measures on a random output is accepted within Z
standard errors of its expected value. At Z = 5.5 a correct implementation
fails one statistic with probability 3.8e-8 (two-sided Gaussian tail), so a
whole test of fewer than 20 statistics fails correct code less than once in
a million runs, while every named mistake still lies many standard errors away.
"""
import numpy as np

from .feedback import CheckFailed

Z = 5.5


def near(measured, expected, standard_error):
    """Whether ``measured`` lies within Z standard errors of ``expected``."""
    return abs(measured - expected) <= Z * standard_error


def global_state_untouched(name, run, what="the rng argument"):
    """Run ``run()`` and fail if it drew from the global np.random state."""
    saved = np.random.get_state()
    try:
        np.random.seed(12345)
        run()
        after = np.random.get_state()
        np.random.seed(12345)
        untouched = np.random.get_state()
    finally:
        np.random.set_state(saved)
    if not (after[1] == untouched[1]).all() or after[2] != untouched[2]:
        raise CheckFailed(f"{name} used the global np.random state. Likely mistake: you called "
                          f"np.random.uniform/randint/choice/randn instead of {what}, so a seed does "
                          "not reproduce the result.")
