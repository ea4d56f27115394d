"""Grading a synthetic class with 1 and 2 local workers and a Dask local cluster.

    python benchmarks/class_grading.py [N]      (default N = 24 submissions)

The class cycles through the bank of sample variants (correct, seeded bugs,
untouched, several bugs). Each configuration grades the same class in a
fresh course (same secret) and prints submissions per minute for the
trusted verdicts (the parallel part) and for the whole run (verdicts plus
nbgrader's single writer), and the speed-up over one worker.
"""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from grading.autograde import autograde  # noqa: E402
from grading.course import build_release  # noqa: E402
from grading.samples import make_submissions  # noqa: E402
from variants import ONE_BUG  # noqa: E402
from grading.samples import VARIANTS  # noqa: E402

BANK = {**{k: VARIANTS[k] for k in ("reference", "untouched", "seeded_bug")}, **ONE_BUG}


def grade_class(n, secret, **engine):
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        build_release(course)
        (course / "instructor" / "secret").write_bytes(secret)
        names = list(BANK)
        make_submissions(course, {f"s{i:04d}": BANK[names[i % len(names)]] for i in range(n)})
        phases = {}
        import grading.parallel as parallel
        original = parallel.compute_verdicts

        def timed(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            phases["verdicts"] = time.perf_counter() - start
            return result
        parallel.compute_verdicts = timed
        try:
            start = time.perf_counter()
            autograde(course, **engine)
            phases["total"] = time.perf_counter() - start
        finally:
            parallel.compute_verdicts = original
    return phases


def main(n=24):
    secret = os.urandom(32).hex().encode() + b"\n"
    rows = []
    for label, engine in (("1 worker", {"workers": 1}), ("2 workers", {"workers": 2})):
        rows.append((label, grade_class(n, secret, **engine)))
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        rows.append(("Dask, 2 local workers", grade_class(n, secret, scheduler=cluster.scheduler_address)))
    base = rows[0][1]
    print(f"class of {n} submissions, 2 cores")
    for label, t in rows:
        print(f"{label:>22}: verdicts {n / t['verdicts'] * 60:5.1f}/min (speed-up "
              f"{base['verdicts'] / t['verdicts']:.2f}x), whole run {n / t['total'] * 60:5.1f}/min "
              f"({t['total']:.0f} s; nbgrader's writer {t['total'] - t['verdicts']:.0f} s)")
    best = rows[1][1]
    per_1000 = best["total"] / n * 1000 / 60
    print(f"a class of 1,000 on this machine with 2 workers: about {per_1000:.0f} min")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
