"""The instructor's settings, a course id and a due date survive `make release` and take effect.

One course, copied from the session's built one, is set up the way the
README tells an instructor to: a line in its nbgrader_config.py (the Canvas
column, the late penalty), a due date in nbgrader's gradebook, a course id
given at release. It is then released again, handed out through an
exchange folder, and two correct submissions are graded, one handed in
before the due date and one after.
"""
import csv
import subprocess
import sys

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import ROOT, tool_env
from grading.release.layout import course
from grading.release.samples import VARIANTS, make_submission

from helpers import copy_course

pytestmark = pytest.mark.nbgrader

DUE = "2026-01-15 12:00:00 UTC"
HANDED_IN = {"early": "2026-01-15 11:59:00.000000 UTC", "late": "2026-01-15 12:01:00.000000 UTC"}
INSTRUCTORS_LINES = ('c.CanvasGrades.column_title = "Part I (4242)"\n',
                     'c.LateSubmissionPlugin.penalty_method = "zero"\n')


def run(*command, cwd):
    proc = subprocess.run([sys.executable, "-m", *command], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{command}: {proc.stdout[-1000:]}{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def rebuilt(release_template, tmp_path_factory):
    """(layout, exchange folder) of the course set up, released again and graded (module doc)."""
    tmp = tmp_path_factory.mktemp("settings")
    layout = course(copy_course(release_template, tmp / "course"))
    with open(layout.config, "a") as f:
        f.writelines(INSTRUCTORS_LINES)
    # the README's way to set a due date: nbgrader's own command, in the course folder
    run("nbgrader", "db", "assignment", "add", "part1", f"--duedate={DUE}", cwd=layout.root)
    run("grading", "release", "--course", str(layout.root), "--course-id", "cs231n-spring", cwd=ROOT)
    exchange = tmp / "exchange"
    exchange.mkdir()
    run("nbgrader", "release_assignment", "part1", f"--Exchange.root={exchange}", cwd=layout.root)
    for student, when in HANDED_IN.items():
        folder = make_submission(layout.root, student, VARIANTS["reference"])
        (folder / "timestamp.txt").write_text(when)       # what nbgrader collect keeps of a submit
    # the later commands find the course id in the config (and check the one they are given)
    run("grading", "autograde", "--course", str(layout.root), "--course-id", "cs231n-spring", cwd=ROOT)
    return layout, exchange


def test_the_instructors_lines_survive_a_release_and_take_effect(rebuilt):
    layout, exchange = rebuilt
    text = layout.config.read_text()
    assert all(line in text for line in INSTRUCTORS_LINES)
    assert (exchange / "cs231n-spring" / "outbound" / "part1" / "01_activation_functions.ipynb").is_file()
    with open(layout.grades_canvas_csv, newline="") as f:
        assert next(csv.reader(f))[-1] == "Part I (4242)"        # and the generated setup still works:
    assert layout.grades_by_test_csv.exists()                   # its export plugin wrote this file


def test_a_due_date_survives_a_release_and_a_late_submission_scores_zero(rebuilt):
    layout, _ = rebuilt
    full = float(sum(spec.points for spec in REGISTRY.values()))    # code only: no answer graded yet
    rows = {r["student_id"]: r for r in csv.DictReader(layout.grades_csv.open())}
    assert {s: (r["duedate"][:19], float(r["raw_score"]), float(r["late_submission_penalty"]), float(r["score"]))
            for s, r in rows.items()} == {"early": ("2026-01-15 12:00:00", full, 0.0, full),
                                          "late": ("2026-01-15 12:00:00", full, full, 0.0)}
    by_test = {r["student_id"]: r for r in csv.DictReader(layout.grades_by_test_csv.open())}
    assert float(by_test["late"]["late_submission_penalty"]) == full
