"""Instructor commands.

    python -m grading release   [--course DIR] [--course-id ID] [--assignment NAME]
                                                 build the student release
    python -m grading samples   [--course DIR]   write the three sample submissions
    python -m grading autograde [--course DIR] [--regrade ID|all] [--workers N] [--scheduler tcp://...]
                                                 grade new and changed submissions, export grades
    python -m grading export    [--course DIR]   grades.csv, the upload files and the table, nothing graded
    python -m grading feedback  [--course DIR] [--student ID] [--include-ungraded]
                                                 feedback pages (students whose answers are all graded)
    python -m grading report    [--course DIR] [--threshold T] [--workers N]
                                                 class report: scores, pass rates, common mistakes, similar code
    python -m grading similarity [--course DIR] [--threshold T] [--workers N]
                                                 pairs of submissions with similar own code (a review aid)
    python -m grading collect-zip ZIP|DIR [--course DIR] [--regexp RE]
                                                 an LMS download into submitted/ (nbgrader zip_collect)
    python -m grading demo      [--course DIR]   all of the above in a fresh course, checked
    python -m grading workspace [--dest DIR]     a student copy of the release (self-study)
    python -m grading cells                      regenerate the notebooks' grade cells from the registry

Every command but `cells` takes --assignment NAME: the name `release` gives the
assignment (default part1); the others check it against the course's own (a
course directory holds one assignment, and every command finds it there).
The same for --course-id ID (default cs231n-lite), nbgrader's course id, but
in `workspace`: `release` and `demo` set it, the others check it.
"""
import argparse
import importlib.util
import re
import shutil
import sys
import threading
import time
from pathlib import Path

from grading.classwide.grade import autograde
from grading.gradebook.grades import collect_scores, export, format_table
from grading.release.course import (ASSIGNMENT, DEFAULT_COURSE_DIR, ROOT, another_assignment, another_course_id,
                                    build_release, course_id_of)
from grading.release.layout import COURSE_ID, CourseLayout
from grading.release.samples import DEFAULT_STUDENTS, VARIANTS, make_submissions

DEMO_COURSE_DIR = ROOT / "build" / "demo-course"
def course_id(text):
    """An nbgrader course id that can name the exchange's folder."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: letters, digits and . _ - only (it names a folder)")
    return text


def assignment_name(text):
    """An nbgrader assignment name: it names folders in the course, the exchange and the student's home."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: letters, digits, _ and - only (it names folders)")
    return text


def phase(line):
    """A line saying what starts now: no long step is silent (flushed, even into a pipe)."""
    print(line, flush=True)


