"""The whole nbgrader loop: release -> submissions -> autograde -> feedback -> export.

One course grades every sample and hostile variant (tests/variants.py and
conftest.py) in one nbgrader run; scores come from the trusted grader.
"""
import csv
import hashlib
import subprocess

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.__main__ import expectation_failures
from grading.gradebook.grades import format_table
from grading.release.leakcheck import secret_lines

from conftest import ALL_VARIANTS, FEEDBACK_STUDENTS
from variants import HOSTILE, ONE_BUG

pytestmark = pytest.mark.nbgrader


def written_points():
    """Points of the manually graded answer cells of the source notebooks."""
    import json
    from grading.release.course import notebook_files
    return [c["metadata"]["nbgrader"]["points"] for nb in notebook_files()
            for c in json.loads(nb.read_text())["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "markdown"]


def code_scores(graded, student):
    return {s.grade_id: (s.score, s.points) for s in graded[student] if s.kind == "code"}


def test_every_variant_scores_as_designed(graded):
    assert expectation_failures(graded, ALL_VARIANTS) == []


def test_reference_scores_full_marks_on_every_code_test(graded):
    scores = code_scores(graded, "reference")
    assert set(scores) == {spec.grade_id for spec in REGISTRY.values()}
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


def test_feedback_html_per_student_shows_the_graders_messages(course_dir, graded):
    pages = list((course_dir / "feedback").glob("*/part1/*.html"))
    from grading.release.course import notebook_files
    assert len(pages) == len(FEEDBACK_STUDENTS) * len(notebook_files())
    for page in pages:
        html = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "HiddenSource" not in html
    html = (course_dir / "feedback" / "seeded_bug" / "part1" / "01_activation_functions.html").read_text()
    assert "relu_backward: dx differs from the reference" in html
    assert "passes through where x == 0" in html
    assert "PASS relu_forward: visible and hidden tests passed" in html


@pytest.mark.parametrize("student", sorted(ONE_BUG))
def test_each_one_bug_sample_loses_exactly_its_function(graded, student):
    ref, bug = code_scores(graded, "reference"), code_scores(graded, student)
    lost = {k for k in ref if ref[k] != bug[k]}
    assert lost == set(ALL_VARIANTS[student].breaks)


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_hostile_submissions_score_only_what_their_package_earns(graded, student):
    variant = HOSTILE[student]
    for grade_id, (score, points) in code_scores(graded, student).items():
        expected = 0 if variant.base == "untouched" or grade_id in variant.breaks else points
        assert score == expected, (grade_id, score, variant.description)


def test_no_hostile_write_reached_the_course(course_dir, graded):
    assert not (course_dir / "PWNED").exists()
    source = course_dir / "source" / "part1" / "cs231n_lite" / "layers.py"
    assert "sabotaged" not in source.read_text()
    for student in ("reference", "seeded_bug"):
        for folder in ("submitted", "autograded"):
            layers = course_dir / folder / student / "part1" / "cs231n_lite" / "layers.py"
            assert "sabotaged" not in layers.read_text(), layers


def test_gradebook_scores_never_exceed_their_maximum(course_dir, graded):
    for student, scores in graded.items():
        for s in scores:
            assert 0 <= s.score <= s.points, (student, s)


def test_no_process_of_a_submission_survives_grading(graded):
    assert subprocess.run(["pgrep", "-f", "sleep 3141"], capture_output=True).returncode != 0


def test_the_grader_runs_no_submitted_notebook_code(course_dir, graded):
    """The setup cell of 'rebinds_tests' prints REBOUND when run; grading never runs it."""
    import json
    nb_text = (course_dir / "autograded" / "rebinds_tests" / "part1" / "01_activation_functions.ipynb").read_text()
    assert "print('REBOUND')" in nb_text and "REBOUND\\n" not in nb_text
    nb = json.loads(nb_text)
    grade_outputs = [o for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
                     and c["cell_type"] == "code" for o in c["outputs"]]
    assert len(grade_outputs) == 14 and all(o["output_type"] == "error" for o in grade_outputs)


def test_grade_table_shows_students_tests_and_totals(graded):
    table = format_table(graded)
    assert table.splitlines()[0].split()[:2] == ["test", "points"]
    for student in ALL_VARIANTS:
        assert student in table.splitlines()[0]
    assert "  test_relu_backward" in table and "q_saturation" in table
    total = [line for line in table.splitlines() if line.startswith("auto-graded total")][0]
    column = table.splitlines()[0].split().index("reference")   # 'test points s1 s2 ...'
    assert total.split()[column + 1] == str(sum(s.points for s in REGISTRY.values()))


def test_grade_cells_points_match_the_registry(release_dir):
    import json
    points = {}
    for nb in sorted(release_dir.glob("*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            meta = c.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                points[meta["grade_id"]] = (meta["points"], nb.name)
    for name, spec in REGISTRY.items():
        assert points[spec.grade_id] == (spec.points, spec.notebook), name


@pytest.mark.parametrize("student", ["reference", "untouched"])
def test_autograded_copy_keeps_the_students_package(course_dir, graded, student):
    layers = (course_dir / "autograded" / student / "part1" / "cs231n_lite" / "layers.py").read_text()
    assert ("NotImplementedError(" in layers) == (student == "untouched")
