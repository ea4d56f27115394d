"""grades.csv, written by nbgrader's own export (the course's nbgrader_config.py names this plugin).

    c.ExportApp.plugin_class = "grading.gradebook.uploads.CourseExports"   (GradesCsv, then the upload files)

nbgrader's CSV columns, properly quoted, plus ``notes``; and one row for every
student with a submission folder, graded or not: a submission that could
not be graded or recorded still has its row, and the row says why (files
left out, a notebook graded from the release copy, the grader's failure,
a recording failure). ``make grade``, ``make export`` and plain ``nbgrader
export`` in the course folder all write this file.
"""
import csv
import json
import re
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from grading.gradebook.intake import note_lines
from grading.release.layout import PACKAGE, course

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "notes"]
# What nbgrader and every tool after it (a comma-joined exclude list, file names, web pages) can take.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def valid_student_id(student):
    return bool(STUDENT_ID.fullmatch(student))


def recording_failures(course_dir):
    """{student: why nbgrader could not record the verdicts}."""
    try:
        return json.loads(course(course_dir).recording_failures.read_text())
    except (OSError, ValueError):
        return {}


def folder_problem(course_dir, student):
    """Why a student's folder in submitted/ cannot be graded, with the fix; None if it can.

    Four mistakes of the hand-in are common: a folder name that cannot be
    a student id (a comma breaks nbgrader's exclude list, a space its
    command lines), the files put straight into submitted/<student>/
    (nbgrader wants submitted/<student>/<assignment>/), the notebooks
    handed in without the package the code is graded from, or the package
    without the notebooks that hold the grades.
    """
    layout = course(course_dir)
    rel = f"submitted/{student}/"
    if not (layout.submitted_root / student).is_dir():
        return None
    if not valid_student_id(student):
        return (f"not graded: {student!r} cannot be a student id (nbgrader, its exclude lists and the "
                f"feedback pages take letters, digits and . _ @ + - only, at most 64, starting with a "
                f"letter or digit); rename {rel} to the student's id and grade again")
    work = layout.submitted(student)
    if not work.is_dir():
        return (f"not graded: {rel} has no {layout.assignment}/ folder; move the submission's files into "
                f"{rel}{layout.assignment}/ and grade again")
    package = work / PACKAGE
    if not package.is_dir() or package.is_symlink():
        return (f"not graded: {rel}{layout.assignment}/ has no {PACKAGE}/ folder (the code is graded from "
                f"the student's package); put the student's whole folder, package included, there and "
                f"grade again")
    total = len(list(layout.release.glob("*.ipynb")))
    if total and len(missing_notebooks(course_dir, student)) == total:
        return (f"not graded: {rel}{layout.assignment}/ holds none of the assignment's {total} notebooks; "
                f"put the student's whole folder, notebooks included, there and grade again")
    return None


def missing_notebooks(course_dir, student):
    """The release's notebooks that the student's folder lacks (their tests and answers score 0)."""
    layout = course(course_dir)
    work = layout.submitted(student)
    return [p.name for p in sorted(layout.release.glob("*.ipynb"))
            if not ((work / p.name).exists() or (work / p.name).is_symlink())]


def student_notes(course_dir, student):
    """Everything the instructor should know about one student's grading, as sentences."""
    course_dir = Path(course_dir)
    lines = []
    problem = folder_problem(course_dir, student)
    missing = [] if problem else missing_notebooks(course_dir, student)
    if problem:
        lines.append(problem)
    elif missing:
        it = "it" if len(missing) == 1 else "them"
        lines.append(f"not handed in: {', '.join(missing)} (the tests and answers in {it} score 0); if the "
                     f"student did hand {it} in, put {it} in submitted/{student}/{course(course_dir).assignment}/ "
                     f"and grade again")
    verdict = course(course_dir).verdict(student)
    try:
        stored = json.loads(verdict.read_text())
    except (OSError, ValueError):
        stored = {}
    if stored.get("failed"):
        lines.append(f"code not graded: {stored['failed']}")
    busy = [gid for nb in stored.get("notebooks", {}).values() for gid, r in nb.items()
            if r.get("reason") == "overloaded"]
    if busy:
        lines.append(f"{len(busy)} test(s) stopped because the grading machine was too busy "
                     f"({', '.join(busy[:5])}): the next `make grade` grades them again")
    failure = recording_failures(course_dir).get(student)
    if failure:
        lines.append(f"not recorded by nbgrader: {failure}")
    return lines + note_lines(course_dir, student)


def submitted_students(course_dir, assignment):
    root = course(course_dir).submitted_root
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


class GradesCsv(ExportPlugin):
    """nbgrader's CSV export, quoted, with a notes column and a row for every submission folder."""

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        course_dir = Path(self.parent.coursedir.root) if getattr(self.parent, "coursedir", None) else Path(".")
        students = {s.id: s for s in gradebook.students}
        with open(dest, "w", newline="") as f:
            out = csv.DictWriter(f, COLUMNS)
            out.writeheader()
            for assignment in gradebook.assignments:
                if self.assignment and assignment.name not in self.assignment:
                    continue
                ids = sorted(set(students) | set(submitted_students(course_dir, assignment.name)))
                for student_id in ids:
                    if self.student and student_id not in self.student:
                        continue
                    out.writerow(self._row(gradebook, assignment, students.get(student_id), student_id,
                                           course_dir))
        self.log.info("Exported grades to %s", dest)

    def _row(self, gradebook, assignment, student, student_id, course_dir):
        row = {"assignment": assignment.name, "duedate": assignment.duedate or "", "student_id": student_id,
               "last_name": getattr(student, "last_name", None) or "",
               "first_name": getattr(student, "first_name", None) or "",
               "email": getattr(student, "email", None) or "", "max_score": assignment.max_score,
               "timestamp": "", "raw_score": "", "late_submission_penalty": "", "score": ""}
        notes = student_notes(course_dir, student_id)
        try:
            submission = gradebook.find_submission(assignment.name, student_id)
        except MissingEntry:
            if (course(course_dir).submitted_root / student_id).is_dir():
                notes = notes or ["not graded yet"]     # a folder problem is among the notes already
            else:
                row.update(raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                notes.append("no submission")
        else:
            penalty = submission.late_submission_penalty or 0.0
            row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                       late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
        row["notes"] = "; ".join(notes)
        return row
