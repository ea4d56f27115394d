"""check() and grade(): one graded function's visible test on the code as it is now, one verdict.

Both import the package's modules afresh for the check (and put the
previous modules back afterwards, so the notebook's own objects keep
working): the test never runs on stale code. A file that does not parse or
import gives one FAIL line naming the file and the line; a function that
only fails because another graded function is still a stub says which one.
grade() is what a notebook's grade cell runs: it raises CheckFailed (the
cell fails) where check() prints FAIL and returns False.
"""
import contextlib
import difflib
import importlib
import sys

from .explain import broken_file_message, explain_not_implemented
from .feedback import CheckFailed
from .fixtures import NOT_IN_GRADER
from .registry import REGISTRY

PACKAGE = "cs231n_lite"
SELFCHECK = f"{PACKAGE}.selfcheck"


def spec_named(name):
    """The registry entry of a graded function, by name ('relu_backward') or grade id ('test_relu_backward').

    Raises KeyError, listing the closest names and every known one, for an unknown name.
    """
    key = str(name).strip()
    if key not in REGISTRY and key.startswith("test_") and key[len("test_"):] in REGISTRY:
        key = key[len("test_"):]
    if key not in REGISTRY:
        close = difflib.get_close_matches(key, list(REGISTRY), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"no graded function {name!r}{hint} known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[key]


def _own_modules():
    """The package's modules now imported, except the test library."""
    return {key: module for key, module in sys.modules.items()
            if key.startswith(PACKAGE + ".") and not (key == SELFCHECK or key.startswith(SELFCHECK + "."))}


@contextlib.contextmanager
def fresh_package():
    """Within the block, every cs231n_lite module (but the selfcheck) is imported from its file again.

    The modules imported before come back afterwards, as do the package's
    attributes that named them.
    """
    package = importlib.import_module(PACKAGE)
    saved = _own_modules()
    attributes = {key: package.__dict__[key] for key in list(package.__dict__)
                  if f"{PACKAGE}.{key}" in saved}
    for key in saved:
        del sys.modules[key]
    for key in attributes:      # else `from .. import layers` would find the old module
        del package.__dict__[key]
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for key in _own_modules():
            del sys.modules[key]
        sys.modules.update(saved)
        for key in list(package.__dict__):
            if f"{PACKAGE}.{key}" in saved or key in attributes:
                package.__dict__.pop(key, None)
        package.__dict__.update(attributes)


def _dependency_note(spec, case):
    """A sentence naming the declared dependencies whose own check fails, or ''."""
    failing = []
    for dep in spec.uses:
        passed, _ = _verdict(REGISTRY[dep], case, notes=False)
        if not passed:
            failing.append(dep)
    if not failing:
        return ""
    names = " and ".join(failing)
    it = "its" if len(failing) == 1 else "their"
    return (f" Note: {spec.name} uses {names}, whose own check fails; when graded, the reference "
            f"{names} runs in {it} place, so fix {names} first and check {spec.name} again.")


def _verdict(spec, case="visible", notes=True):
    """(passed, message) of one function's test on fresh code."""
    with fresh_package():
        try:
            module = importlib.import_module(f"{PACKAGE}.{spec.module}")
            function = getattr(module, spec.name)
            spec.test(function, case=case)
        except CheckFailed as exc:
            message = str(exc)
            if notes and spec.uses and "cannot be checked" not in message:
                message += _dependency_note(spec, case)
            return False, message
        except NotImplementedError as exc:   # a stub reached by the test itself (not through a call)
            return False, explain_not_implemented(spec.name, exc)
        except Exception as exc:
            message = broken_file_message(spec.name, exc)
            if message is None:
                if str(exc) == NOT_IN_GRADER:
                    raise
                message = f"{spec.name}: the check could not run ({type(exc).__name__}: {exc})."
            return False, message
    return True, (f"{spec.name}: all {case} checks passed ({spec.points} point{'s' * (spec.points > 1)}).")


def check(name, case="visible", quiet=False):
    """Run the test of one graded function; print PASS or FAIL with the message, return True if it passed.

    name: the function ('relu_backward') or its grade id ('test_relu_backward').
    """
    spec = spec_named(name)
    passed, message = _verdict(spec, case)
    if not quiet:
        print(f"{'PASS' if passed else 'FAIL'} {message}")
    return passed


def grade(name):
    """What a grade cell runs: the visible test; prints a line when it passes, raises CheckFailed when not."""
    spec = spec_named(name)
    passed, message = _verdict(spec, "visible")
    if not passed:
        raise CheckFailed(message)
    print(f"{spec.name}: visible checks passed ({spec.points} point{'s' * (spec.points > 1)}).")


def notebook_named(name):
    """The notebook file a name refers to: '01_activation_functions(.ipynb)', 'activation_functions', '01' or 1.

    Raises ValueError, listing the notebooks, for a name that matches none.
    """
    notebooks = sorted({spec.notebook for spec in REGISTRY.values()})
    key = str(name).strip().lower().replace(" ", "_").removesuffix(".ipynb")
    if key.isdigit():
        key = f"{int(key):02d}"
    for nb in notebooks:
        stem = nb.removesuffix(".ipynb")
        number, _, title = stem.partition("_")
        if key in (stem, number, title):
            return nb
    raise ValueError(f"no notebook {name!r}; the graded notebooks are: " + ", ".join(notebooks))


def check_all(notebook=None):
    """Check every graded function (of one notebook, if given); returns {name: passed}.

    notebook: None for all, or any of '01_activation_functions',
    '01_activation_functions.ipynb', 'activation_functions', '01', 1.
    """
    wanted = None if notebook is None else notebook_named(notebook)
    results = {}
    for name, spec in REGISTRY.items():
        if wanted is None or spec.notebook == wanted:
            results[name] = check(name)
    passed = sum(results.values())
    print(f"{passed} of {len(results)} functions pass their visible checks.")
    return results
