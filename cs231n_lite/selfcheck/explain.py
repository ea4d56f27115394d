"""Messages for checks that could not run: a stub reached, a file that does not parse or import."""
import re
import traceback
from pathlib import Path

SELFCHECK_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = SELFCHECK_DIR.parent


STUB = re.compile(r"^(?P<function>\w+) is not implemented yet(?P<rest>.*)$", re.S)


def explain_not_implemented(name, exc):
    """The message for a function that raised NotImplementedError.

    The release's stubs say '<function> is not implemented yet: write it in
    ...'. The function's own stub is shown as it is (under the caller's
    name, which may add a note). A stub of *another* graded function says
    which one stops the check and what the grader does there: the
    reference runs in place of a declared dependency (``uses``), the
    student's own code everywhere else. Any other message is quoted.
    """
    from .registry import REGISTRY

    text = str(exc).strip().rstrip(".")
    function = name.split(" ")[0]
    stub = STUB.match(text)
    if stub and stub["function"] != function:
        other, rest = stub["function"], stub["rest"].strip().lstrip(":").strip()
        detail = f" ({rest})" if rest else ""
        message = f"{function} cannot be checked yet: {other} is not implemented yet{detail}, and {function} needs it."
        spec = REGISTRY.get(function)
        if spec is not None and other in spec.uses:
            message += (f" When graded, the reference {other} runs in its place, so {function} earns its "
                        f"points on its own; write {other} to check {function} here.")
        elif other in REGISTRY:
            message += f" When graded, your own {other} runs here too."
        return message
    if text.startswith(f"{function} is not implemented"):
        return f"{name}{text[len(function):]}."
    return f"{name} is not implemented yet ({text})." if text else f"{name} is not implemented yet."


def _inside_package(filename):
    """Whether a file is one of the package's own modules (the test library excluded)."""
    try:
        path = Path(filename).resolve()
    except (OSError, TypeError, ValueError):
        return False
    return PACKAGE_DIR in path.parents and SELFCHECK_DIR not in (path, *path.parents)


def _where(path, line):
    try:
        shown = Path(path).resolve().relative_to(PACKAGE_DIR.parent)
    except (ValueError, TypeError, OSError):
        shown = path
    return f"{shown} line {line}"


def broken_file_message(name, exc):
    """The message of a check stopped by a file that does not parse or import; None for any other error.

    A SyntaxError (or IndentationError) names its file, line and text; any
    other exception raised while a module of the package was being
    imported names the innermost line of the package where it happened.
    """
    if isinstance(exc, SyntaxError) and exc.filename and _inside_package(exc.filename):
        text = (exc.text or "").strip()
        shown = f": `{text}`" if text else ""
        return (f"{name} cannot be checked: {_where(exc.filename, exc.lineno)} is not valid Python "
                f"({exc.msg}){shown}. Nothing in that file runs until it is fixed.")
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if _inside_package(frame.filename)]
    if not any(frame.name == "<module>" for frame in frames):
        return None
    frame = frames[-1]
    return (f"{name} cannot be checked: importing {_where(frame.filename, frame.lineno)} failed with "
            f"{type(exc).__name__}: {exc}. Nothing in that file runs until it is fixed.")
