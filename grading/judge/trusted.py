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
import re
import time
from dataclasses import dataclass

from cs231n_lite.selfcheck import REGISTRY
from cs231n_lite.selfcheck.registry import functions, grade_id, notebooks as registry_notebooks
from cs231n_lite.selfcheck.feedback import CheckFailed
from cs231n_lite.selfcheck.fixtures import install_hidden
from grading.judge.hidden import HiddenCaseError, HiddenSource
from grading.judge.callbacks import restore_memory_limit
from grading.judge.intake import read_tree
from grading.sandbox.host import Budget, Limits, SharedPackage
from grading.judge.session import Session

CASES = ("visible", "hidden")


# Why a function lost its points, as data (the class report reads these, not the message).
REASONS = {
    "": "its own output (a check of the test failed)",
    "limit:time": "stopped after its CPU seconds",
    "limit:cpu": "stopped at its CPU time limit",
    "limit:wall": "stopped at the wall-clock backstop while waiting (sleep, input, a lock)",
    "limit:memory": "ran out of its address space",
    "import": "its module could not be imported",
    "protocol": "its process broke the grading protocol or returned non-plain data",
    "worker": "its process ended (an exit or a crash)",
    "budget": "the submission's grading budget was spent",
    "overloaded": "the grading machine was too busy (twice): not the student's doing",
    "intake": "its module was not a regular file of the submission",
}
MISTAKE = re.compile(r"Likely mistake: (.*?)(?:\s*\(hidden test\))?$", re.S)


@dataclass(frozen=True)
class FunctionResult:
    """The trusted verdict on one graded function.

    reason: why it lost its points (a key of REASONS; "" when its own checks failed or it passed);
    mistake: the mistake the checks named, if any.
    """
    name: str
    notebook: str
    points: int
    score: int
    message: str
    seconds: float
    reason: str = ""
    mistake: str = ""

    @property
    def grade_id(self):
        return grade_id(self.name)

    @property
    def passed(self):
        return self.score == self.points


def graded_functions(notebook=None):
    """Registry entries, of one notebook if given (name with or without .ipynb)."""
    return functions(notebook)


@contextlib.contextmanager
def hidden_inputs(source):
    previous = install_hidden(source)
    try:
        yield
    finally:
        install_hidden(previous)


def grade_function(spec, package, source, limits=Limits(), budget=None, import_failures=None):
    """Run both cases of one function's test against the submission; a FunctionResult.

    package: a SharedPackage of the submission (or its cs231n_lite folder, read as data).
    budget: the submission's Budget: charged with this test's CPU seconds; once it
    is spent, the test is not run and the function fails saying so.

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
        return FunctionResult(spec.name, spec.notebook, spec.points, 0, import_failures[spec.module], 0.0,
                              "intake" if "was not graded" in import_failures[spec.module] else "import")
    spent = budget.spent() if budget is not None else None
    if spent:
        return FunctionResult(spec.name, spec.notebook, spec.points, 0, f"{spec.name}: {spent}.", 0.0, "budget")
    test_limits = budget.clip(limits) if budget is not None else limits
    for attempt in (1, 2):          # a test the busy machine stopped is run once more
        message, passed, reason, mistake = _run_test(spec, package, source, substitute, test_limits, budget,
                                                     import_failures)
        if reason != "overloaded":
            break
    if passed:
        message = (f"PASS {spec.name}: visible and hidden tests passed "
                   f"({spec.points} point{'s' * (spec.points > 1)}).")
    return FunctionResult(spec.name, spec.notebook, spec.points, spec.points if passed else 0,
                          message, time.monotonic() - start, reason, mistake)


def _run_test(spec, package, source, substitute, limits, budget, import_failures):
    """One run of both cases of a function's test: (message, passed, reason, mistake)."""
    message, passed, reason, mistake = "", True, "", ""
    try:
        with hidden_inputs(source), Session(package, spec.module, spec.name, substitute,
                                            limits=limits, budget=budget) as session:
            if session.failure and session.reason != "overloaded":
                import_failures[spec.module] = session.failure
            for case in CASES:
                try:
                    spec.test(session.proxy, case=case)
                except CheckFailed as exc:
                    message, passed = f"{str(exc)}{' (hidden test)' if case == 'hidden' else ''}", False
                    found = MISTAKE.search(str(exc))
                    mistake = getattr(exc, "mistake", None) or (found.group(1).strip() if found else "")
                    break
                except HiddenCaseError:
                    raise  # the grader's own failure must stop grading, not cost the student
                except Exception as exc:  # the test could not run on what came back
                    message, passed = (f"{spec.name}: the test could not run on what your function "
                                       f"returned ({type(exc).__name__}: {str(exc)[:500]})"), False
                    break
            reason = session.reason if not passed else ""
    finally:
        restore_memory_limit()      # whatever happened in a callback, the grader's own limit is back
    return message, passed, reason, mistake


def package_files(package):
    """{relative path: bytes} of a package given as such a dict or as its cs231n_lite folder."""
    if isinstance(package, dict):
        return package
    return read_tree(package, prefix="cs231n_lite").files


def grade_submission(package, secret, student, notebooks=None, limits=Limits(), budget=None, skipped=()):
    """Trusted results of every graded function, {notebook: {grade_id: FunctionResult}}.

    package: the submission's package as {relative path: bytes} (grading.judge.intake)
    or its cs231n_lite folder. One read-only, grader-compiled copy serves every test;
    budget (default: a fresh Budget) bounds the whole submission.
    skipped: [(path, why)] files of the submission the intake did not read: a graded
    module among them fails its functions with that reason.
    """
    source, import_failures = HiddenSource(secret, student), {}
    for rel, why in skipped:
        module = rel.removeprefix("cs231n_lite/").removesuffix(".py")
        if rel.endswith(".py") and "/" not in module:
            import_failures[module] = f"{rel} was not graded: it is {why}; submit it as a plain file."
        elif rel == "cs231n_lite":
            for spec in REGISTRY.values():
                import_failures[spec.module] = (f"the folder cs231n_lite/ of your submission is {why}: "
                                                "submit the package folder itself.")
    budget = Budget() if budget is None else budget
    notebooks = registry_notebooks() if notebooks is None else notebooks
    results = {}
    with SharedPackage(package_files(package)) as shared:
        for notebook in notebooks:
            graded = [grade_function(spec, shared, source, limits, budget, import_failures)
                      for spec in graded_functions(notebook)]
            results[_notebook_file(notebook)] = {r.grade_id: r for r in graded}
    return results


def grade_notebook(notebook, package, secret, student, limits=Limits(), budget=None):
    """Trusted results of every graded function of one notebook, {grade_id: FunctionResult}."""
    return grade_submission(package, secret, student, [notebook], limits, budget)[_notebook_file(notebook)]


def _notebook_file(notebook):
    return notebook if notebook.endswith(".ipynb") else notebook + ".ipynb"
