"""nbgrader preprocessor for feedback: grade-cell errors show only their message.

ClearHiddenTests removes the hidden tests from cell *sources*, but an
IPython traceback quotes the lines around the failing call, hidden ones
included. The message of a CheckFailed says everything a student needs.
"""
from nbgrader.preprocessors import NbGraderPreprocessor


class ShortTracebacks(NbGraderPreprocessor):
    """Replace the traceback of every error output in a grade cell by its last line."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
