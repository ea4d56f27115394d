"""The course's nbgrader preprocessors, on small notebooks and gradebooks."""
import os
import sys
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading.gradebook.nbgrader_plugin import CheckMetadata, SaveAutoGrades
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import ValidationError
from nbgrader.utils import compute_checksum


def notebook(points=2):
    meta = {"grade": True, "grade_id": "test_relu_forward", "locked": True, "points": points,
            "schema_version": 3, "solution": False, "task": False}
    answer = {"grade": True, "grade_id": "q_saturation", "locked": False, "points": 2,
              "schema_version": 3, "solution": True, "task": False}
    return new_notebook(cells=[new_code_cell("check()", metadata={"nbgrader": meta}),
                               new_markdown_cell("An answer.", metadata={"nbgrader": answer}),
                               new_code_cell("x = 1")])


def test_check_metadata_accepts_valid_cells_and_restores_jsonschema():
    before = jsonschema.validate
    for _ in range(2):   # the second notebook uses the schema checked for the first
        CheckMetadata().preprocess(notebook(), {})
    assert jsonschema.validate is before


@pytest.mark.parametrize("points", ["two", None])
def test_check_metadata_refuses_cells_outside_nbgraders_schema(points):
    before = jsonschema.validate
    with pytest.raises(ValidationError):
        CheckMetadata().preprocess(notebook(points), {})
    assert jsonschema.validate is before


def _graded_notebook():
    """Three code grade cells (passed, failed, partial), an answered and an unanswered written one."""
    cells = []
    for name, outputs in (("test_a", []), ("test_b", [new_output("error", ename="E", evalue="", traceback=[])]),
                          ("test_c", [new_output("execute_result", data={"text/plain": "0.5"},
                                                 execution_count=1)])):
        meta = {"grade": True, "grade_id": name, "locked": True, "points": 2, "schema_version": 3,
                "solution": False, "task": False}
        cells.append(new_code_cell("check()", metadata={"nbgrader": meta}, outputs=outputs))
    for name, text in (("q_answered", "My answer."), ("q_blank", "YOUR ANSWER HERE")):
        meta = {"grade": True, "grade_id": name, "locked": False, "points": 3, "schema_version": 3,
                "solution": True, "task": False}
        cell = new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": meta})
        cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)   # as released
        cell.source = text
        cells.append(cell)
    return new_notebook(cells=cells)


def _gradebook(tmp_path, name):
    url = f"sqlite:///{tmp_path / name}.db"
    with Gradebook(url) as gb:
        gb.add_assignment("a")
        gb.add_student("s")
        gb.update_or_create_notebook("nb", "a")
        for cell in _graded_notebook().cells:
            meta = cell.metadata["nbgrader"]
            gb.add_grade_cell(meta["grade_id"], "nb", "a", max_score=meta["points"], cell_type=cell.cell_type)
            if meta["solution"]:
                gb.add_solution_cell(meta["grade_id"], "nb", "a")
        gb.add_submission("a", "s")
    return url


@pytest.mark.nbgrader
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")   # from nbgrader's add_submission
def test_save_auto_grades_records_what_nbgraders_does_in_one_transaction(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    commits = []

    def count(connection):
        commits.append(connection)
    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "commit", count)
    recorded = {}
    try:
        for cls in (nbgrader_preprocessors.SaveAutoGrades, SaveAutoGrades):
            url = _gradebook(tmp_path, cls.__module__.split(".")[0])
            commits.clear()
            resources = {"nbgrader": {"notebook": "nb", "assignment": "a", "student": "s", "db_url": url}}
            cls().preprocess(_graded_notebook(), resources)
            with Gradebook(url) as gb:
                nb = gb.find_submission_notebook("nb", "a", "s")
                recorded[cls] = ({g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades},
                                 {c.name: c.auto_comment for c in nb.comments}, len(commits))
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "commit", count)
    (theirs_grades, theirs_comments, theirs_commits), (ours_grades, ours_comments, our_commits) = recorded.values()
    assert ours_grades == theirs_grades == {"test_a": (2, False), "test_b": (0, False), "test_c": (0.5, False),
                                            "q_answered": (None, True), "q_blank": (0, False)}
    assert ours_comments == theirs_comments and ours_comments["q_blank"] == "No response."
    # nbgrader commits once per grade and comment (5 + 2 here), ours once for the notebook;
    # opening the gradebook commits the same few times in both
    assert theirs_commits - our_commits == 7 - 1
