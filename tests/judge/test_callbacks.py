"""Callbacks run under the worker's limits, and a submission under its budget (issue 20, item 5).

Before: a callback ran in the grader with no limit at all (one kept the grader
busy 52 s past the test's 30 s), and a submission whose functions all hit their
limits held the grader for 64 x 30 s.
"""
import resource
import time

import numpy as np
import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.judge.hidden import HiddenSource
from grading.judge.session import Session
from grading.judge.trusted import grade_function
from grading.sandbox.errors import SandboxFailure
from grading.sandbox.limits import Budget, Limits
from helpers import package

CALLER = "def relu_forward(f, n):\n    return f(n)\n"


def endless(n):
    while True:
        n += 1


def allocate(n):
    return float(np.ones(n).sum())


def test_a_callback_is_stopped_when_the_tests_cpu_seconds_run_out(tmp_path):
    """CPU seconds, not wall seconds: a busy machine does not make it stop sooner."""
    pkg = package(tmp_path, CALLER)
    start = time.monotonic()
    with Session(pkg, "layers", "relu_forward", limits=Limits(wall=60.0, cpu=1, startup=10.0)) as s:
        with pytest.raises(SandboxFailure, match="did not finish within the time limit"):
            s.function(endless, 0)
        assert s.reason == "limit:time"
    assert time.monotonic() - start < 40


def test_a_callback_gets_the_workers_address_space_and_no_more(tmp_path):
    pkg = package(tmp_path, CALLER)
    limit_before = resource.getrlimit(resource.RLIMIT_AS)
    limits = Limits(wall=20.0, startup=10.0, memory=512 * 2 ** 20)
    with Session(pkg, "layers", "relu_forward", limits=limits) as s:
        assert s.function(allocate, 1000) == 1000.0
        with pytest.raises(Exception) as info:
            s.function(allocate, 2 * 2 ** 27)         # 2 GiB in the grader: refused there
    assert "MemoryError" in type(info.value).__name__
    assert resource.getrlimit(resource.RLIMIT_AS) == limit_before
    assert allocate(2 ** 26) == 2 ** 26               # and the grader itself is unhindered afterwards


BURN = ("import time\n"
        "def relu_forward(x):\n    end = time.process_time() + 2.5\n"
        "    while time.process_time() < end:\n        pass\n    return x\n"
        "def relu_backward(dout, cache):\n    return dout\n")


def test_a_submission_that_spent_its_budget_is_not_run_any_further(tmp_path):
    pkg = package(tmp_path, BURN)
    budget, source = Budget(cpu=2.0, wall=600.0), HiddenSource(b"budget", "ada")
    first = grade_function(REGISTRY["relu_forward"], pkg, source, Limits(wall=20.0), budget)
    assert first.score == 0 and budget.cpu >= 1.5       # the worker's CPU seconds were charged
    start = time.monotonic()
    second = grade_function(REGISTRY["relu_backward"], pkg, source, Limits(wall=20.0), budget)
    assert second.score == 0 and "used up its grading budget of 2 CPU seconds" in second.message
    assert time.monotonic() - start < 0.5             # not run at all


def test_a_giant_return_value_costs_its_own_test_only(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    return [0.5] * 20_000_000\n")
    start = time.monotonic()
    with Session(pkg, "layers", "relu_forward", limits=Limits(wall=5.0, startup=10.0)) as s:
        with pytest.raises(SandboxFailure):
            s.function(np.zeros(2))
    assert time.monotonic() - start < 15
