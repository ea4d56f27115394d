"""A Canvas download, collected by nbgrader's zip_collect into submitted/<student>/part1/ (grading/gradebook/lms.py)."""
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grading.gradebook.lms import CANVAS_REGEXP, CanvasCollector
from grading.release.course import tool_env
from grading.release.layout import course

from helpers import copy_course

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path,expected", [
    ("x/extracted/s/doejane_12345_67890_part1/part1/cs231n_lite/layers.py", ("12345", "cs231n_lite/layers.py")),
    ("x/extracted/s/doejane_12345_67890_hw/cs231n_lite/layers.py", ("12345", "cs231n_lite/layers.py")),
    ("x/extracted/s/doejane_12345_67890_hw/my work/01_a.ipynb", ("12345", "01_a.ipynb")),
    ("x/extracted/s/roefred_LATE_23456_78901_01_activation_functions.ipynb",
     ("23456", "01_activation_functions.ipynb")),
    ("x/extracted/s/readme.txt", None),
])
def test_canvas_names_give_the_student_and_keep_the_sub_path(path, expected):
    match = re.match(CANVAS_REGEXP, "/tmp/" + path)
    assert (match and (match["student_id"], match["file_id"])) == expected


def test_another_naming_is_one_setting_and_leftovers_are_skipped():
    collector = CanvasCollector(named_regexp=r".*/(?P<student_id>[a-z]+)--(?P<file_id>.+)$")
    assert collector.collect("/d/extracted/ann--cs231n_lite/layers.py") == {"student_id": "ann",
                                                                            "file_id": "cs231n_lite/layers.py"}
    assert collector.collect("/d/extracted/ann--cs231n_lite/__pycache__/layers.cpython-311.pyc") is None
    assert collector.collect("/d/extracted/ann--.ipynb_checkpoints/01_a-checkpoint.ipynb") is None
    assert collector.collect("/d/extracted/ann--notes.pdf") is None
    assert collector.collect("/d/extracted/doejane_1_2_01_a.ipynb") is None        # not this naming


def canvas_download(release, dest):
    """submissions.zip as Canvas gives it: one student's uploaded zip of the folder, one loose notebook."""
    upload = dest / "doejane_12345_67890_part1.zip"
    with zipfile.ZipFile(upload, "w") as z:
        for path in sorted(release.rglob("*")):
            if path.is_file():
                z.write(path, f"part1/{path.relative_to(release)}")
        z.writestr("part1/.ipynb_checkpoints/01_activation_functions-checkpoint.ipynb", "{}")
        z.writestr("part1/cs231n_lite/__pycache__/layers.cpython-311.pyc", "x")
        z.writestr("part1/notes.pdf", "x")
    download = dest / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.write(upload, upload.name)
        z.write(release / "01_activation_functions.ipynb", "roefred_LATE_23456_78901_01_activation_functions.ipynb")
        z.writestr("readme.txt", "not a submission")
    return download


@pytest.mark.nbgrader
def test_collect_zip_takes_the_whole_package_and_says_what_it_skipped(release_template, tmp_path):
    course_copy = copy_course(release_template, tmp_path / "course")
    layout = course(course_copy)
    download = canvas_download(layout.release, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "grading", "collect-zip", str(download), "--course",
                           str(course_copy)], cwd=ROOT, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = lambda folder: sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files(layout.submitted("12345")) == files(layout.release)          # the package included
    assert files(layout.submitted("23456")) == ["01_activation_functions.ipynb"]
    out = proc.stdout.splitlines()
    took = [line for line in out if line.startswith("12345: took ")][0]
    assert f"took {len(files(layout.release))} file(s)" in took and "cs231n_lite/ (" in took
    skipped = {line.split(":")[0].strip() for line in out if line.startswith("  skipped ")}
    assert skipped == {"skipped part1.zip", "skipped .ipynb_checkpoints/01_activation_functions-checkpoint.ipynb",
                       "skipped cs231n_lite/__pycache__/layers.cpython-311.pyc", "skipped notes.pdf"}
    assert any(line.startswith("23456: took 1 file(s)") for line in out)
    assert any(line.startswith("not collected: submissions/readme.txt") for line in out)


@pytest.mark.nbgrader
def test_a_student_cannot_hand_in_their_own_hand_in_time(release_template, tmp_path):
    """An LMS whose file names carry the hand-in time: the student's own timestamp.txt is not taken."""
    course_copy = copy_course(release_template, tmp_path / "course")
    layout = course(course_copy)
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.write(layout.release / "01_activation_functions.ipynb", "ann--20260115T120100--01_activation_functions.ipynb")
        z.writestr("ann--20260115T120100--timestamp.txt", "2026-01-01 00:00:00.000000 UTC")     # "on time"
        z.writestr("ann--20260115T120100--submission_secret.txt", "chosen")
    regexp = r".*/(?P<student_id>[a-z]+)--(?P<timestamp>\d{8}T\d{6})--(?P<file_id>.+)$"
    proc = subprocess.run([sys.executable, "-m", "grading", "collect-zip", str(download), "--course",
                           str(course_copy), "--regexp", regexp], cwd=ROOT, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (layout.submitted("ann") / "timestamp.txt").read_text().startswith("2026-01-15 12:01:00")
    assert not (layout.submitted("ann") / "submission_secret.txt").exists()
    assert "  skipped timestamp.txt: nbgrader's own record of a hand-in" in proc.stdout
