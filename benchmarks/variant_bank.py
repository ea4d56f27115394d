"""The variant bank (tests/bank) graded through the trusted grader, as whole submissions.

    python benchmarks/variant_bank.py [--functions-only]

Every one-bug variant is the reference package with one edit; every correct
variant another correct way of writing one function. Each is graded by
grading.judge.trusted (sandboxed workers, visible and hidden cases, a
student's own hidden inputs), its whole notebook (or, with
--functions-only, its function alone). Printed per notebook:

- named: the bug's function fails and its message has "Likely mistake:"
  with the words that name the bug;
- detected: the bug's function fails;
- cascade: another function of the notebook failed too (should be 0);
- correct: correct variants with full marks and no "Likely mistake".
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bank import BUGS, CORRECT, Bug, edited_source  # noqa: E402
from cs231n_lite.selfcheck import REGISTRY  # noqa: E402
from grading.judge.hidden import HiddenSource  # noqa: E402
from grading.judge.trusted import grade_function, grade_notebook  # noqa: E402

SECRET = b"variant-bank"
LIKELY = "Likely mistake: "


def package_with(entry, folder):
    """A copy of the reference package with the entry's edits, in folder; returns its path."""
    pkg = Path(folder) / "cs231n_lite"
    shutil.copytree(ROOT / "cs231n_lite", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (Path(folder) / entry.file).write_text(edited_source(entry))
    return pkg


def grade_entry(entry, student="bank", functions_only=False):
    """{grade_id: FunctionResult} of one bank entry's submission (its notebook, or its function)."""
    spec = REGISTRY[entry.function]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = package_with(entry, tmp)
        if functions_only:
            return {spec.grade_id: grade_function(spec, pkg, HiddenSource(SECRET, student))}
        return grade_notebook(spec.notebook, pkg, SECRET, student)


def verdict(entry, results):
    """(detected, named, cascade) of a bug; (full marks and no hint, _, cascade) of a correct variant."""
    own = results[REGISTRY[entry.function].grade_id]
    others = [r for gid, r in results.items() if gid != REGISTRY[entry.function].grade_id and not r.passed]
    if isinstance(entry, Bug):
        named = (not own.passed and LIKELY in own.message and entry.phrase is not None
                 and entry.phrase in own.message.split(LIKELY, 1)[1])
        return not own.passed, named, bool(others)
    return own.passed and LIKELY not in own.message, False, bool(others)


def run(entries=None, functions_only=False, log=print):
    """Grade the bank; returns {notebook: counts} and the list of unexpected outcomes."""
    entries = list(BUGS) + list(CORRECT) if entries is None else list(entries)
    counts = defaultdict(lambda: defaultdict(int))
    problems = []
    for k, entry in enumerate(entries):
        results = grade_entry(entry, student=f"s{k}", functions_only=functions_only)
        ok, named, cascade = verdict(entry, results)
        c = counts[REGISTRY[entry.function].notebook]
        own = results[REGISTRY[entry.function].grade_id]
        if isinstance(entry, Bug):
            c["bugs"] += 1
            c["detected"] += ok
            c["named"] += named
            if not named:
                problems.append(f"{entry.function} ({entry.description}): "
                                f"{'not detected' if not ok else 'not named'}: {own.message[:300]}")
        else:
            c["correct"] += 1
            c["correct_pass"] += ok
            if not ok:
                problems.append(f"{entry.function} ({entry.description}): a correct variant lost points or got a "
                                f"hint: {own.message[:300]}")
        c["cascade"] += cascade
        if cascade:
            failed = [gid for gid, r in results.items() if not r.passed and gid != REGISTRY[entry.function].grade_id]
            problems.append(f"{entry.function} ({entry.description}): also cost {failed}")
    return counts, problems


def table(counts):
    lines = [f"{'notebook':40} {'named':>7} {'detected':>9} {'bugs':>5} {'cascade':>8} {'correct':>9}"]
    total = defaultdict(int)
    for notebook in sorted(counts):
        c = counts[notebook]
        for key, value in c.items():
            total[key] += value
        lines.append(f"{notebook:40} {c['named']:>7} {c['detected']:>9} {c['bugs']:>5} {c['cascade']:>8} "
                     f"{c['correct_pass']:>4}/{c['correct']:<4}")
    lines.append(f"{'all':40} {total['named']:>7} {total['detected']:>9} {total['bugs']:>5} {total['cascade']:>8} "
                 f"{total['correct_pass']:>4}/{total['correct']:<4}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions-only", action="store_true", help="grade each entry's function alone")
    args = parser.parse_args()
    start = time.perf_counter()
    counts, problems = run(functions_only=args.functions_only)
    print(table(counts))
    for p in problems:
        print("  -", p)
    print(f"{len(BUGS)} one-bug and {len(CORRECT)} correct variants graded in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
