"""Grading a class is incremental and never loses what an instructor entered by hand."""
import re
import shutil
import subprocess
import sys

import pytest

from grading.classwide.grade import autograde
from grading.gradebook.grades import collect_scores, to_grade
from grading.release.course import run_nbgrader, tool_env
from grading.gradebook.feedback import generate
from grading.gradebook.feedback_export import mark_ungraded, name_tests
from grading.release.samples import VARIANTS, make_submissions
from helpers import copy_course

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
def course(release_template, tmp_path_factory):
    course = copy_course(release_template, tmp_path_factory.mktemp("incremental") / "course")
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


def assert_finished_feedback(course, student="bob"):
    """The student's feedback folder as students should get it, however it was made."""
    from grading.release.course import notebook_files
    from grading.gradebook.feedback_export import WRAP_CSS

    folder = course / "feedback" / student / "part1"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert files == sorted(f"{nb.stem}.html" for nb in notebook_files())     # pages, nothing else
    for page in folder.iterdir():
        html = page.read_text()
        assert not re.search(r"<script[^>]*cdn[^>]*mathjax", html, re.I), page.name
        assert "MathJax.Hub.Configured()" in html and WRAP_CSS in html, page.name
    html = (folder / "01_activation_functions.html").read_text()
    # q_saturation is hand-graded (1.5 for bob), q_zero_centered is not
    assert re.search(r'<a name="q_saturation"></a>(?:(?!<a name=).)*Score: 1\.5 / 2\.0', html, re.S)
    assert re.search(r'<a name="q_zero_centered"></a>(?:(?!<a name=).)*Not graded yet \(2\.0 points\)',
                     html, re.S)
    assert re.search(r'<a href="#q_zero_centered">[^<]*</a> \(not graded yet', html)
    # the summary names each test's function (nbgrader calls every one "Test cell")
    assert ">Test cell<" not in html
    assert '<a href="#test_relu_forward">Test of <code>relu_forward</code></a> (Score: ' in html


def test_feedback_waits_for_hand_grading_and_holds_pages_only(course):
    done, skipped = generate(course)
    assert done == [] and set(skipped) == {"ada", "bob"}
    done, _ = generate(course, include_ungraded=True)
    assert done == ["ada", "bob"]
    assert_finished_feedback(course)


def test_plain_nbgrader_generate_feedback_gives_the_same_pages(course):
    shutil.rmtree(course / "feedback", ignore_errors=True)
    run_nbgrader(course, "generate_feedback", "part1", "--force")
    assert_finished_feedback(course)


def test_formgraders_generate_feedback_button_gives_the_same_pages(course):
    """The button calls NbGraderAPI.generate_feedback in the server's process, configured
    from the course directory's nbgrader_config.py."""
    shutil.rmtree(course / "feedback", ignore_errors=True)
    script = ("from nbgrader.apps.api import NbGraderAPI\n"
              "from nbgrader.apps.baseapp import NbGrader\n"
              "from nbgrader.coursedir import CourseDirectory\n"
              "app = NbGrader()\napp.load_config_file()\n"
              "api = NbGraderAPI(CourseDirectory(config=app.config), config=app.config)\n"
              "result = api.generate_feedback('part1', 'bob')\n"
              "print(result.get('log', ''))\n"
              "assert result['success'], result.get('error')\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=course, env=tool_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "hook failed" not in proc.stdout + proc.stderr
    assert_finished_feedback(course)


def test_name_tests_names_each_test_and_nothing_else():
    html = ('<li><a href="#test_relu_forward">Test cell</a> (Score: 1.0 / 1.0)</li>'
            '<li><a href="#q_a">Written response</a> (Score: 0.0 / 2.0)</li>')
    assert name_tests(html) == ('<li><a href="#test_relu_forward">Test of <code>relu_forward</code></a> '
                                '(Score: 1.0 / 1.0)</li><li><a href="#q_a">Written response</a> (Score: 0.0 / 2.0)</li>')


def test_mark_ungraded_rewrites_only_the_named_answers():
    html = ('<a href="#q_a">Written response</a> (Score: 0.0 / 2.0)'
            '<a href="#q_b">Written response</a> (Score: 1.5 / 2.0)'
            '<a name="q_a"></a><div class="panel-heading"><span>x</span> Score: 0.0 / 2.0 <a href="#top">'
            '<a name="q_b"></a><div class="panel-heading"><span>x</span> Score: 1.5 / 2.0 <a href="#top">')
    out = mark_ungraded(html, ["q_a"])
    assert out.count("not graded yet") == 1 and out.count("Not graded yet") == 1
    assert out.count("Score: 1.5 / 2.0") == 2
