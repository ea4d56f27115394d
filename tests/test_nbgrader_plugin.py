"""The course's nbgrader preprocessors, on small notebooks (no gradebook needed)."""
import jsonschema
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.nbgrader_plugin import CheckMetadata
from nbgrader.nbgraderformat import ValidationError


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
