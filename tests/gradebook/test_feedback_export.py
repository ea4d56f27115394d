"""Feedback pages reach students through nbgrader's exchange (release_feedback, fetch_feedback)."""
import subprocess
import sys

import pytest

from grading.gradebook.feedback_export import keep_pages_only
from grading.release.course import tool_env
from grading.release.layout import HAND_IN_RECORDS, course

from conftest import SMALL_CLASS

pytestmark = pytest.mark.nbgrader


def test_feedback_folders_keep_pages_and_the_exchange_files_only(small_class):
    for student in SMALL_CLASS:
        folder = course(small_class).feedback_root / student / "part1"
        names = {p.name for p in folder.iterdir()}
        assert set(HAND_IN_RECORDS) <= names
        assert {n for n in names if n not in HAND_IN_RECORDS} == {f"{nb.stem}.html" for nb in
                                                        course(small_class).release.glob("*.ipynb")}


def test_release_feedback_publishes_every_page(small_class, tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", "part1",
                           f"--Exchange.root={exchange}"], cwd=small_class, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    released = list((exchange / "cs231n-lite" / "feedback").glob("*.html"))
    pages = list(course(small_class).feedback_root.glob("*/part1/*.html"))
    assert len(released) == len(pages) == 7 * len(SMALL_CLASS)


def test_the_hook_removes_the_submission_copy(tmp_path):
    """Without nbgrader: everything but the top-level pages and HAND_IN_RECORDS goes."""
    autograded = tmp_path / "autograded" / "ann" / "part1"
    feedback = tmp_path / "feedback" / "ann" / "part1"
    for folder in (autograded, feedback / "cs231n_lite" / "selfcheck"):
        folder.mkdir(parents=True)
    for name in ("01_a.html", "01_a.ipynb", "README.md", *HAND_IN_RECORDS, "cs231n_lite/layers.py",
                 "cs231n_lite/selfcheck/x.html"):
        (feedback / name).write_text("x")
    keep_pages_only("part1", "*", [str(autograded / "01_a.ipynb")])
    assert sorted(p.relative_to(feedback).as_posix() for p in feedback.rglob("*")) == \
        sorted(["01_a.html", *HAND_IN_RECORDS])
