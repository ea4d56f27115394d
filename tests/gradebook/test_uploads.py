"""The upload files (grades_by_test.csv, grades_canvas.csv) read back against the gradebook."""
import csv
import subprocess
import sys

import pytest

from grading.gradebook.grades import collect_scores
from grading.release.course import tool_env
from grading.release.layout import course

from conftest import ALL_VARIANTS, SMALL_CLASS

pytestmark = pytest.mark.nbgrader


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def by_student(path):
    with open(path, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_grades_by_test_has_every_grade_of_the_gradebook(small_class):
    layout = course(small_class)
    header, *rows = read(layout.grades_by_test_csv)
    scores = collect_scores(small_class)
    grade_ids = sorted(s.grade_id for s in scores["reference"])
    assert header[0] == "student_id" and header[-7:] == ["code_score", "written_score", "raw_score",
                                                        "late_submission_penalty", "score", "max_score", "notes"]
    assert sorted(header[1:-7]) == grade_ids and {s.kind for s in scores["reference"]} == {"code", "written"}
    table = {r[0]: dict(zip(header, r)) for r in rows}
    assert sorted(table) == sorted(SMALL_CLASS)
    grades_csv = by_student(layout.grades_csv)
    for student in SMALL_CLASS:
        row = table[student]
        for s in scores[student]:
            assert row[s.grade_id] == ("" if s.needs_manual else str(s.score)), (student, s.grade_id)
        code = sum(s.score for s in scores[student] if s.kind == "code")
        assert float(row["code_score"]) == code and float(row["late_submission_penalty"]) == 0.0
        assert float(row["raw_score"]) == float(grades_csv[student]["raw_score"])
        assert float(row["score"]) == float(grades_csv[student]["score"])


def test_the_seeded_bug_shows_in_its_tests_columns_only(small_class):
    table = by_student(course(small_class).grades_by_test_csv)
    differ = {g for g in table["reference"] if g.startswith("test_")
              and table["reference"][g] != table["seeded_bug"][g]}
    assert differ == set(ALL_VARIANTS["seeded_bug"].breaks)


def test_canvas_file_has_canvas_columns_and_the_final_score(small_class):
    layout = course(small_class)
    header, *rows = read(layout.grades_canvas_csv)
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "part1"]
    grades_csv = by_student(layout.grades_csv)
    assert {r[3]: float(r[5]) for r in rows} == {s: float(grades_csv[s]["score"]) for s in SMALL_CLASS}
    assert all(r[1] == r[2] == r[4] == "" for r in rows)


def test_canvas_title_and_id_column_are_the_instructors(small_class, tmp_path):
    dest = tmp_path / "canvas.csv"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export",
                           "--exporter=grading.gradebook.uploads.CanvasGrades", f"--to={dest}",
                           "--CanvasGrades.column_title=Part I (4242)", "--CanvasGrades.id_column=SIS User ID",
                           "--CanvasGrades.points_possible=True"],
                          cwd=small_class, capture_output=True, text=True,
                          # nbgrader imports --exporter before its config puts the course's copy on sys.path
                          env=tool_env({"PYTHONPATH": str(course(small_class).instructor / "lib")}))
    assert proc.returncode == 0, proc.stderr[-2000:]
    header, points, *rows = read(dest)
    assert header[-1] == "Part I (4242)" and points[0].strip() == "Points Possible"
    assert float(points[-1]) == sum(s.points for s in collect_scores(small_class)["reference"])
    assert sorted(r[2] for r in rows) == sorted(SMALL_CLASS) and all(r[3] == "" for r in rows)


def test_a_late_penalty_is_its_own_column_and_comes_off_the_uploaded_score(small_class, tmp_path):
    import shutil
    from nbgrader.api import Gradebook
    late = tmp_path / "course"
    shutil.copytree(small_class, late, symlinks=True)
    with Gradebook(course(late).db_url) as gb:
        notebook = gb.find_submission("part1", "seeded_bug").notebooks[0]
        notebook.late_submission_penalty = 2.0
        gb.db.commit()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=late, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    row = by_student(course(late).grades_by_test_csv)["seeded_bug"]
    assert float(row["late_submission_penalty"]) == 2.0
    assert float(row["score"]) == float(row["raw_score"]) - 2.0
    canvas = {r[3]: r[5] for r in read(course(late).grades_canvas_csv)[1:]}
    assert float(canvas["seeded_bug"]) == float(row["score"])
