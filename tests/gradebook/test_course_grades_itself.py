"""Plain `nbgrader autograde` in the course directory, Formgrader's API call and
`make grade` give the same grades: everything the grader needs is in the course."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grading.__main__ import main as grading_main
from grading.gradebook.grades import collect_scores
from grading.release.samples import VARIANTS, make_submissions
from helpers import copy_course

pytestmark = pytest.mark.nbgrader
STUDENTS = ("reference", "seeded_bug", "untouched")
BIN = str(Path(sys.executable).parent)


def code_scores(course):
    return {student: {s.grade_id: s.score for s in scores if s.kind == "code"}
            for student, scores in collect_scores(course).items()}


def bare_env():
    """What an instructor's shell has: no project variables, the environment's bin/ on PATH."""
    return {"PATH": BIN + os.pathsep + "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def course(release_template, tmp_path_factory):
    course = copy_course(release_template, tmp_path_factory.mktemp("selfgrading") / "course")
    make_submissions(course, {s: VARIANTS[s] for s in STUDENTS})
    return course


@pytest.fixture(scope="module")
def make_grade_scores(course):
    grading_main(["autograde", "--course", str(course)])
    return code_scores(course)


def test_make_grade_scores_as_designed(make_grade_scores):
    from cs231n_lite.selfcheck import REGISTRY
    assert sum(make_grade_scores["reference"].values()) == sum(s.points for s in REGISTRY.values())
    assert sum(make_grade_scores["untouched"].values()) == 0
    assert make_grade_scores["seeded_bug"]["test_relu_backward"] == 0


def forget_verdicts(course):
    """Make plain nbgrader compute every verdict itself (make grade stored them)."""
    import shutil
    shutil.rmtree(course / "instructor" / "verdicts", ignore_errors=True)


def test_plain_nbgrader_autograde_gives_the_same_grades(course, make_grade_scores):
    forget_verdicts(course)
    proc = subprocess.run([f"{BIN}/nbgrader", "autograde", "part1", "--force"], cwd=course,
                          env=bare_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert code_scores(course) == make_grade_scores


def test_formgraders_autograde_call_gives_the_same_grades(course, make_grade_scores):
    """Formgrader's Autograde button calls NbGraderAPI.autograde in the server's process."""
    forget_verdicts(course)
    script = ("from nbgrader.apps.api import NbGraderAPI\n"
              "from nbgrader.coursedir import CourseDirectory\n"
              "from traitlets.config import Config\n"
              "from nbgrader.apps.baseapp import NbGrader\n"
              "app = NbGrader()\napp.load_config_file()\n"
              "api = NbGraderAPI(CourseDirectory(config=app.config), config=app.config)\n"
              "import json, sys\n"
              "print(json.dumps([api.autograde('part1', s, force=True)['success'] for s in sys.argv[1:]]))\n")
    proc = subprocess.run([sys.executable, "-c", script, *STUDENTS], cwd=course, env=bare_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [True] * len(STUDENTS)
    assert code_scores(course) == make_grade_scores


def test_instructor_material_is_closed_to_others(course):
    instructor = course / "instructor"
    assert (instructor / "secret").exists() and (instructor / "lib" / "cs231n_lite" / "layers.py").exists()
    assert instructor.stat().st_mode & 0o077 == 0
    assert (instructor / "secret").stat().st_mode & 0o077 == 0
