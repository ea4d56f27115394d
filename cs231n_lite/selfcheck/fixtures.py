"""Test inputs and reference outputs, as dicts of float64 arrays.

Visible fixtures ship with the package (``selfcheck/fixtures/<topic>.npz``,
keys ``<function>/<field>``). Hidden ones do not exist as files: the grader
computes them per student and installs their source here with
``install_hidden``; this package never knows where hidden material comes
from, so a student's copy has nothing to find.
"""
from functools import lru_cache
from pathlib import Path

import numpy as np

VISIBLE_DIR = Path(__file__).resolve().parent / "fixtures"
NOT_IN_GRADER = ("hidden tests run only in the grader (no hidden input source is installed); "
                 "run the visible checks with case='visible'.")

_hidden_source = None


def install_hidden(source):
    """Set where hidden inputs come from; returns the previous source.

    Parameters
    ----------
    source : object or None
        Has ``fields(topic, function) -> dict[str, np.ndarray]`` and
        ``seed(function) -> int`` (the grader's ``grading.judge.hidden.HiddenSource``);
        None uninstalls.

    Returns
    -------
    object or None
        The source installed before, so that a caller can restore it.
    """
    global _hidden_source
    previous, _hidden_source = _hidden_source, source
    return previous


def _installed():
    if _hidden_source is None:
        raise RuntimeError(NOT_IN_GRADER)
    return _hidden_source


def hidden_seed(function):
    """The installed source's seed for ``function``'s hidden randomness.

    Raises
    ------
    RuntimeError
        If no hidden source is installed (outside the grader).
    """
    return int(_installed().seed(function))


@lru_cache(maxsize=None)
def _load_visible(topic):
    path = VISIBLE_DIR / f"{topic}.npz"
    if not path.exists():
        raise RuntimeError(f"test fixture {path} is missing; an instructor regenerates it with "
                           "`python grading/judge/make_fixtures.py`.")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _visible_fields(topic, function):
    prefix = function + "/"
    return {k[len(prefix):]: v for k, v in _load_visible(topic).items() if k.startswith(prefix)}


def load(topic, function, case="visible"):
    """Fields of ``function`` in ``topic``, as a dict of arrays (copies).

    Parameters
    ----------
    topic : str
        A fixture topic: 'activations', 'preprocessing', 'normalization',
        'hyperopt' or 'optimization' (one case builder each in
        grading/judge/cases/).
    function : str
        The graded function, e.g. 'relu_backward'.
    case : {'visible', 'hidden'}
        'visible' reads the committed fixture; 'hidden' asks the installed
        hidden source (only the grader installs one).

    Raises
    ------
    RuntimeError
        For 'hidden' without an installed source, or when there is no fixture.
    """
    if case == "visible":
        fields = _visible_fields(topic, function)
    elif case == "hidden":
        fields = _installed().fields(topic, function)
    else:
        raise ValueError(f"case must be 'visible' or 'hidden', got {case!r}")
    if not fields:
        raise RuntimeError(f"no {case} fixture for {function} in {topic}")
    # copies: a test (or the function under test) may modify its inputs in place
    return {k: np.array(v, copy=True) for k, v in fields.items()}


def case_seed(function, case, number=0):
    """Seed number ``number`` of a test's own random inputs.

    The visible case uses ``number`` itself (fixed, the same for everyone);
    the hidden case ``[hidden_seed(function), number]``, drawn per student.
    ``np.random.default_rng`` (and FullyConnectedNet's ``seed``) accept both,
    and different numbers give independent streams.
    """
    return number if case == "visible" else [hidden_seed(function), number]


def case_rng(function, case, number=0):
    """The Generator of ``case_seed(function, case, number)``."""
    return np.random.default_rng(case_seed(function, case, number))
