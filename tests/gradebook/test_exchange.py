"""A term through nbgrader's exchange, with an instructor and a student who are real Unix users.

The instructor builds the course in their home and releases part1 to a
shared exchange folder (mode 0777, as nbgrader wants); the student lists,
fetches, fills the folder with the reference answers and submits; the
instructor collects, grades with the project's own command, grades the
written answers by hand through nbgrader's Gradebook (as Formgrader does),
writes the feedback and releases it; the student fetches it. Each user's
~/.jupyter/nbgrader_config.py names the exchange, as on a JupyterHub.
Nothing runs as root but the set-up (users, the exchange folder) and the
reading of files at the end.
"""
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import users
from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import ASSIGNMENT, COURSE_ID
from grading.release.layout import notebook_files

pytestmark = [pytest.mark.nbgrader,
              pytest.mark.skipif(bool(users.available()), reason=users.available() or "")]

# The student "works": every answer of the fetched folder becomes the reference's.
FILL_WITH_REFERENCE = ("import sys\nfrom grading.release.samples import fill_with_reference\n"
                       "fill_with_reference(sys.argv[1])\n")

# What Formgrader's grade handler does, for every written answer: a manual score, and the
# answer no longer waits. Full marks, but HAND_SCORE for the first (by notebook, grade id).
# Prints that answer and the gradebook's totals per notebook.
GRADE_BY_HAND = """
import json, sys
from nbgrader.api import Gradebook
db_url, course_id, assignment, student, hand_score = sys.argv[1:]
with Gradebook(db_url, course_id) as gb:
    written = [g for nb in gb.find_submission(assignment, student).notebooks for g in nb.grades
               if g.cell.cell_type == "markdown"]
    for i, grade in enumerate(sorted(written, key=lambda g: (g.notebook.name, g.name))):
        grade.manual_score = float(hand_score) if i == 0 else grade.max_score
        grade.needs_manual_grade = False
        if i == 0:
            first = (grade.notebook.name, grade.name)
    gb.db.commit()
    totals = {nb.name: [nb.score, nb.max_score] for nb in gb.find_submission(assignment, student).notebooks}
print(json.dumps({"hand_graded": first, "totals": totals}))
"""
HAND_SCORE = 1.5