class Bar:
    """A progress bar shown from its first count: bar(done, total); bar.note(text) beside it.

    Its clock is redrawn every TICK seconds, so a step that takes long between
    two counts (a submission's tests, nbgrader starting) still shows it is alive.
    """
    TICK = 2.0

    def __init__(self, desc, unit):
        self.desc, self.unit, self.bar = desc, unit, None
        self.closed = threading.Event()

    def __call__(self, done, total):
        if self.bar is None:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc=self.desc, unit=self.unit, mininterval=0.5)
            threading.Thread(target=self._tick, daemon=True).start()
        self.bar.update(done - self.bar.n)

    def _tick(self):
        while not self.closed.wait(self.TICK):
            self.bar.refresh()

    def say(self, line):
        """phase(line), printed above the bar while it is shown."""
        if self.bar is None:
            phase(line)
        else:
            self.bar.write(line)
            sys.stdout.flush()

    def note(self, text):
        if self.bar is not None:
            self.bar.set_postfix_str(text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed.set()
        if self.bar is not None:
            self.bar.close()


# One line per command, for --help.
HELP = {"release": "build the student release (and the course around it)",
        "samples": "write the three sample submissions into submitted/",
        "autograde": "grade new and changed submissions, then export the grades",
        "export": "write grades.csv and the upload files, print the grade table (nothing is graded)",
        "feedback": "write feedback pages for students whose answers are all graded",
        "report": "write the class report: scores, pass rates, common mistakes, similar code",
        "similarity": "rank pairs of submissions by the similarity of their own code (a review aid)",
        "demo": "build, submit, grade and check a fresh demo course",
        "workspace": "a student copy of the release, for self-study",
        "collect-zip": "collect an LMS download (Canvas zip or folder) into submitted/ with nbgrader zip_collect",
        "cells": "regenerate the notebooks' grade cells from the registry"}
# Commands that work on a built course (the others build one, or need none).
NEEDS_COURSE = ("samples", "autograde", "export", "feedback", "report", "similarity", "collect-zip")


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
    try:
        with Bar("release notebooks", "notebook") as bar:
            release = build_release(args.course, log=Path(args.course) / "nbgrader.log",
                                    course_id=getattr(args, "course_id", None), assignment=args.assignment,
                                    progress=bar, phase=bar.say)
    except ValueError as exc:       # a second assignment asked of this course: one line, nothing written
        sys.exit(str(exc))
    print(f"student release: {release}  (no solution, marker or hidden test found in it)")


def cmd_samples(args):
    for student, path in make_submissions(args.course).items():
        print(f"{student:>12}: {path}")


def cmd_autograde(args):
    course = Path(args.course)
    with Bar("grading submissions", "submission") as bar:
        graded = autograde(course, regrade=tuple(args.regrade or ()), log=course / "nbgrader.log",
                           workers=getattr(args, "workers", None), scheduler=getattr(args, "scheduler", None),
                           progress=bar, phase=bar.say,
                           recording=lambda done, total: bar.note(f"recorded {done}/{total} notebooks"))
    print(f"graded {len(graded)} new or changed submission(s)"
          + (f": {', '.join(graded)}" if graded and len(graded) <= 10 else ""))
    return cmd_export(args, export_first=False)


def cmd_export(args, export_first=True):
    course = Path(args.course)
    if export_first:
        phase("exporting grades with nbgrader export (grades.csv, grades_by_test.csv, grades_canvas.csv) ...")
        export(course, log=course / "nbgrader.log")
    results = collect_scores(course)
    from grading.gradebook.export import folder_problem, student_notes, submitted_students
    folders = submitted_students(course, CourseLayout(course).assignment)
    print(format_table(results, not_graded=[s for s in folders if s not in results]))
    for student in folders:
        problem = folder_problem(course, student)
        if problem:     # the instructor can fix this one now: said apart from the notes
            print(f"warning: {student}: {problem}")
        for line in student_notes(course, student):
            if line != problem:
                print(f"note: {student}: {line}")
    layout = CourseLayout(course)
    print(f"\ngrades: {layout.grades_csv}\nto upload: {layout.grades_by_test_csv} (per test), "
          f"{layout.grades_canvas_csv} (Canvas gradebook import)\n"
          f"feedback pages: python -m grading feedback --course {course}")
    return results


def cmd_collect_zip(args):
    from grading.gradebook.lms import collect_zip, summary
    course = Path(args.course)
    print(f"collecting {args.source} with nbgrader zip_collect ...", flush=True)
    try:
        students, unmatched = collect_zip(course, args.source, args.regexp, log=course / "nbgrader.log")
    except FileNotFoundError as exc:
        sys.exit(str(exc))
    for student, files in sorted(students.items()):
        print(f"{student}: took {len(files['took'])} file(s) into "
              f"{CourseLayout(course).submitted(student)}: {summary(files['took'])}")
        for file_id, why in files["skipped"]:
            print(f"  skipped {file_id}: {why}")
    for path, why in unmatched:
        print(f"not collected: {path}: {why}")
    print(f"{len(students)} student(s) collected; grade them with: python -m grading autograde --course {course}")


def _similarity_settings(args):
    from grading.classwide.similarity import Settings
    return Settings(threshold=args.threshold)


def cmd_report(args):
    from grading.classwide.report import write_report
    if not collect_scores(args.course):
        sys.exit(f"no grades yet in {args.course}: run `python -m grading autograde --course {args.course}` "
                 f"first")
    print(f"class report: {write_report(Path(args.course), _similarity_settings(args), args.workers)}")


def cmd_similarity(args):
    from grading.classwide.similarity_page import write_similarity
    from grading.release.layout import CourseLayout
    result = write_similarity(Path(args.course), _similarity_settings(args), args.workers)
    folder = CourseLayout(args.course).report_dir
    print(f"{len(result.pairs)} flagged pair(s) among {len(result.students)} submissions "
          f"({result.computed} module(s) fingerprinted, the rest from the cache)")
    for p in result.pairs[:10]:
        print(f"  {p.similarity:5.0%}  {p.student_a} / {p.student_b}  {p.module}")
    print(f"review aid (no score comes from it): {folder / 'similarity.html'}\n"
          f"csv: {folder / 'similarity.csv'}")


def cmd_feedback(args):
    from grading.gradebook.feedback import generate
    course = Path(args.course)
    phase("choosing the students whose written answers are all graded ...")
    with Bar("feedback pages", "page") as bar:
        done, skipped = generate(course, args.student or None, args.include_ungraded,
                                 log=course / "nbgrader.log", phase=phase, progress=bar)
    print(f"feedback written for {len(done)} student(s) in "
          f"{course / 'feedback'}/<student>/{CourseLayout(course).assignment}/")
    for student, reason in skipped.items():
        print(f"  skipped {student}: {reason} (grade them in Formgrader, or --include-ungraded)")


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
    from grading.gradebook.feedback import generate
    with Bar("feedback pages", "page") as bar:
        generate(course, include_ungraded=True, log=course / "nbgrader.log", phase=phase, progress=bar)
    problems = expectation_failures(results, {s: VARIANTS[s] for s in DEFAULT_STUDENTS})
    print(f"\ndone in {time.time() - start:.0f} s; the demo course is {course}: its feedback pages are "
          f"in {course / 'feedback'}, and Formgrader opens with `cd {course} && jupyter lab`")
    for p in problems:
        print("UNEXPECTED:", p)
    if problems:
        sys.exit(1)
    print("as designed: reference = full marks, untouched = 0 on every code test, "
          f"seeded_bug loses exactly {', '.join(VARIANTS['seeded_bug'].breaks)}")


def cmd_workspace(args):
    from grading.release.course import STUDENT_CONFIG_DIR
    assignment = args.assignment or ASSIGNMENT
    dest = Path(args.dest or ROOT / "workspace" / assignment)
    if dest.exists():
        sys.exit(f"{dest} already exists; your work there is kept. Remove it yourself to start over.")
    course = ROOT / "build" / "workspace-course"
    if CourseLayout(course).assignment != assignment:     # our scratch course, built for another name
        shutil.rmtree(course, ignore_errors=True)
    with Bar("release notebooks", "notebook") as bar:
        release = build_release(course, log=course / "nbgrader.log", assignment=assignment, phase=phase,
                                progress=bar)
    shutil.copytree(release, dest)
    config_dir = (dest / STUDENT_CONFIG_DIR).resolve()      # the release carries it
    default = Path(ROOT / "workspace" / ASSIGNMENT)
    make_lab = "make lab" if dest.resolve() == default else f"make lab WORKSPACE={dest}"
    print(f"your workspace: {dest}\nstart Jupyter there (student tools only):  {make_lab}\n"
          f"  (that is: JUPYTER_CONFIG_DIR={config_dir} .venv/bin/jupyter lab {dest})")


def cmd_cells(args):
    from grading.release.course import notebook_files
    from grading.release.gradecells import sync
    for nb in notebook_files():
        changed = sync(nb)
        print(f"{nb.name}: {len(changed)} grade cell(s) rewritten")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    parsers = {}
    for name, default in (("release", DEFAULT_COURSE_DIR), ("samples", DEFAULT_COURSE_DIR),
                          ("autograde", DEFAULT_COURSE_DIR), ("export", DEFAULT_COURSE_DIR),
                          ("feedback", DEFAULT_COURSE_DIR), ("report", DEFAULT_COURSE_DIR),
                          ("similarity", DEFAULT_COURSE_DIR), ("demo", DEMO_COURSE_DIR)):
        p = parsers[name] = sub.add_parser(name, help=HELP[name], description=HELP[name])
        p.add_argument("--course", default=str(default), help=f"course directory (default {default})")
    parsers["autograde"].add_argument("--regrade", action="append", metavar="ID",
                                      help="grade this student again even if unchanged ('all' for everyone)")
    parsers["autograde"].add_argument("--workers", type=int, default=None,
                                      help="parallel grading processes (default: the machine's cores)")
    parsers["autograde"].add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                                      help="grade on this Dask cluster instead of local processes")
    for name in ("report", "similarity"):
        parsers[name].add_argument("--threshold", type=float, default=0.5,
                                   help="flag pairs at or above this similarity, 0..1 (default 0.5)")
        parsers[name].add_argument("--workers", type=int, default=1,
                                   help="processes that fingerprint submissions (default 1)")
    parsers["demo"].set_defaults(regrade=None, workers=None, scheduler=None)
    parsers["feedback"].add_argument("--student", action="append", help="only this student (repeatable)")
    parsers["feedback"].add_argument("--include-ungraded", action="store_true",
                                     help="also students with written answers not graded yet")
    p = parsers["collect-zip"] = sub.add_parser("collect-zip", help=HELP["collect-zip"],
                                                description=HELP["collect-zip"])
    p.add_argument("source", help="the downloaded zip file, or a folder of files and zips")
    p.add_argument("--course", default=str(DEFAULT_COURSE_DIR), help=f"course directory (default {DEFAULT_COURSE_DIR})")
    p.add_argument("--regexp", default=None, help="file-name regexp with (?P<student_id>...) and (?P<file_id>...) "
                   "(default: Canvas's naming; also c.CanvasCollector.named_regexp)")
    sub.add_parser("cells", help=HELP["cells"], description=HELP["cells"])
    p = sub.add_parser("workspace", help=HELP["workspace"], description=HELP["workspace"])
    p.add_argument("--dest", default=None, help=f"where (default {ROOT / 'workspace'}/<assignment>)")
    parsers["workspace"] = p
    for name, p in parsers.items():
        p.add_argument("--assignment", default=None, metavar="NAME", type=assignment_name,
                       help=f"the assignment's name (default: the course's own; {ASSIGNMENT} in a new one)"
                       if name in ("release", "demo", "workspace") else
                       "the course's assignment (checked: a course directory holds one)")
        if name != "workspace":
            p.add_argument("--course-id", default=None, metavar="ID", type=course_id,
                           help=f"nbgrader's course id, the exchange's folder name (default: the course's own; "
                                f"{COURSE_ID} in a new one); kept in the course's nbgrader_config.py"
                           if name in ("release", "demo") else "the course's nbgrader course id (checked)")
    args = parser.parse_args(argv)
    if args.command in NEEDS_COURSE and not CourseLayout(args.course).is_built():
        # before anything runs: nbgrader and sqlite would create files in the wrong folder
        sys.exit(f"no course at {args.course}: run `python -m grading release --course {args.course}` first")
    if args.command in NEEDS_COURSE and args.assignment:
        held = CourseLayout(args.course).assignment
        if args.assignment != held:
            sys.exit(another_assignment(Path(args.course).resolve(), held, args.assignment))
    if args.command in NEEDS_COURSE and args.course_id:
        held = course_id_of(args.course)
        if args.course_id != held:
            sys.exit(another_course_id(Path(args.course).resolve(), held, args.course_id))
    if getattr(args, "scheduler", None) and importlib.util.find_spec("distributed") is None:
        sys.exit("--scheduler needs Dask's `distributed` (pyproject.toml's `cluster` extra, which `make` "
                 "installs): pip install -c requirements.lock distributed")
    from grading.sandbox.errors import SandboxUnavailable
    try:
        run(args)
    except SandboxUnavailable as exc:       # the machine's trouble, said in one line, not a traceback
        sys.exit(f"cannot grade: {exc}")


def run(args):
    {"release": cmd_release, "samples": cmd_samples, "autograde": cmd_autograde,
     "demo": cmd_demo, "workspace": cmd_workspace, "cells": cmd_cells,
     "export": cmd_export, "feedback": cmd_feedback, "report": cmd_report,
     "collect-zip": cmd_collect_zip, "similarity": cmd_similarity}[args.command](args)


if __name__ == "__main__":
    main()
