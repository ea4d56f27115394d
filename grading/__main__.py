"""Instructor commands.

    python -m grading release   [--course DIR]   build the student release
    python -m grading samples   [--course DIR]   write the three sample submissions
    python -m grading autograde [--course DIR]   grade submitted/*, export grades + feedback
    python -m grading demo      [--course DIR]   all of the above in a fresh course, checked
    python -m grading workspace [--dest DIR]     a student copy of the release (self-study)
    python -m grading cells                      regenerate the notebooks' grade cells from the registry
"""
import argparse
import shutil
import sys
import time
from pathlib import Path

from grading.autograde import autograde, format_table
from grading.course import ASSIGNMENT, DEFAULT_COURSE_DIR, ROOT, build_release
from grading.samples import DEFAULT_STUDENTS, VARIANTS, make_submissions

DEMO_COURSE_DIR = ROOT / "build" / "demo-course"


def expectation_failures(results, variants):
    """What differs from each sample's expected grades (empty when all is as designed)."""
    problems = []
    for student, variant in variants.items():
        scores = [s for s in results[student] if s.kind == "code"]
        for s in scores:
            should_fail = variant.base == "untouched" or s.grade_id in variant.breaks
            expected = 0.0 if should_fail else s.points
            if s.score != expected:
                problems.append(f"{student}: {s.grade_id} scored {s.score:g}, expected {expected:g} "
                                f"({variant.description})")
    return problems


def cmd_release(args):
    release = build_release(args.course, log=Path(args.course) / "nbgrader.log")
    print(f"student release: {release}  (no solution, marker or hidden test found in it)")


def cmd_samples(args):
    for student, path in make_submissions(args.course).items():
        print(f"{student:>12}: {path}")


def cmd_autograde(args):
    course = Path(args.course)
    results = autograde(course, log=course / "nbgrader.log")
    print(format_table(results))
    print(f"\ngrades: {course / 'grades.csv'}\nfeedback: {course / 'feedback'}/<student>/{ASSIGNMENT}/")
    return results


def cmd_demo(args):
    course = Path(args.course)
    if course.exists():
        shutil.rmtree(course)
    start = time.time()
    print("1/3 building the student release ...", flush=True)
    cmd_release(args)
    print("2/3 writing sample submissions ...", flush=True)
    cmd_samples(args)
    print("3/3 auto-grading (hidden tests included) ...", flush=True)
    results = cmd_autograde(args)
    problems = expectation_failures(results, {s: VARIANTS[s] for s in DEFAULT_STUDENTS})
    print(f"\ndone in {time.time() - start:.0f} s")
    for p in problems:
        print("UNEXPECTED:", p)
    if problems:
        sys.exit(1)
    print("as designed: reference = full marks, untouched = 0 on every code test, "
          f"seeded_bug loses exactly {', '.join(VARIANTS['seeded_bug'].breaks)}")


def cmd_workspace(args):
    dest = Path(args.dest)
    if dest.exists():
        sys.exit(f"{dest} already exists; your work there is kept. Remove it yourself to start over.")
    course = ROOT / "build" / "workspace-course"
    release = build_release(course, log=course / "nbgrader.log")
    shutil.copytree(release, dest)
    print(f"your workspace: {dest}\nstart Jupyter there:  .venv/bin/jupyter lab {dest}")


def cmd_cells(args):
    from grading.course import notebook_files
    from grading.gradecells import sync
    for nb in notebook_files():
        changed = sync(nb)
        print(f"{nb.name}: {len(changed)} grade cell(s) rewritten")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, default in (("release", DEFAULT_COURSE_DIR), ("samples", DEFAULT_COURSE_DIR),
                          ("autograde", DEFAULT_COURSE_DIR), ("demo", DEMO_COURSE_DIR)):
        p = sub.add_parser(name)
        p.add_argument("--course", default=str(default), help=f"course directory (default {default})")
    sub.add_parser("cells")
    p = sub.add_parser("workspace")
    p.add_argument("--dest", default=str(ROOT / "workspace" / ASSIGNMENT))
    args = parser.parse_args(argv)
    {"release": cmd_release, "samples": cmd_samples, "autograde": cmd_autograde,
     "demo": cmd_demo, "workspace": cmd_workspace, "cells": cmd_cells}[args.command](args)


if __name__ == "__main__":
    main()
