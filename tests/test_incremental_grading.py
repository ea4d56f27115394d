"""Grading a class is incremental and never loses what an instructor entered by hand."""
import shutil

import pytest

from grading.autograde import autograde, collect_scores, to_grade
from grading.course import build_release
from grading.feedback import generate, mark_ungraded
from grading.samples import VARIANTS, make_submissions

pytestmark = pytest.mark.nbgrader


def written(course, student):
    return {s.grade_id: s for s in collect_scores(course)[student] if s.kind == "written"}


def hand_grade(course, student, grade_id, notebook, score):
    """What Formgrader does when the instructor enters a score."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cs231n-lite") as gb:
        grade = gb.find_grade(grade_id, notebook, "part1", student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("incremental") / "course"
    build_release(course)
    make_submissions(course, {"ada": VARIANTS["reference"], "bob": VARIANTS["seeded_bug"]})
    assert autograde(course) == ["ada", "bob"]
    hand_grade(course, "ada", "q_saturation", "01_activation_functions", 2)
    hand_grade(course, "bob", "q_saturation", "01_activation_functions", 1.5)
    return course


def test_unchanged_submissions_are_not_graded_again(course):
    assert to_grade(course) == []
    assert autograde(course) == []
    assert written(course, "ada")["q_saturation"].score == 2
    assert not written(course, "ada")["q_saturation"].needs_manual


def test_a_changed_submission_is_graded_and_keeps_its_hand_grades(course):
    layers = course / "submitted" / "bob" / "part1" / "cs231n_lite" / "layers.py"
    layers.write_text(layers.read_text().replace("    dx = dout * (x >= 0)\n", "    dx = dout * (x > 0)\n"))
    assert to_grade(course) == ["bob"]
    assert autograde(course) == ["bob"]
    bob = {s.grade_id: s for s in collect_scores(course)["bob"]}
    assert bob["test_relu_backward"].score == 2                    # the fix counts
    assert bob["q_saturation"].score == 1.5 and not bob["q_saturation"].needs_manual


def test_an_explicit_regrade_keeps_every_reviewed_answer(course):
    assert autograde(course, regrade=("all",)) == ["ada", "bob"]
    for student, score in (("ada", 2), ("bob", 1.5)):
        answer = written(course, student)["q_saturation"]
        assert answer.score == score and not answer.needs_manual


def test_a_rewritten_answer_needs_review_again(course, tmp_path):
    import json
    nb_path = course / "submitted" / "ada" / "part1" / "01_activation_functions.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "q_saturation":
            cell["source"] = "A new answer after the deadline."
    nb_path.write_text(json.dumps(nb))
    assert autograde(course) == ["ada"]
    answer = written(course, "ada")["q_saturation"]
    assert answer.needs_manual and answer.score == 2              # the old score stays visible


def test_feedback_waits_for_hand_grading_and_holds_pages_only(course):
    done, skipped = generate(course)
    assert done == [] and set(skipped) == {"ada", "bob"}
    done, _ = generate(course, include_ungraded=True)
    assert done == ["ada", "bob"]
    folder = course / "feedback" / "bob" / "part1"
    from grading.course import notebook_files
    assert sorted(p.suffix for p in folder.rglob("*") if p.is_file()) == [".html"] * len(notebook_files())
    html = (folder / "01_activation_functions.html").read_text()
    assert "not graded yet" in html.lower() and "white-space: pre-wrap" in html


def test_mark_ungraded_rewrites_only_the_named_answers():
    html = ('<a href="#q_a">Written response</a> (Score: 0.0 / 2.0)'
            '<a href="#q_b">Written response</a> (Score: 1.5 / 2.0)'
            '<a name="q_a"></a><div class="panel-heading"><span>x</span> Score: 0.0 / 2.0 <a href="#top">'
            '<a name="q_b"></a><div class="panel-heading"><span>x</span> Score: 1.5 / 2.0 <a href="#top">')
    out = mark_ungraded(html, ["q_a"])
    assert out.count("not graded yet") == 1 and out.count("Not graded yet") == 1
    assert out.count("Score: 1.5 / 2.0") == 2