def write_nbgrader_config(user, **settings):
    """~/.jupyter/nbgrader_config.py of a user (theirs), with `Class__trait=value` settings."""
    folder = user.home / ".jupyter"
    folder.mkdir(exist_ok=True)
    lines = ["c = get_config()  # noqa: F821"]
    lines += [f"c.{key.replace('__', '.')} = {value!r}" for key, value in settings.items()]
    (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    for path in (folder, folder / "nbgrader_config.py"):
        os.chown(path, user.uid, user.gid)


def tree_owners(folder):
    return {Path(dirpath, name).stat().st_uid for dirpath, dirnames, filenames in os.walk(folder)
            for name in dirnames + filenames}


class Steps:
    """Runs each step as its user; a failure names the step and shows the command's output tail."""

    def __init__(self):
        self.times = []

    def __call__(self, what, user, args, cwd=None, timeout=600):
        start = time.monotonic()
        proc = user.run(args, cwd=cwd, timeout=timeout)
        self.times.append((what, time.monotonic() - start))
        assert proc.returncode == 0, (f"step '{what}' failed (exit {proc.returncode}): "
                                      f"{' '.join(args)}\n--- stdout ---\n{proc.stdout[-1500:]}"
                                      f"\n--- stderr ---\n{proc.stderr[-3000:]}")
        return proc.stdout + proc.stderr

    def report(self):
        return ", ".join(f"{what} {seconds:.0f} s" for what, seconds in self.times)


def test_a_term_through_the_exchange_with_an_instructor_and_a_student():
    step = Steps()
    exchange = Path(tempfile.mkdtemp(prefix="cs231n-lite-exchange-"))
    os.chmod(exchange, 0o777)          # what nbgrader asks of Exchange.root: everyone writes there
    try:
        # the project's own interpreter: nbconvert's HTML export (feedback) needs the lock's Python
        with users.OrdinaryUser(own_python=True) as teacher, users.OrdinaryUser(own_python=True) as student:
            course = teacher.home / "course"
            write_nbgrader_config(teacher, Exchange__root=str(exchange), CourseDirectory__root=str(course))
            write_nbgrader_config(student, Exchange__root=str(exchange))
            student_id = student.name       # nbgrader names submissions by the Unix user

            step("instructor: build the course", teacher, ["-m", "grading", "release", "--course", str(course)])
            step("instructor: nbgrader release_assignment", teacher,
                 ["-m", "nbgrader", "release_assignment", ASSIGNMENT], cwd=course)
            listed = step("student: nbgrader list", student, ["-m", "nbgrader", "list"])
            assert f"{COURSE_ID} {ASSIGNMENT}" in listed, listed[-2000:]

            step("student: nbgrader fetch_assignment", student,
                 ["-m", "nbgrader", "fetch_assignment", ASSIGNMENT, "--course", COURSE_ID])
            work = student.home / ASSIGNMENT
            assert sorted(p.name for p in work.glob("*.ipynb")) == [nb.name for nb in notebook_files()]
            step("student: answer everything", student, ["-c", FILL_WITH_REFERENCE, str(work)])
            assert tree_owners(work) == {student.uid}
            step("student: nbgrader submit", student,
                 ["-m", "nbgrader", "submit", ASSIGNMENT, "--course", COURSE_ID])

            step("instructor: nbgrader collect", teacher, ["-m", "nbgrader", "collect", ASSIGNMENT], cwd=course)
            submitted = course / "submitted" / student_id / ASSIGNMENT
            assert (submitted / "timestamp.txt").is_file() and (submitted / "cs231n_lite" / "layers.py").is_file()
            step("instructor: make grade", teacher, ["-m", "grading", "autograde", "--course", str(course)])
            graded = json.loads(step("instructor: grade the written answers by hand", teacher,
                                     ["-c", GRADE_BY_HAND, f"sqlite:///{course}/gradebook.db", COURSE_ID,
                                      ASSIGNMENT, student_id, str(HAND_SCORE)]).splitlines()[-1])
            out = step("instructor: make feedback", teacher, ["-m", "grading", "feedback", "--course", str(course)])
            assert "not graded yet" not in out, out[-2000:]
            step("instructor: nbgrader release_feedback", teacher,
                 ["-m", "nbgrader", "release_feedback", ASSIGNMENT], cwd=course)

            step("student: nbgrader fetch_feedback", student,
                 ["-m", "nbgrader", "fetch_feedback", ASSIGNMENT, "--course", COURSE_ID])
            pages = sorted(work.glob("feedback/*/*.html"))
            assert [p.name for p in pages] == [nb.stem + ".html" for nb in notebook_files()], \
                sorted(str(p.relative_to(work)) for p in work.rglob("*") if "feedback" in p.parts)
            assert {p.stat().st_uid for p in pages} == {student.uid}
            check_pages(pages, graded)
    finally:
        shutil.rmtree(exchange, ignore_errors=True)
    print(f"\nexchange loop: {step.report()}")


def score(value):
    """A score as nbgrader's feedback template writes it (a float rounded to 2 places)."""
    return str(round(float(value), 2))


def check_pages(pages, graded):
    """Each page shows its notebook's total, every code test at full marks, the hand-entered score."""
    hand_nb, hand_id = graded["hand_graded"]
    for page in pages:
        html = page.read_text()
        total, maximum = graded["totals"][page.stem]
        assert f"{page.stem} (Score: {score(total)} / {score(maximum)})" in html, page.name
        tests = dict((grade_id, (got, of)) for grade_id, got, of in re.findall(
            r'<a href="#(test_\w+)">Test of <code>\w+</code></a> \(Score: ([\d.]+) / ([\d.]+)\)', html))
        expected = {spec.grade_id: (score(spec.points),) * 2 for spec in REGISTRY.values()
                    if spec.notebook == page.stem + ".ipynb"}
        assert tests and tests == expected, page.name
        assert "not graded yet" not in html.lower(), page.name
        if page.stem == hand_nb:
            entry = re.search(rf'<a href="#{re.escape(hand_id)}">[^<]*</a> \(Score: ([\d.]+) / ([\d.]+)\)', html)
            assert entry and entry.group(1) == score(HAND_SCORE), (hand_id, entry and entry.group(0))
            assert total == maximum - (float(entry.group(2)) - HAND_SCORE)
