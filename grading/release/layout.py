"""Where everything in a course lives: one object, so no module spells a path.

A course directory is nbgrader's (``source/``, ``release/``, ``submitted/``,
``autograded/``, ``feedback/``, ``gradebook.db``) plus the instructor's own
folder, which no student file ever reaches::

    <course>/instructor/secret                  the key of the per-student hidden inputs
    <course>/instructor/verdicts/<student>.json the trusted grader's verdicts
    <course>/instructor/intake/<student>.json   files the intake refused, and why
    <course>/instructor/graded.json             what was graded (fingerprints, answers)
    <course>/instructor/recording-failures.json students nbgrader could not record
    <course>/instructor/zip-collect.jsonl       what the last LMS download's collection took
    <course>/instructor/similarity/<student>.json code fingerprints per module, keyed by file hash
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:       # the course tools import cs231n_lite from the repository
    sys.path.insert(0, str(ROOT))

COURSE_ID = "cs231n-lite"
ASSIGNMENT = "part1"
DEFAULT_COURSE_DIR = ROOT / "build" / "course"
PACKAGE = "cs231n_lite"
# nbgrader's own records of a hand-in, next to the notebooks: written by `nbgrader submit`, kept by
# `collect`; release_feedback reads both (the secret names the released page).
HAND_IN_RECORDS = ("timestamp.txt", "submission_secret.txt")


def notebook_files():
    """The assignment's notebooks, in lecture order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def assignment_of(course_dir):
    """The assignment a course directory holds: its one folder in source/, else ASSIGNMENT.

    A course directory holds one assignment of this suite: the trusted
    grader keeps one verdict per student, and the secret draws one set of
    hidden inputs per student, so a second assignment (a resit, another
    term's copy) gets its own course directory.
    """
    try:
        names = [p.name for p in (Path(course_dir) / "source").iterdir() if p.is_dir()]
    except OSError:
        return ASSIGNMENT
    return names[0] if len(names) == 1 else ASSIGNMENT


class CourseLayout:
    """The paths of one course directory and one assignment in it.

    Inputs:
    - course_dir: the course directory (made absolute, links resolved, as
      nbgrader sees it)
    - assignment: the assignment's name; by default the course's own
      (assignment_of), so a course released with ``--assignment`` is found
      by every later command without being told again
    """

    def __init__(self, course_dir, assignment=None):
        self.root = Path(course_dir).resolve()
        self.assignment = assignment or assignment_of(self.root)

    @classmethod
    def of_secret(cls, secret_file, assignment=None):
        """The course whose secret is ``secret_file`` (<course>/instructor/secret)."""
        return cls(Path(secret_file).resolve().parent.parent, assignment)

    # nbgrader's folders
    @property
    def source(self):
        return self.root / "source" / self.assignment

    @property
    def release(self):
        return self.root / "release" / self.assignment

    @property
    def submitted_root(self):
        return self.root / "submitted"

    def submitted(self, student):
        return self.submitted_root / student / self.assignment

    @property
    def autograded_root(self):
        return self.root / "autograded"

    def autograded(self, student):
        return self.autograded_root / student / self.assignment

    @property
    def feedback_root(self):
        return self.root / "feedback"

    @property
    def db_file(self):
        return self.root / "gradebook.db"

    @property
    def db_url(self):
        return f"sqlite:///{self.db_file}"

    @property
    def grades_csv(self):
        return self.root / "grades.csv"

    @property
    def downloaded(self):
        """nbgrader zip_collect's folder for an LMS download (archive/, extracted/)."""
        return self.root / "downloaded" / self.assignment

    @property
    def grades_by_test_csv(self):
        """One row per student, one column per grade id (code and written), totals, late penalty."""
        return self.root / "grades_by_test.csv"

    @property
    def grades_canvas_csv(self):
        """The total in the columns Canvas's gradebook import reads."""
        return self.root / "grades_canvas.csv"

    @property
    def config(self):
        """The instructor's nbgrader config (written once; it loads generated_config)."""
        return self.root / "nbgrader_config.py"

    @property
    def generated_config(self):
        """The config `python -m grading release` rewrites at every build."""
        return self.root / "nbgrader_config_generated.py"

    def is_built(self):
        """Whether a release was built here (a course the grading commands can work on)."""
        return self.config.is_file() and self.release.is_dir() and self.db_file.is_file()

    # the instructor's folder
    @property
    def instructor(self):
        return self.root / "instructor"

    @property
    def secret(self):
        return self.instructor / "secret"

    @property
    def verdicts_dir(self):
        return self.instructor / "verdicts"

    def verdict(self, student):
        return self.verdicts_dir / f"{student}.json"

    def intake_notes(self, student):
        return self.instructor / "intake" / f"{student}.json"

    @property
    def graded_record(self):
        return self.instructor / "graded.json"

    @property
    def collect_log(self):
        """What the last zip_collect took and skipped, one JSON object a line."""
        return self.instructor / "zip-collect.jsonl"

    @property
    def recording_failures(self):
        return self.instructor / "recording-failures.json"

    @property
    def similarity_cache(self):
        return self.instructor / "similarity"

    @property
    def report_dir(self):
        return self.root / "report"


def course(course_dir, assignment=None):
    """The layout of ``course_dir`` (shorthand for CourseLayout)."""
    return CourseLayout(course_dir, assignment)
