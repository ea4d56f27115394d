"""Grade files an instructor uploads, written by nbgrader's export (export-plugin interface).

    nbgrader export                                          grades.csv, grades_by_test.csv, grades_canvas.csv
    PYTHONPATH=<course's lib> nbgrader export --exporter=grading.gradebook.uploads.GradesByTest --to FILE
    PYTHONPATH=<course's lib> nbgrader export --exporter=grading.gradebook.uploads.CanvasGrades --to FILE

(nbgrader imports an --exporter class before its config file puts the
course's copy of grading/ on sys.path, hence PYTHONPATH for one file alone.)

The course's nbgrader_config.py names CourseExports, so `make export`,
`python -m grading export` and plain `nbgrader export` in the course folder
write all three in one run (one nbgrader start, not three):

* ``grades_by_test.csv``: one row per student, one column per grade id (the
  code tests and the written answers, in notebook order), then the code and
  written totals, the raw score, the late penalty, the score and the notes.
  An answer not graded by hand yet is an empty cell, not a 0.
* ``grades_canvas.csv``: the columns Canvas's gradebook import requires
  (Student, ID, SIS User ID, SIS Login ID, Section) and one assignment
  column. Canvas matches rows on one of the id columns and the assignment on
  its title; both are the instructor's to set in nbgrader_config.py::

      c.CanvasGrades.column_title = "Part I (123456)"   # Canvas's title, its id in parentheses
      c.CanvasGrades.id_column = "SIS User ID"           # where the nbgrader student id goes

  A student without a score has an empty cell, which Canvas leaves as it was.
"""
import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Enum, Unicode

from grading.gradebook.export import GradesCsv, student_notes, submitted_students
from grading.release.layout import course

CANVAS_IDS = ("ID", "SIS User ID", "SIS Login ID")
CANVAS_COLUMNS = ["Student", *CANVAS_IDS, "Section"]
TOTALS = ["code_score", "written_score", "raw_score", "late_submission_penalty", "score", "max_score"]


def course_dir_of(plugin):
    """The course directory of the nbgrader app running a plugin (the current folder otherwise)."""
    coursedir = getattr(plugin.parent, "coursedir", None)
    return Path(coursedir.root) if coursedir is not None else Path(".")


def grade_columns(gradebook, assignment):
    """[(notebook, grade id, column name)] of every grade cell, in notebook and cell order.

    A grade id used in two notebooks is named notebook/grade_id (nbgrader
    only asks ids to be unique within a notebook).
    """
    cells = [(nb.name, cell.name) for nb in sorted(assignment.notebooks, key=lambda n: n.name)
             for cell in nb.grade_cells]
    names = [g for _, g in cells]
    return [(nb, g, g if names.count(g) == 1 else f"{nb}/{g}") for nb, g in cells]


def class_rows(plugin, gradebook):
    """(assignment, student id, nbgrader Student or None, SubmittedAssignment or None) for each row.

    Every student of the gradebook and every submission folder has a row
    (the same rows as grades.csv), honouring --assignment and --student.
    """
    course_dir = course_dir_of(plugin)
    students = {s.id: s for s in gradebook.students}
    for assignment in gradebook.assignments:
        if plugin.assignment and assignment.name not in plugin.assignment:
            continue
        for student_id in sorted(set(students) | set(submitted_students(course_dir, assignment.name))):
            if plugin.student and student_id not in plugin.student:
                continue
            try:
                submission = gradebook.find_submission(assignment.name, student_id)
            except MissingEntry:
                submission = None
            yield assignment, student_id, students.get(student_id), submission


def final_score(submission):
    """The score after the late penalty (never below 0)."""
    return max(0.0, submission.score - (submission.late_submission_penalty or 0.0))


class GradesByTest(ExportPlugin):
    """One row per student, one column per grade id, the totals and the late penalty."""

    def export(self, gradebook):
        dest = self.to or str(course(course_dir_of(self)).grades_by_test_csv)
        assignment = gradebook.find_assignment((self.assignment or [course(course_dir_of(self)).assignment])[0])
        columns = grade_columns(gradebook, assignment)
        with open(dest, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["student_id", *(name for _, _, name in columns), *TOTALS, "notes"])
            for row_assignment, student_id, _, submission in class_rows(self, gradebook):
                if row_assignment.name != assignment.name:
                    continue
                out.writerow([student_id, *self._cells(submission, columns),
                              "; ".join(student_notes(course_dir_of(self), student_id))])
        self.log.info("Exported grades by test to %s", dest)

    @staticmethod
    def _cells(submission, columns):
        if submission is None:
            return [""] * (len(columns) + len(TOTALS))
        grades = {(nb.name, g.name): g for nb in submission.notebooks for g in nb.grades}
        cells = []
        for nb, grade_id, _ in columns:
            grade = grades.get((nb, grade_id))
            cells.append("" if grade is None or grade.needs_manual_grade else grade.score)
        return cells + [submission.code_score, submission.written_score, submission.score,
                        submission.late_submission_penalty or 0.0, final_score(submission),
                        submission.max_score]


class CanvasGrades(ExportPlugin):
    """A CSV for Canvas's gradebook import: its required columns, then the assignment's score."""

    column_title = Unicode("", help="the Canvas assignment's title (\"Title (canvas id)\" matches on the "
                           "id); default: the nbgrader assignment name").tag(config=True)
    id_column = Enum(CANVAS_IDS, default_value="SIS Login ID",
                     help="the Canvas column that holds the nbgrader student id").tag(config=True)
    points_possible = Bool(False, help="add Canvas's 'Points Possible' row under the header").tag(config=True)

    def export(self, gradebook):
        dest = self.to or str(course(course_dir_of(self)).grades_canvas_csv)
        name = (self.assignment or [course(course_dir_of(self)).assignment])[0]
        assignment = gradebook.find_assignment(name)
        with open(dest, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow([*CANVAS_COLUMNS, self.column_title or name])
            if self.points_possible:
                out.writerow(["    Points Possible", "", "", "", "", assignment.max_score])
            for row_assignment, student_id, student, submission in class_rows(self, gradebook):
                if row_assignment.name != name:
                    continue
                ids = {column: student_id if column == self.id_column else "" for column in CANVAS_IDS}
                out.writerow([self._name(student, student_id), *ids.values(), "",
                              "" if submission is None else final_score(submission)])
        self.log.info("Exported Canvas grades to %s", dest)

    @staticmethod
    def _name(student, student_id):
        """Canvas's "Last, First" (the id when the gradebook has no name)."""
        last, first = getattr(student, "last_name", None), getattr(student, "first_name", None)
        return ", ".join(n for n in (last, first) if n) or student_id


class CourseExports(GradesCsv):
    """grades.csv (at --to, if given) and the two upload files at the course's paths, in one run."""

    def export(self, gradebook):
        super().export(gradebook)
        layout = course(course_dir_of(self))
        # `to` given here: --to on the command line sets every ExportPlugin's, and it names grades.csv
        for plugin, dest in ((GradesByTest, layout.grades_by_test_csv), (CanvasGrades, layout.grades_canvas_csv)):
            plugin(parent=self.parent, to=str(dest), assignment=self.assignment,
                   student=self.student).export(gradebook)
