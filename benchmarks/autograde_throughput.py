"""Seconds to auto-grade one submission (release, N copies of the reference, autograde)."""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from grading.classwide.grade import autograde  # noqa: E402
from grading.gradebook.grades import collect_scores  # noqa: E402
from grading.release.course import build_release  # noqa: E402
from grading.release.samples import VARIANTS, make_submissions  # noqa: E402


def main(copies=4):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build_release(tmp)
        built = time.perf_counter()
        make_submissions(tmp, {f"student{i}": VARIANTS["reference"] for i in range(copies)})
        graded_start = time.perf_counter()
        autograde(tmp)
        results = collect_scores(tmp)
        end = time.perf_counter()
    print(f"release build: {built - start:.1f} s")
    print(f"autograde + export of {len(results)} submissions: {end - graded_start:.1f} s "
          f"({(end - graded_start) / copies:.1f} s per submission; a class of 300: "
          f"~{(end - graded_start) / copies * 300 / 60:.0f} min)")


if __name__ == "__main__":
    main()
