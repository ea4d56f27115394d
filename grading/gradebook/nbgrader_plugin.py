"""nbgrader preprocessors that put the trusted grader into nbgrader's own autograde.

The course's nbgrader_config.py (grading/release/course.py) registers them, so plain
``nbgrader autograde``, Formgrader's Autograde button and ``make grade`` all
grade the same way:

* SanitizeSubmission (first sanitize step): nbgrader metadata on cells the
  source does not have, or on a second copy of a cell, is dropped; markdown
  and raw cells and outputs are made safe to show in a browser
  (grading/gradebook/sanitize.py: answers keep their text and math, outputs
  keep text and PNG images). The student's own outputs are kept, so the
  instructor sees the numbers the written answers refer to.
* CheckMetadata: nbgrader's CheckCellMetadata, with nbgrader's schema
  checked once per process instead of once per cell.
* SaveAutoGrades: nbgrader's SaveAutoGrades, with one gradebook
  transaction per notebook instead of one per cell.
* SanitizeCells: grading/gradebook/sanitize.py on every cell, as autograde's
  last step before the grades are saved (the verdicts quote student text)
  and again when feedback is generated.
* TrustedGrades (replaces Execute): the notebook is not run. Each code
  grade cell gets the trusted grader's verdict on its function as its
  output, and its points from the registry; SaveAutoGrades then records
  the scores as usual.
"""
import functools
import json

import jsonschema

from nbformat.v4 import new_code_cell, new_output
from traitlets import Unicode

from nbgrader.api import Gradebook
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader.preprocessors import CheckCellMetadata, NbGraderPreprocessor

from grading.gradebook import sanitize
from grading.gradebook.verdicts import fingerprint, load_verdicts, package_files, save_verdicts, verdicts_of
from grading.judge.hidden import read_secret
from grading.release.layout import CourseLayout
from grading.judge.trusted import FunctionResult, graded_functions


class SanitizeSubmission(NbGraderPreprocessor):
    """Drop unknown or duplicated nbgrader cells; make what the student wrote safe to show."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cell in source.source_cells}
        seen = set()
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is not None:
                grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
                if grade_id not in known or grade_id in seen:
                    del cell.metadata["nbgrader"]
                else:
                    seen.add(grade_id)
        changed = sanitize.notebook(nb, sanitize.reserved_ids(known))
        if changed:
            self.log.info("%s %s: %d cell(s) made safe to show in a browser",
                          info["student"], info["notebook"], changed)
        return nb, resources


class TrustedCellMetadata(NbGraderPreprocessor):
    """Every nbgrader cell a submission kept gets its metadata from the course's source, not the student.

    After SanitizeSubmission only cells the source has remain marked; their
    metadata (points, locks, type flags, schema version) is rewritten from
    the gradebook's record of the source notebook, so an edited or old-schema
    metadata block (which made nbgrader give up on the whole run) is simply
    the source's again.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            grades = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name for c in source.task_cells}
            locked = {c.name: c.locked for c in source.source_cells}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not isinstance(meta, dict) or meta.get("grade_id") not in locked:
                continue
            name = meta["grade_id"]
            trusted = {"grade": name in grades, "grade_id": name, "locked": bool(locked[name]),
                       "schema_version": 3, "solution": name in solutions, "task": name in tasks}
            if name in grades:
                trusted["points"] = grades[name]
            cell.metadata["nbgrader"] = trusted
        return nb, resources


class SanitizeCells(NbGraderPreprocessor):
    """Make every markdown and raw cell and every output safe to show in a browser."""

    def preprocess(self, nb, resources):
        changed = sanitize.notebook(nb)
        if changed:
            info = resources.get("nbgrader", {})
            self.log.info("%s %s: %d cell(s) made safe to show in a browser", info.get("student"),
                          info.get("notebook"), changed)
        return nb, resources


def verdict_output(result):
    """The output nbgrader scores: a stdout line for a pass, an error for a failure."""
    if result.passed:
        return new_output("stream", name="stdout", text=result.message + "\n")
    return new_output("error", ename="CheckFailed", evalue=result.message,
                      traceback=[f"CheckFailed: {result.message}"])


