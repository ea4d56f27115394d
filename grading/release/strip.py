"""The solution-stripping rule for .py files (nbgrader only strips notebooks).

Every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block is replaced, at
the block's indentation, by a stub that raises NotImplementedError naming
the enclosing function and the notebook that tests it.
"""
import ast
import re

BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class StripError(ValueError):
    """The source has a malformed or unregistered solution block."""


def _enclosing_functions(text, path):
    """Map each line number to the innermost function defined around it."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise StripError(f"{path}:{exc.lineno}: not valid Python ({exc.msg})") from exc
    owner = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for line in range(node.lineno, node.end_lineno + 1):
                # ast.walk is breadth-first: inner functions overwrite outer ones
                owner[line] = node.name
    return owner


def solution_blocks(text, path="<source>"):
    """(begin, end, indent, function) for every block; line numbers 1-based."""
    lines = text.splitlines()
    owner = _enclosing_functions(text, path)
    blocks, start = [], None
    for i, line in enumerate(lines, start=1):
        if BEGIN.match(line):
            if start is not None:
                raise StripError(f"{path}:{i}: BEGIN SOLUTION inside another solution block")
            start, indent = i, BEGIN.match(line).group(1)
        elif END.match(line):
            if start is None:
                raise StripError(f"{path}:{i}: END SOLUTION without BEGIN SOLUTION")
            if start not in owner:
                raise StripError(f"{path}:{start}: solution block outside any function")
            blocks.append((start, i, indent, owner[start]))
            start = None
        elif any(word in line for word in MARKER_WORDS):
            raise StripError(f"{path}:{i}: malformed marker line {line.strip()!r}")
    if start is not None:
        raise StripError(f"{path}:{start}: BEGIN SOLUTION without END SOLUTION")
    return blocks


def stub(function, module_path, notebook, indent):
    """The lines that replace one solution block."""
    message = (f"{function} is not implemented yet: write it in {module_path}; "
               f"{notebook} tests it")
    return [f"{indent}# YOUR CODE HERE: implement {function} as its docstring describes.",
            f"{indent}raise NotImplementedError({message!r})"]


def strip_solutions(text, module_path, notebook_of, keep=()):
    """The student version of a .py source.

    Inputs:
    - text: the instructor source
    - module_path: how the stub names the file, e.g. 'cs231n_lite/layers.py'
    - notebook_of: dict function name -> notebook that tests it
    - keep: functions whose solution stays (a submission with only those done)

    Returns:
    - (stripped text, list of function names that were stubbed)
    """
    lines = text.splitlines()
    blocks = solution_blocks(text, module_path)
    out, cursor, stubbed = [], 1, []
    for begin, end, indent, function in blocks:
        if function not in notebook_of:
            raise StripError(f"{module_path}:{begin}: {function} has a solution block but no "
                             "registered test (cs231n_lite/selfcheck/registry.py)")
        if function in keep:
            continue
        out += lines[cursor - 1:begin - 1]
        out += stub(function, module_path, notebook_of[function], indent)
        cursor = end + 1
        stubbed.append(function)
    out += lines[cursor - 1:]
    return "\n".join(out) + "\n", stubbed
