"""The trusted grader: each graded function's tests, run here, on a sandboxed function.

For every graded function of a notebook, the grader runs the function's
test (``test_<name>(fn, case)`` of the *reference* cs231n_lite.selfcheck,
imported in this process) on the visible case and on a hidden case drawn
for this student, with ``fn`` a proxy into a fresh sandboxed worker that
imports the submission's own package (grading/judge/session.py, grading/sandbox/host.py). Expected
outputs, hidden inputs and every comparison stay in this process; the
worker only ever sees the inputs of a call.

Points and grade ids come from the registry, never from the submission.
"""
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from cs231n_lite.selfcheck import REGISTRY
from cs231n_lite.selfcheck.feedback import CheckFailed
from cs231n_lite.selfcheck.fixtures import install_hidden
from grading.judge.hidden import HiddenCaseError, HiddenSource
from grading.sandbox.host import Limits, SharedPackage
from grading.judge.session import Session

CASES = ("visible", "hidden")


@dataclass(frozen=True)
class FunctionResult:
    """The trusted verdict on one graded function."""
    name: str
    notebook: str
    points: int
    score: int
    message: str
    seconds: float

    @property
    def grade_id(self):
        return f"test_{self.name}"

    @property
    def passed(self):
        return self.score == self.points


def graded_functions(notebook=None):
    """Registry entries, of one notebook if given (name with or without .ipynb)."""
    if notebook is not None and not notebook.endswith(".ipynb"):
        notebook += ".ipynb"
    return [spec for spec in REGISTRY.values() if notebook is None or spec.notebook == notebook]


@contextlib.contextmanager
def hidden_inputs(source):
    previous = install_hidden(source)
    try:
        yield
    finally:
        install_hidden(previous)


def grade_function(spec, package, source, limits=Limits(), hide=None, import_failures=None):
    """Run both cases of one function's test against the submission; a FunctionResult.

    package: the submission's cs231n_lite folder, or a SharedPackage of it.

    import_failures: {module: message}, shared by the functions of one
    submission: a module whose import failed (an exception, an exit, an
    endless loop) fails its other functions at once instead of once per
    function.
    """
    start = time.monotonic()
    # only the declared dependencies are the reference: any other graded function the
    # student's code calls is the student's own (a sibling cannot do the work for free)
    substitute = [(REGISTRY[name].module, name) for name in spec.uses]
    import_failures = {} if import_failures is None else import_failures
    if spec.module in import_failures:
        return FunctionResult(spec.name, spec.notebook, spec.points, 0, import_failures[spec.module], 0.0)
    message, passed = "", True
    with hidden_inputs(source), Session(package, spec.module, spec.name, substitute,
                                        limits=limits, hide=hide) as session:
        if session.failure:
            import_failures[spec.module] = session.failure
        for case in CASES:
            try:
                spec.test(session.proxy, case=case)
            except CheckFailed as exc:
                message, passed = f"{str(exc)}{' (hidden test)' if case == 'hidden' else ''}", False
                break
            except HiddenCaseError:
                raise  # the grader's own failure must stop grading, not cost the student
            except Exception as exc:  # the test could not run on what came back
                message, passed = (f"{spec.name}: the test could not run on what your function "
                                   f"returned ({type(exc).__name__}: {exc})"), False
                break
    if passed:
        message = (f"PASS {spec.name}: visible and hidden tests passed "
                   f"({spec.points} point{'s' * (spec.points > 1)}).")
    return FunctionResult(spec.name, spec.notebook, spec.points, spec.points if passed else 0,
                          message, time.monotonic() - start)


def grade_notebook(notebook, package_dir, secret, student, limits=Limits(), hide=None):
    """Trusted results of every graded function of one notebook, {grade_id: FunctionResult}."""
    source, import_failures = HiddenSource(secret, student), {}
    with SharedPackage(package_dir) as package:
        results = [grade_function(spec, package, source, limits, hide, import_failures)
                   for spec in graded_functions(notebook)]
    return {r.grade_id: r for r in results}
