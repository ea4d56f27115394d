"""The whole nbgrader loop: release -> submissions -> autograde -> feedback -> export."""
import csv

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.__main__ import expectation_failures
from grading.autograde import format_table
from grading.leakcheck import secret_lines

from conftest import ALL_VARIANTS


def written_points():
    """Points of the manually graded answer cells of the source notebooks."""
    import json
    from grading.course import notebook_files
    return [c["metadata"]["nbgrader"]["points"] for nb in notebook_files()
            for c in json.loads(nb.read_text())["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "markdown"]


def code_scores(graded, student):
    return {s.grade_id: (s.score, s.points) for s in graded[student] if s.kind == "code"}


def test_every_variant_scores_as_designed(graded):
    assert expectation_failures(graded, ALL_VARIANTS) == []


def test_reference_scores_full_marks_on_every_code_test(graded):
    scores = code_scores(graded, "reference")
    assert set(scores) == {f"test_{name}" for name in REGISTRY}
    assert all(score == points for score, points in scores.values())
    assert sum(p for _, p in scores.values()) == sum(s.points for s in REGISTRY.values())


def test_untouched_release_scores_zero_on_every_code_test(graded):
    assert all(score == 0 for score, _ in code_scores(graded, "untouched").values())


def test_seeded_bug_loses_exactly_its_test(graded):
    ref, bug = code_scores(graded, "reference"), code_scores(graded, "seeded_bug")
    lost = {k for k in ref if ref[k] != bug[k]}
    assert lost == {"test_relu_backward"}
    assert sum(s for s, _ in ref.values()) - sum(s for s, _ in bug.values()) == REGISTRY["relu_backward"].points


def test_forward_bug_does_not_cost_the_backward(graded):
    scores = code_scores(graded, "several_bugs")
    assert scores["test_sigmoid_forward"][0] == 0 and scores["test_he_init"][0] == 0
    assert scores["test_layernorm_backward"][0] == 0 and scores["test_layernorm_forward"] == (2, 2)
    assert scores["test_subtract_mean"][0] == 0 and scores["test_fit_mean"] == (1, 1)
    assert scores["test_sigmoid_backward"] == (2, 2)


def test_numpy_warning_does_not_cost_points(graded):
    assert all(score == points for score, points in code_scores(graded, "noisy_deleted").values())


def test_deleted_grade_cells_come_back_and_are_graded(graded):
    scores = code_scores(graded, "noisy_deleted")
    assert scores["test_relu_forward"] == (1, 1) and scores["test_xavier_init"] == (2, 2)


def test_edited_test_library_is_replaced_by_the_instructors(graded):
    assert all(score == 0 for score, _ in code_scores(graded, "tampered_tests").values())


def test_written_answers_wait_for_manual_grading(graded):
    written = [s for s in graded["reference"] if s.kind == "written"]
    assert len(written) == len(written_points()) >= 18
    assert all(s.needs_manual and s.points == 2 for s in written)


def test_grades_csv_lists_every_student(course_dir, graded):
    with open(course_dir / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(ALL_VARIANTS)
    assert float(rows["reference"]["score"]) == sum(s.points for s in REGISTRY.values())
    assert float(rows["untouched"]["score"]) == 0
    assert float(rows["seeded_bug"]["max_score"]) == sum(s.points for s in REGISTRY.values()) + sum(written_points())


def test_feedback_html_per_student_shows_messages_not_hidden_tests(course_dir, graded):
    hidden = {line for line in secret_lines() if "hidden" in line}
    assert hidden, "expected hidden test lines in the source notebooks"
    pages = list((course_dir / "feedback").glob("*/part1/*.html"))
    assert len(pages) == len(ALL_VARIANTS) * 4
    for page in pages:
        html = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in html
        assert 'case=&quot;hidden&quot;' not in html and 'case="hidden"' not in html
    html = (course_dir / "feedback" / "seeded_bug" / "part1" / "01_activation_functions.html").read_text()
    assert "relu_backward: dx differs from the reference" in html
    assert "passes through where x == 0" in html


def test_grade_table_shows_students_tests_and_totals(graded):
    table = format_table(graded)
    assert table.splitlines()[0].split()[:2] == ["test", "points"]
    for student in ALL_VARIANTS:
        assert student in table.splitlines()[0]
    assert "  test_relu_backward" in table and "q_saturation" in table
    total = [line for line in table.splitlines() if line.startswith("auto-graded total")][0]
    assert total.split()[3] == str(sum(s.points for s in REGISTRY.values()))


def test_grade_cells_points_match_the_registry(release_dir):
    import json
    points = {}
    for nb in sorted(release_dir.glob("*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            meta = c.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                points[meta["grade_id"]] = (meta["points"], nb.name)
    for name, spec in REGISTRY.items():
        assert points[f"test_{name}"] == (spec.points, spec.notebook), name


@pytest.mark.parametrize("student", ["reference", "untouched"])
def test_autograded_copy_keeps_the_students_package(course_dir, graded, student):
    layers = (course_dir / "autograded" / student / "part1" / "cs231n_lite" / "layers.py").read_text()
    assert ("NotImplementedError(" in layers) == (student == "untouched")
