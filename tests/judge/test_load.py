"""Load never costs a point (issue 22, item 3): limits count CPU seconds; a busy machine is retried.

Before: the limit was 30 s of wall time, and on a 2-core machine at load 10-17
a correct lsuv_init took 26-32 s, so of two byte-identical packages one scored
3/3 and the other 0/3 ("look for an endless loop").
"""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.judge import trusted
from grading.judge.hidden import HiddenSource
from grading.judge.trusted import grade_function, grade_submission

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-load-secret"


@pytest.mark.parametrize("outcomes, score, reason, runs", [
    ([("stopped", False, "overloaded", ""), ("", True, "", "")], 1, "", 2),
    ([("stopped", False, "overloaded", "")] * 2, 0, "overloaded", 2),
    ([("slow", False, "limit:time", "")], 0, "limit:time", 1),
])
def test_a_test_the_busy_machine_stopped_is_run_once_more(monkeypatch, outcomes, score, reason, runs):
    calls = []

    def run_test(*args):
        calls.append(args)
        return outcomes[len(calls) - 1]
    monkeypatch.setattr(trusted, "_run_test", run_test)
    result = grade_function(REGISTRY["relu_forward"], ROOT / "cs231n_lite", HiddenSource(SECRET, "ada"))
    assert (result.score, result.reason, len(calls)) == (score, reason, runs)


@pytest.mark.slow
def test_a_correct_submission_scores_the_same_on_a_machine_kept_busy():
    """Six busy-looping processes per core: every function still passes, none is 'overloaded'.

    Graded: the notebooks of the two slowest tests (lsuv_init, check_model_gradients), whose
    CPU seconds a wall-clock limit used to cut on a loaded machine; their 15 functions.
    """
    notebooks = sorted({REGISTRY[f].notebook for f in ("lsuv_init", "check_model_gradients")})
    idle = grade_submission(ROOT / "cs231n_lite", SECRET, "ada", notebooks=notebooks)
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(12)]
    try:
        time.sleep(1)
        start = time.monotonic()
        busy = grade_submission(ROOT / "cs231n_lite", SECRET, "ada", notebooks=notebooks)
        seconds = time.monotonic() - start
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    scores = lambda results: {g: r.score for nb in results.values() for g, r in nb.items()}  # noqa: E731
    assert scores(busy) == scores(idle) == {s.grade_id: s.points for s in REGISTRY.values()
                                            if s.notebook in notebooks}
    assert not [r for nb in busy.values() for r in nb.values() if r.reason]
    print(f"graded under 12 busy loops in {seconds:.0f} s")
