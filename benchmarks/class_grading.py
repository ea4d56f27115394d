"""Grading a synthetic class: the parallel speed-up, and a whole run on this machine.

    python benchmarks/class_grading.py [N] [M]    (defaults: N = 24, M = 40; M = 0 skips part 2)

1. Speed-up. A class of N submissions cycling through the bank of sample
   variants (correct, seeded bugs, untouched, several bugs) gets its
   trusted verdicts (the parallel part, grading/classwide/parallel.py) from 1 and 2
   local workers and from a Dask local cluster with 1 and 2 workers:
   submissions per minute and the speed-up over one worker (for Dask, over
   one pool worker and over one Dask worker: the engine's own scaling).
2. Whole run. M complete, correct submissions (every function's visible
   and hidden tests run: the slowest kind) are graded with `autograde`, 2
   workers: verdicts, nbgrader recording them in batches meanwhile
   (grading/gradebook/recorder.py) and the export. Submissions per minute, and the
   time this rate gives a class of 1,000.
Each configuration grades a fresh course with the same secret.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from grading.classwide.grade import autograde  # noqa: E402
from grading.gradebook.grades import submissions  # noqa: E402
from grading.release.course import build_release  # noqa: E402
from grading.classwide.parallel import compute_verdicts, local_cluster  # noqa: E402
from grading.release.samples import VARIANTS, make_submissions  # noqa: E402
from variants import ONE_BUG  # noqa: E402

BANK = {**{k: VARIANTS[k] for k in ("reference", "untouched", "seeded_bug")}, **ONE_BUG}


def new_course(tmp, secret, variants):
    course = Path(tmp) / "course"
    build_release(course)
    (course / "instructor" / "secret").write_bytes(secret)
    make_submissions(course, {f"s{i:04d}": v for i, v in enumerate(variants)})
    return course


def verdict_seconds(n, secret, **engine):
    """Seconds to compute the verdicts of a bank class of n (no recording)."""
    names = list(BANK)
    with tempfile.TemporaryDirectory() as tmp:
        course = new_course(tmp, secret, [BANK[names[i % len(names)]] for i in range(n)])
        start = time.perf_counter()
        compute_verdicts(course, submissions(course), secret, **engine)
        return time.perf_counter() - start


def whole_run_seconds(m, secret, workers=2):
    """Seconds for `autograde` of m complete submissions (verdicts, recording, export)."""
    with tempfile.TemporaryDirectory() as tmp:
        course = new_course(tmp, secret, [VARIANTS["reference"]] * m)
        start = time.perf_counter()
        assert len(autograde(course, workers=workers)) == m
        return time.perf_counter() - start


def main(n=24, m=40):
    secret = os.urandom(32).hex().encode() + b"\n"
    rows = [("1 worker", verdict_seconds(n, secret, workers=1)),
            ("2 workers", verdict_seconds(n, secret, workers=2))]
    for workers in (1, 2):
        with local_cluster(workers) as cluster:
            rows.append((f"Dask, {workers} local worker{'s' * (workers > 1)}",
                         verdict_seconds(n, secret, scheduler=cluster.scheduler_address)))
    print(f"verdicts for a class of {n} mixed submissions, {os.cpu_count()} cores "
          "(speed-up over 1 pool worker; for Dask also over 1 Dask worker)")
    for label, seconds in rows:
        own = f", {rows[2][1] / seconds:.2f} over 1 Dask worker" if label.startswith("Dask") else ""
        print(f"{label:>22}: {n / seconds * 60:5.1f} submissions/min, speed-up {rows[0][1] / seconds:.2f}{own}")
    if m == 0:
        return
    seconds = whole_run_seconds(m, secret)
    print(f"whole run, {m} complete submissions, 2 workers: {m / seconds * 60:.1f} submissions/min "
          f"({seconds:.0f} s); a class of 1,000 at this rate: {seconds / m * 1000 / 60:.0f} min")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
