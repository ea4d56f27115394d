"""Grader semantics equal plain Python (issue 22, item 2): each function runs here locally and in a worker.

Before: after every callback the worker replaced a dict's arrays by fresh
copies, so a reference the student had saved no longer pointed into it (a
correct check_model_gradients that perturbs params in place and restores it
was told "params['W1'] changed"), and warnings raised in the worker never
reached the test (a naive sigmoid's overflow warning was lost).
"""
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from grading.judge.session import Session
from helpers import FAST, package

ROOT = Path(__file__).resolve().parents[2]

STUDENT = '''
from cs231n_lite.gradient_check import eval_numerical_gradient


def relu_forward(loss, params):
    """Perturb an entry through a saved reference, call back, restore through the reference."""
    w = params["W"]
    old = w[0, 0]
    w[0, 0] = old + 0.5
    up = loss(params)
    w[0, 0] = old
    return up, params["W"] is w, float(params["W"][0, 0])


def relu_backward(loss, params):
    """The package's own numerical gradient on an entry of params, the callback reading params."""
    grad = eval_numerical_gradient(lambda _: loss(params), params["W"])
    return grad, params["W"]


def leaky_relu_forward(fill, params):
    """A view handed to a callback that writes into it."""
    fill(params["W"][1])
    return params["W"]


def leaky_relu_backward(x):
    return np.exp(x)
'''


def loss(params):
    return float((params["W"] ** 2).sum())


def fill(row):
    row[:] = 7.0


@pytest.fixture
def pkg(tmp_path):
    folder = package(tmp_path, STUDENT)
    shutil.copy(ROOT / "cs231n_lite" / "gradient_check.py", folder / "gradient_check.py")
    return folder


@pytest.mark.parametrize("name, argument, check", [
    ("relu_forward", loss, lambda out, params: out == (pytest.approx(1.5 ** 2 + 2.0), True, 1.0)),
    ("relu_backward", loss,
     lambda out, params: np.allclose(out[0], 2 * params["W"], atol=1e-6) and np.array_equal(out[1], params["W"])),
    ("leaky_relu_forward", fill, lambda out, params: out[1].tolist() == [7.0, 7.0] and params["W"][1, 0] == 7.0),
])
def test_a_call_in_the_worker_behaves_as_the_same_call_here(pkg, name, argument, check):
    params = {"W": np.array([[1.0, 1.0], [1.0, 0.0]])}
    array = params["W"]
    with Session(pkg, "layers", name, limits=FAST) as s:
        out = s.function(argument, params)
    assert check(out, params), out
    assert params["W"] is array          # the caller's own array, written in place where it changed


def test_the_functions_warnings_reach_the_test_as_they_would_here(pkg):
    with Session(pkg, "layers", "leaky_relu_backward", limits=FAST) as s:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = s.function(np.array([1000.0]))
    assert np.isinf(out[0])
    assert [w.category for w in caught] == [RuntimeWarning] and "overflow" in str(caught[0].message)


def test_a_builtin_exception_comes_back_as_itself(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    raise ValueError('x must be 2-d')\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        with pytest.raises(ValueError, match="x must be 2-d"):
            s.function(np.zeros(2))
