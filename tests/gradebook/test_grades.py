"""The grade table (grades.py) without nbgrader."""
from grading.gradebook.grades import Score, format_table


def test_a_student_without_grades_has_a_not_graded_column():
    results = {"ada": [Score("01.ipynb", "test_relu_forward", "code", 2.0, 2.0, False),
                       Score("01.ipynb", "q_why", "written", 1.0, 0.0, True)]}
    lines = format_table(results, not_graded=["bob"]).splitlines()
    assert lines[0].split() == ["test", "points", "ada", "bob"]
    assert lines[2].split() == ["test_relu_forward", "2", "2", "-"]
    assert lines[4].split()[-3:] == ["2", "not", "graded"]
