"""The course layout: every path of a course from one object."""
from pathlib import Path

from grading.release.layout import ASSIGNMENT, CourseLayout, course


def test_paths_of_a_course(tmp_path):
    layout = CourseLayout(tmp_path / "c", "hw")
    root = (tmp_path / "c").resolve()
    assert layout.root == root
    assert layout.source == root / "source" / "hw" and layout.release == root / "release" / "hw"
    assert layout.submitted("ada") == root / "submitted" / "ada" / "hw"
    assert layout.autograded("ada") == root / "autograded" / "ada" / "hw"
    assert layout.verdict("ada") == root / "instructor" / "verdicts" / "ada.json"
    assert layout.intake_notes("ada") == root / "instructor" / "intake" / "ada.json"
    assert layout.db_url == f"sqlite:///{root / 'gradebook.db'}"
    assert course(tmp_path / "c").assignment == ASSIGNMENT


def test_the_course_of_a_secret_follows_links(tmp_path):
    real = tmp_path / "real"
    (real / "instructor").mkdir(parents=True)
    (real / "instructor" / "secret").write_text("k")
    (tmp_path / "link").symlink_to(real)
    assert CourseLayout.of_secret(tmp_path / "link" / "instructor" / "secret").root == real.resolve()


def test_no_module_of_grading_spells_the_instructor_folder():
    grading = Path(__file__).resolve().parents[2] / "grading"
    spelled = [p.relative_to(grading).as_posix() for p in grading.rglob("*.py")
               if p.name != "layout.py" and '"instructor"' in p.read_text()]
    assert spelled == []
