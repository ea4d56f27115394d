"""Modules of the course written the way students hand them in: stubs, own code, disguised copies.

``stub_module(rel, keep)``: the released module with only the functions in
``keep`` filled from the reference (the stripping rule's ``keep``);
``write_course(root, submissions)``: a release and submitted packages;
``disguise(text, seed)``: a copy made to
look different (local names renamed, respaced, blank lines and comments added,
top-level functions reordered), still valid Python.
"""
import ast
import builtins
import io
import keyword
import random
import tokenize
from pathlib import Path

from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import graded_module_files
from grading.release.layout import CourseLayout
from grading.release.strip import solution_blocks, stub, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_OF = {name: spec.notebook for name, spec in REGISTRY.items()}


def reference(rel):
    return (ROOT / rel).read_text()


def stub_module(rel, keep=()):
    """The release's text of ``rel`` with the functions in ``keep`` left as in the reference."""
    return strip_solutions(reference(rel), rel, NOTEBOOK_OF, keep=tuple(keep))[0]


def write_course(root, submissions):
    """A course whose release has every graded module stripped; returns its CourseLayout.

    submissions: {student: {module path: text}}; modules not given are the release's stubs.
    """
    layout = CourseLayout(root)
    for rel in graded_module_files():
        (layout.release / rel).parent.mkdir(parents=True, exist_ok=True)
        (layout.release / rel).write_text(stub_module(rel))
    for student, files in submissions.items():
        for rel in graded_module_files():
            path = layout.submitted(student) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files.get(rel, stub_module(rel)))
    return layout


COMMENTS = ("# vectorized over the batch", "# see the lecture notes", "# TODO double-check shapes",
            "# careful with broadcasting here", "# my version", "# this took a while")


def _rename(text, rng):
    """Rename every local name assigned in a function; respaced by tokenize's compatible mode."""
    tree = ast.parse(text)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    names -= set(dir(builtins)) | set(keyword.kwlist) | {"np"}
    mapping = {n: f"{rng.choice(['my', 'tmp', 'v', 'val'])}_{n[::-1]}_{rng.randrange(100)}" for n in names}
    out = [(tok.type, mapping.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string)
           for tok in tokenize.generate_tokens(io.StringIO(text).readline)]
    return tokenize.untokenize(out)


def _reorder(text, rng):
    """Shuffle the top-level function definitions (each with the blank lines before it)."""
    tree = ast.parse(text)
    lines = text.splitlines()
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(defs) < 2:
        return text
    start = defs[0].lineno - 1 - len(defs[0].decorator_list)
    chunks = []
    for i, node in enumerate(defs):
        end = defs[i + 1].lineno - 1 - len(defs[i + 1].decorator_list) if i + 1 < len(defs) else node.end_lineno
        chunks.append(lines[node.lineno - 1 - len(node.decorator_list):end])
    tail = lines[defs[-1].end_lineno:]
    rng.shuffle(chunks)
    return "\n".join(lines[:start] + [line for c in chunks for line in c] + tail) + "\n"


def _comment(text, rng):
    """Comments at the end of some code lines, blank lines after some returns."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.endswith(("\\", '"', "'")) and rng.random() < 0.2:
            line += "  " + rng.choice(COMMENTS)
        out.append(line)
        if stripped.startswith("return") and rng.random() < 0.5:
            out.append("")
    return "\n".join(out) + "\n"


def disguise(text, seed=0, reorder=True):
    """A disguised copy of a module's text (valid Python, same behaviour)."""
    rng = random.Random(seed)
    text = _rename(text, rng)
    if reorder:
        text = _reorder(text, rng)
    text = _comment(text, rng)
    ast.parse(text)            # still Python: a copy a student could hand in
    return text
