"""nbgrader preprocessors for what pages show: safe cells, short grade-cell errors.

SanitizeCells applies grading/gradebook/sanitize.py to every cell. The course
config runs it as autograde's last step before the grades are saved (after
the trusted grader wrote its verdicts, which quote student text) and again
when feedback is generated, so a notebook autograded before the sanitizer
existed, or edited by hand since, is made safe too.

ClearHiddenTests removes the hidden tests from cell *sources*, but an
IPython traceback quotes the lines around the failing call, hidden ones
included. The message of a CheckFailed says everything a student needs:
ShortTracebacks keeps only it.
"""
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.gradebook import sanitize


class SanitizeCells(NbGraderPreprocessor):
    """Make every markdown and raw cell and every output safe to show in a browser."""

    def preprocess(self, nb, resources):
        changed = sanitize.notebook(nb)
        if changed:
            info = resources.get("nbgrader", {})
            self.log.info("%s %s: %d cell(s) made safe to show in a browser", info.get("student"),
                          info.get("notebook"), changed)
        return nb, resources


class ShortTracebacks(NbGraderPreprocessor):
    """Replace the traceback of every error output in a grade cell by its last line."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
