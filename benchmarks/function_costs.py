"""CPU seconds each graded function's test costs: in the grader and in its sandboxed worker.

    python benchmarks/function_costs.py [TOP]      (default: the 10 most expensive)

Grades the reference package function by function (visible and hidden
cases, one worker each, as the grader does) and prints, per function, the
grader's CPU seconds (the test, its reference outputs, encoding and
decoding, callbacks) and the worker's (the student's code, the imports),
most expensive first, and the totals over all 64.
"""
import os
import sys
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cs231n_lite.selfcheck import REGISTRY  # noqa: E402
from grading.judge.hidden import HiddenSource  # noqa: E402
from grading.judge.intake import read_tree  # noqa: E402
from grading.judge.trusted import grade_function  # noqa: E402
from grading.sandbox.host import Budget, SharedPackage  # noqa: E402


def main(top=10):
    source = HiddenSource(b"benchmark", "student0")
    rows = []
    with SharedPackage(read_tree(ROOT / "cs231n_lite", prefix="cs231n_lite").files) as package:
        for spec in REGISTRY.values():
            budget, start = Budget(), time.process_time()
            result = grade_function(spec, package, source, budget=budget)
            assert result.passed, result.message
            grader = time.process_time() - start
            rows.append((grader + budget.cpu, grader, budget.cpu, spec.name))
    rows.sort(reverse=True)
    print(f"{'function':28s} {'total':>7s} {'grader':>7s} {'worker':>7s}  (CPU seconds)")
    for total, grader, worker, name in rows[:top]:
        print(f"{name:28s} {total:7.3f} {grader:7.3f} {worker:7.3f}")
    print(f"{'all ' + str(len(rows)):28s} {sum(r[0] for r in rows):7.3f} {sum(r[1] for r in rows):7.3f} "
          f"{sum(r[2] for r in rows):7.3f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
