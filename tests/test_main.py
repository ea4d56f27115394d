"""The instructor's command line: every mistake gets one line that says what to do, and leaves nothing behind."""
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cs231n_lite.selfcheck.registry import REGISTRY
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
    shutil.copytree(layout.release, layout.submitted_root / "cy,dee" / layout.assignment)  # not an id
    shutil.copytree(layout.release, layout.submitted("dan"), ignore=shutil.ignore_patterns("*.ipynb"))
    try:
        proc = grading("autograde", "--course", str(empty_course))
        assert proc.returncode == 0, proc.stderr[-2000:]
        warnings = [line for line in proc.stdout.splitlines() if line.startswith("warning:")]
        assert warnings == [
            "warning: ann: not graded: submitted/ann/ has no part1/ folder; move the submission's files "
            "into submitted/ann/part1/ and grade again",
            "warning: bob: not graded: submitted/bob/part1/ has no cs231n_lite/ folder (the code is graded "
            "from the student's package); put the student's whole folder, package included, there and "
            "grade again",
            "warning: cy,dee: not graded: 'cy,dee' cannot be a student id (nbgrader, its exclude lists and "
            "the feedback pages take letters, digits and . _ @ + - only, at most 64, starting with a letter "
            "or digit); rename submitted/cy,dee/ to the student's id and grade again",
            "warning: dan: not graded: submitted/dan/part1/ holds none of the assignment's 7 notebooks; put "
            "the student's whole folder, notebooks included, there and grade again"]
        assert "not graded: ann, bob, cy,dee, dan" in proc.stdout          # the table, with no grade at all
        assert not layout.autograded_root.exists()
        rows = {r["student_id"]: r for r in csv.DictReader(layout.grades_csv.open())}
        assert rows["ann"]["notes"] == warnings[0].removeprefix("warning: ann: ")
        assert rows["bob"]["score"] == "" and "no cs231n_lite/ folder" in rows["bob"]["notes"]
        assert rows["cy,dee"]["score"] == "" and "cannot be a student id" in rows["cy,dee"]["notes"]
    finally:
        shutil.rmtree(layout.submitted_root)


@pytest.mark.nbgrader
def test_a_missing_notebook_is_named_and_costs_its_own_tests_only(release_template, tmp_path):
    from grading.release.samples import VARIANTS, make_submission
    from cs231n_lite.selfcheck.registry import functions
    layout = course(copy_course(release_template, tmp_path / "course"))
    (make_submission(layout.root, "eve", VARIANTS["reference"]) / "03_weight_initialization.ipynb").unlink()
    proc = grading("autograde", "--course", str(layout.root))
    assert proc.returncode == 0, proc.stderr[-2000:]
    note = ("not handed in: 03_weight_initialization.ipynb (the tests and answers in it score 0); if the "
            "student did hand it in, put it in submitted/eve/part1/ and grade again")
    assert f"note: eve: {note}" in proc.stdout.splitlines()
    row = next(csv.DictReader(layout.grades_csv.open()))
    lost = sum(spec.points for spec in functions("03_weight_initialization"))
    assert lost > 0 and float(row["score"]) == sum(spec.points for spec in REGISTRY.values()) - lost
    assert row["notes"] == note


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
    monkeypatch.setattr(grade, "GradebookWriter", lambda *a, **k: type("W", (), {
        "close": lambda self: said.append("(recorded)"), "add": None, "pending": ["bob"], "running": None})())
    monkeypatch.setattr(grade, "export", lambda course_dir, log=None: said.append("(export ran)"))

    def compute(*args, **kw):
        said.append("(verdicts computed)")
    monkeypatch.setattr(grade, "compute_verdicts", compute)
    grade.autograde(tmp_path, phase=said.append)
    assert said == ["checking which submissions are new or changed ...",
                    "grading 2 submission(s): computing verdicts in the sandbox and recording them with "
                    "nbgrader autograde ...", "(verdicts computed)",
                    "recording the last verdicts in nbgrader's gradebook ...", "(recorded)",
                    "exporting grades with nbgrader export ...",
                    "(export ran)"]


@pytest.mark.nbgrader
def test_export_and_feedback_say_what_starts_first(empty_course):
    for command, first in (("export", "exporting grades with nbgrader export"),
                           ("feedback", "choosing the students whose written answers are all graded")):
        proc = grading(command, "--course", str(empty_course))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.splitlines()[0].startswith(first)


def test_a_course_holds_the_assignment_it_was_released_with(tmp_path):
    from grading.release.layout import CourseLayout, assignment_of
    assert assignment_of(tmp_path / "nothing") == "part1" == CourseLayout(tmp_path).assignment
    (tmp_path / "source" / "hw1").mkdir(parents=True)
    assert assignment_of(tmp_path) == "hw1"
    layout = CourseLayout(tmp_path)
    assert layout.release == tmp_path.resolve() / "release" / "hw1"
    assert layout.submitted("ann") == tmp_path.resolve() / "submitted" / "ann" / "hw1"


@pytest.mark.parametrize("name", ["a b", "../up", "-x", "part1/x", ""])
def test_an_assignment_name_that_cannot_name_a_folder_is_refused(tmp_path, name):
    proc = grading("release", "--course", str(tmp_path / "c"), "--assignment", name)
    assert proc.returncode == 2 and "--assignment" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.nbgrader
