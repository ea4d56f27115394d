"""Reference outputs for the tests, stored as float64 .npz files.

Visible fixtures ship with the package (``selfcheck/fixtures/<topic>.npz``);
hidden ones stay with the instructor and are found through the environment
variable CS231N_LITE_HIDDEN_FIXTURES, which the grader sets (in the
instructor's repository they are also found beside the package). Keys are
``<function>/<field>``.
"""
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

VISIBLE_DIR = Path(__file__).resolve().parent / "fixtures"
HIDDEN_ENV = "CS231N_LITE_HIDDEN_FIXTURES"
INSTRUCTOR_HIDDEN_DIR = Path(__file__).resolve().parents[2] / "grading" / "hidden_fixtures"


def fixture_path(topic, case):
    """The .npz file holding ``case`` ('visible' or 'hidden') of ``topic``."""
    if case == "visible":
        return VISIBLE_DIR / f"{topic}.npz"
    if case == "hidden":
        root = os.environ.get(HIDDEN_ENV)
        if not root and INSTRUCTOR_HIDDEN_DIR.is_dir():
            root = INSTRUCTOR_HIDDEN_DIR
        if not root:
            raise RuntimeError(f"hidden tests run only in the grader ({HIDDEN_ENV} is not set).")
        return Path(root) / f"{topic}.npz"
    raise ValueError(f"case must be 'visible' or 'hidden', got {case!r}")


@lru_cache(maxsize=None)
def _load(path):
    if not path.exists():
        raise RuntimeError(f"test fixture {path} is missing; an instructor regenerates it with "
                           "`python grading/make_fixtures.py`.")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def load(topic, function, case="visible"):
    """Fields of ``function`` in the ``topic`` fixture, as a dict of arrays."""
    data = _load(fixture_path(topic, case))
    prefix = function + "/"
    fields = {k[len(prefix):]: v.copy() for k, v in data.items() if k.startswith(prefix)}
    if not fields:
        raise RuntimeError(f"no {case} fixture for {function} in {topic}.npz")
    return fields
