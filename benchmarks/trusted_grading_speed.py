"""Seconds to grade one complete submission's code with the trusted grader.

Grades the reference package (every graded function of the four notebooks,
visible and hidden tests, one sandboxed worker per function) for several
students and prints the median, without nbgrader around it. BLAS runs on
one thread in the grader and in every worker, so figures do not depend on
the machine's thread settings.
"""
import os
import statistics
import sys
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grading.judge.trusted import grade_submission as grade  # noqa: E402


def grade_submission(student):
    results = {}
    for verdicts in grade(ROOT / "cs231n_lite", b"benchmark", student).values():
        results.update(verdicts)
    return results


def main(students=5):
    seconds = []
    for i in range(students):
        start = time.perf_counter()
        results = grade_submission(f"student{i}")
        seconds.append(time.perf_counter() - start)
        assert all(r.passed for r in results.values()), "the reference must pass"
    slowest = max(results.values(), key=lambda r: r.seconds)
    print(f"trusted grading of one complete submission ({len(results)} functions, visible + hidden "
          f"tests): median {statistics.median(seconds):.2f} s over {students} students "
          f"(min {min(seconds):.2f}, max {max(seconds):.2f}); slowest function {slowest.name} "
          f"{slowest.seconds:.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
