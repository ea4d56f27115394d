"""The instructor's command line: every mistake gets one line that says what to do, and leaves nothing behind."""
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.__main__ import HELP, main
from grading.release.course import tool_env
from grading.release.layout import course

from helpers import copy_course

ROOT = Path(__file__).resolve().parent.parent


def grading(*args):
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, env=tool_env(),
                          capture_output=True, text=True, timeout=300)


def one_line(proc):
    """The single line a failed command wrote to stderr (fails on a traceback or several lines)."""
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["autograde", "export", "feedback", "report"])
@pytest.mark.parametrize("exists", [False, True], ids=["absent", "empty"])
def test_a_wrong_course_folder_is_named_with_the_fix(tmp_path, command, exists):
    folder = tmp_path / "typo"
    if exists:
        folder.mkdir()
    line = one_line(grading(command, "--course", str(folder)))
    assert line == f"no course at {folder}: run `python -m grading release --course {folder}` first"
    assert folder.exists() == exists and (not exists or not any(folder.iterdir()))


def test_every_command_has_a_one_line_description(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name, text in HELP.items():
        assert "\n" not in text and f"{name}" in out and text in " ".join(out.split())


@pytest.fixture(scope="module")
def empty_course(release_template, tmp_path_factory):
    return copy_course(release_template, tmp_path_factory.mktemp("cli") / "course")


@pytest.mark.nbgrader
def test_a_report_before_any_grade_says_so(empty_course):
    line = one_line(grading("report", "--course", str(empty_course)))
    assert line.startswith(f"no grades yet in {empty_course}: run `python -m grading autograde")
    assert not (empty_course / "report").exists()


@pytest.mark.nbgrader
def test_misplaced_folders_are_warned_about_and_listed_as_not_graded(empty_course):
    layout = course(empty_course)
    shutil.copytree(layout.release, layout.submitted_root / "ann")              # no part1/ level
    shutil.copytree(layout.release, layout.submitted("bob"), ignore=shutil.ignore_patterns("cs231n_lite"))
    try:
        proc = grading("autograde", "--course", str(empty_course))
        assert proc.returncode == 0, proc.stderr[-2000:]
        warnings = [line for line in proc.stdout.splitlines() if line.startswith("warning:")]
        assert warnings == [
            "warning: ann: not graded: submitted/ann/ has no part1/ folder; move the submission's files "
            "into submitted/ann/part1/ and grade again",
            "warning: bob: not graded: submitted/bob/part1/ has no cs231n_lite/ folder (the code is graded "
            "from the student's package); put the student's whole folder, package included, there and "
            "grade again"]
        assert "not graded: ann, bob" in proc.stdout          # the table, with no grade at all
        assert not layout.autograded_root.exists()
        rows = {r["student_id"]: r for r in csv.DictReader(layout.grades_csv.open())}
        assert rows["ann"]["notes"] == warnings[0].removeprefix("warning: ann: ")
        assert rows["bob"]["score"] == "" and "no cs231n_lite/ folder" in rows["bob"]["notes"]
    finally:
        shutil.rmtree(layout.submitted_root)


class Stop(Exception):
    """Raised by a stand-in for the slow step, to see what was said before it."""


def test_a_release_says_each_step_before_nbgrader_runs(tmp_path, monkeypatch):
    import grading.release.course as release_course
    said = []

    def generate_assignment(*args, **kw):
        raise Stop(list(said))
    monkeypatch.setattr(release_course, "run_nbgrader", generate_assignment)
    with pytest.raises(Stop) as stopped:
        release_course.build_release(tmp_path / "course", phase=said.append)
    assert stopped.value.args[0][-1] == "building the release with nbgrader generate_assignment ..."
    assert len(stopped.value.args[0]) == 3


def test_autograde_says_how_many_it_grades_before_computing(tmp_path, monkeypatch):
    import grading.classwide.grade as grade
    said = []
    monkeypatch.setattr(grade, "to_grade", lambda course_dir, regrade: ["ann", "bob"])
    monkeypatch.setattr(grade, "submissions", lambda course_dir: ["ann", "bob"])
    monkeypatch.setattr(grade, "read_secret", lambda path: b"k")
    monkeypatch.setattr(grade, "recording_hooks", lambda course_dir: (None, None))
    monkeypatch.setattr(grade, "GradebookWriter", lambda *a, **k: type("W", (), {"close": lambda self: None, "add": None})())
    monkeypatch.setattr(grade, "export", lambda course_dir, log=None: said.append("(export ran)"))

    def compute(*args, **kw):
        said.append("(verdicts computed)")
    monkeypatch.setattr(grade, "compute_verdicts", compute)
    grade.autograde(tmp_path, phase=said.append)
    assert said == ["checking which submissions are new or changed ...",
                    "grading 2 submission(s): computing verdicts in the sandbox and recording them with "
                    "nbgrader autograde ...", "(verdicts computed)", "exporting grades with nbgrader export ...",
                    "(export ran)"]


@pytest.mark.nbgrader
def test_export_and_feedback_say_what_starts_first(empty_course):
    for command, first in (("export", "exporting grades with nbgrader export"),
                           ("feedback", "choosing the students whose written answers are all graded")):
        proc = grading(command, "--course", str(empty_course))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.splitlines()[0].startswith(first)