class TrustedGrades(NbGraderPreprocessor):
    """Score every code grade cell with the trusted grader instead of executing the notebook.

    The verdicts come from the one verdict path (grading/gradebook/verdicts.py):
    stored ones when they belong to this package and secret (``grading
    autograde`` computed them), else computed here for the whole submission
    and stored, so the submission's other notebooks reuse them.
    """

    secret_file = Unicode("", help="file with the course's secret (hidden inputs per student)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        specs = graded_functions(info["notebook"])
        course_dir = CourseLayout.of_secret(self.secret_file, info["assignment"]).root
        secret = read_secret(self.secret_file)
        files, skipped = package_files(course_dir, info["student"])
        verdicts = load_verdicts(course_dir, info["student"], fingerprint(files), secret)
        if verdicts is None:
            verdicts = verdicts_of(info["student"], files, secret, skipped)
            save_verdicts(course_dir, verdicts)
        notebook_file = info["notebook"] + ".ipynb"
        results = {gid: FunctionResult(**v) for gid, v in verdicts["notebooks"].get(notebook_file, {}).items()}
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        for spec in specs:
            result = results[spec.grade_id]
            cell = cells.get(result.grade_id)
            if cell is None:  # cannot happen after OverwriteCells.add_missing_cells; be safe
                cell = new_code_cell(source=f"# test_{spec.name}: graded by the trusted grader")
                nb.cells.append(cell)
            cell.cell_type = "code"
            cell.metadata["nbgrader"] = spec.metadata
            cell.execution_count = None
            cell.outputs = [verdict_output(result)]
            self.log.info("%s %s: %s/%s (%.1f s)", info["student"], result.grade_id, result.score,
                          result.points, result.seconds)
        registered = {spec.grade_id for spec in specs}
        for grade_id, cell in cells.items():
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code" and grade_id not in registered:
                raise ValueError(f"grade cell {grade_id} of {info['notebook']} has no registered test")
        return nb, resources


@functools.lru_cache(maxsize=4)
def _schema_validator(schema_text):
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_against_checked_schema(instance, schema, *args, **kwargs):
    if args or kwargs:
        return _jsonschema_validate(instance, schema, *args, **kwargs)
    _schema_validator(json.dumps(schema, sort_keys=True)).validate(instance)


_jsonschema_validate = jsonschema.validate


class CheckMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, checking nbgrader's schema once rather than once per cell.

    jsonschema.validate() validates the schema itself before each instance;
    for the ~50 nbgrader cells of each of seven notebooks, run twice, that
    was a tenth of recording a submission. The cells are validated exactly
    as before, against the same schema.
    """

    def preprocess(self, nb, resources):
        jsonschema.validate = _validate_against_checked_schema
        try:
            return super().preprocess(nb, resources)
        finally:
            jsonschema.validate = _jsonschema_validate


class _OneTransaction:
    """A notebook's gradebook session: commit() only flushes; closing the gradebook commits."""

    def __init__(self, session):
        self._session = session

    def commit(self):
        self._session.flush()        # later queries see the change, as after a commit

    def remove(self):                # Gradebook.close()
        try:
            self._session.commit()
        finally:
            self._session.remove()

    def __getattr__(self, name):
        return getattr(self._session, name)


class SaveAutoGrades(nbgrader_preprocessors.SaveAutoGrades):
    """nbgrader's SaveAutoGrades, recording a notebook's grades in one transaction.

    nbgrader commits after every grade and comment cell: ~70 SQLite
    transactions per submission, each costing more CPU than its update.
    Here each cell's update is flushed and the notebook's updates are
    committed together when nbgrader closes its gradebook.
    """

    def _add_score(self, cell, resources):
        self._one_transaction()
        super()._add_score(cell, resources)

    def _add_comment(self, cell, resources):
        self._one_transaction()
        super()._add_comment(cell, resources)

    def _one_transaction(self):
        if not isinstance(self.gradebook.db, _OneTransaction):
            self.gradebook.db = _OneTransaction(self.gradebook.db)