def test_another_assignment_in_a_built_course_is_refused_in_one_line(empty_course):
    before = sorted(p.relative_to(empty_course) for p in empty_course.rglob("*"))
    for command in ("release", "export", "feedback", "autograde"):
        line = one_line(grading(command, "--course", str(empty_course), "--assignment", "hw2"))
        assert line.startswith(f"{empty_course} holds assignment 'part1', not 'hw2'")
        assert line.endswith("python -m grading release --course <new folder> --assignment hw2")
    assert sorted(p.relative_to(empty_course) for p in empty_course.rglob("*")) == before
    proc = grading("export", "--course", str(empty_course), "--assignment", "part1")
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.nbgrader
def test_another_course_id_is_refused_in_one_line(empty_course, tmp_path):
    before = sorted(p.relative_to(empty_course) for p in empty_course.rglob("*"))
    for command in (["export"], ["feedback"], ["autograde"], ["collect-zip", str(tmp_path)]):
        line = one_line(grading(*command, "--course", str(empty_course), "--course-id", "cs231n-spring"))
        assert line == (f"{empty_course} is course 'cs231n-lite', not 'cs231n-spring': to rename it (and its "
                        f"folder in the exchange): python -m grading release --course {empty_course} "
                        f"--course-id cs231n-spring")
    assert sorted(p.relative_to(empty_course) for p in empty_course.rglob("*")) == before
    proc = grading("export", "--course", str(empty_course), "--course-id", "cs231n-lite")
    assert proc.returncode == 0, proc.stderr[-2000:]


def watched(*args):
    """Run a grading command, its stderr merged into its stdout, timing the silences.

    Returns (returncode, output, longest silence in seconds, and the output
    before it): a tqdm bar's redraws count as output, as on a terminal.
    """
    proc = subprocess.Popen([sys.executable, "-u", "-m", "grading", *args], cwd=ROOT, env=tool_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunks, last, longest = [], time.monotonic(), (0.0, "")
    while chunk := proc.stdout.read1(65536):
        now = time.monotonic()
        if now - last > longest[0]:
            longest = (now - last, b"".join(chunks)[-200:].decode(errors="replace"))
        chunks.append(chunk)
        last = now
    proc.wait(timeout=60)
    return proc.returncode, b"".join(chunks).decode(errors="replace"), *longest


@pytest.fixture(scope="module")
def hw1_course(tmp_path_factory):
    """A course released as `hw1`, one correct submission graded and its feedback written, each
    command watched (watched): {command: (returncode, output, longest silence, before it)}."""
    from grading.release.samples import VARIANTS, make_submission
    folder = tmp_path_factory.mktemp("hw1") / "course"
    runs = {"release": watched("release", "--course", str(folder), "--assignment", "hw1")}
    if runs["release"][0] == 0:
        make_submission(folder, "ann", VARIANTS["reference"])
        runs["autograde"] = watched("autograde", "--course", str(folder))
        runs["feedback"] = watched("feedback", "--course", str(folder), "--assignment", "hw1",
                                   "--include-ungraded")
    return folder, runs


@pytest.mark.nbgrader
def test_a_course_released_under_another_name_grades_under_it(hw1_course):
    """`--assignment hw1` at release; later commands find hw1 themselves (or are told it)."""
    folder, runs = hw1_course
    for command, (returncode, output, *_) in runs.items():
        assert returncode == 0, f"{command}: {output[-2000:]}"
    assert list(runs) == ["release", "autograde", "feedback"]
    layout = course(folder)
    assert layout.assignment == "hw1" and (folder / "release" / "hw1" / "01_activation_functions.ipynb").is_file()
    assert not (folder / "release" / "part1").exists()
    assert "'hw1': [" in layout.generated_config.read_text()      # exclude_overwriting names it
    assert (folder / "submitted" / "ann" / "hw1" / "cs231n_lite").is_dir()
    rows = list(csv.DictReader(layout.grades_csv.open()))
    full_code_marks = sum(spec.points for spec in REGISTRY.values())
    assert [(r["assignment"], r["student_id"], float(r["raw_score"])) for r in rows] == \
        [("hw1", "ann", float(full_code_marks))]
    assert len(list((folder / "feedback" / "ann" / "hw1").glob("*.html"))) == 7


# Progress is redrawn every 2 s (Bar.TICK); 10 s leaves room for a loaded machine.
LONGEST_SILENCE = 10.0


@pytest.mark.nbgrader
@pytest.mark.parametrize("command, counts", [
    ("release", "release notebooks: 100%|██████████| 7/7"),
    ("autograde", "recorded 7/7 notebooks"),
    ("feedback", "feedback pages: 100%|██████████| 7/7")])
def test_long_commands_are_never_silent_for_long(hw1_course, command, counts):
    returncode, output, silence, before = hw1_course[1][command]
    assert returncode == 0, output[-2000:]
    assert counts in output
    assert silence < LONGEST_SILENCE, f"{command} was silent for {silence:.1f} s after: {before!r}"


@pytest.mark.nbgrader
def test_a_dask_cluster_without_the_cluster_extra_is_one_line(empty_course, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(SystemExit) as stopped:
        main(["autograde", "--course", str(empty_course), "--scheduler", "tcp://127.0.0.1:8786"])
    assert str(stopped.value.code).startswith("--scheduler needs Dask's `distributed` (pyproject.toml's `cluster` extra")
