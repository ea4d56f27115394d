"""Sample submissions in nbgrader's submitted/<student>/<assignment>/ layout.

- reference:  the release with every answer filled from the instructor source
- untouched:  the release exactly as handed out
- seeded_bug: the reference with one known bug (SEEDED_BUG), which must
  cost exactly the points of the tests listed in ``breaks``

Tests add more variants (see VARIANTS) to probe the grader.
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from grading.release.course import ROOT, graded_module_files
from grading.release.layout import CourseLayout
from grading.release.strip import BEGIN, END


@dataclass(frozen=True)
class Edit:
    """Replace `old` (which must occur exactly once) by `new` in `file`."""
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Append:
    """Append `text` to `file`: code a student adds, run when the module is imported.

    `{course}` and `{repo}` in the text become the course directory and the
    repository, so a probe can aim at real paths.
    """
    file: str
    text: str


@dataclass(frozen=True)
class Tamper:
    """Change a notebook's grade cell the way a student could in an editor.

    kind: 'points' (raise its points), 'rename' (new grade_id), 'retype'
    (make it markdown), 'rewrite' (replace its source), 'setup' (append
    `text` to every notebook's setup cell; grade_id is ignored)
    """
    kind: str
    grade_id: str = ""
    text: str = ""


@dataclass(frozen=True)
class Variant:
    description: str
    base: str                 # 'reference' or 'untouched'
    edits: tuple = ()         # Edit and Append
    breaks: tuple = ()        # grade ids that must lose all their points
    delete_cells: tuple = ()  # grade ids of cells the 'student' deleted
    tamper: tuple = ()        # Tamper


SEEDED_BUG = Variant(
    "relu_backward lets the gradient through where x == 0",
    "reference",
    (Edit("cs231n_lite/layers.py", "    dx = dout * (x > 0)\n", "    dx = dout * (x >= 0)\n"),),
    breaks=("test_relu_backward",))

VARIANTS = {
    "reference": Variant("every answer from the instructor source", "reference"),
    "untouched": Variant("the release as handed out", "untouched"),
    "seeded_bug": SEEDED_BUG,
}
DEFAULT_STUDENTS = ("reference", "untouched", "seeded_bug")


def _strip_markers(source):
    return "\n".join(line for line in source.splitlines() if not (BEGIN.match(line) or END.match(line)))


def fill_notebook(release_nb, source_nb):
    """The release notebook with each answer cell taken from the source (markers removed)."""
    released = json.loads(Path(release_nb).read_text())
    answers = {}
    for cell in json.loads(Path(source_nb).read_text())["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = _strip_markers("".join(cell["source"]))
    for cell in released["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = answers[meta["grade_id"]]
    return released


def _apply(edit, folder, course_dir):
    path = Path(folder) / edit.file
    text = path.read_text()
    if isinstance(edit, Append):
        extra = edit.text.replace("{course}", str(Path(course_dir).resolve())).replace("{repo}", str(ROOT))
        path.write_text(text + "\n" + extra + "\n")
        return
    if text.count(edit.old) != 1:
        raise ValueError(f"{edit.file}: expected exactly one {edit.old!r}, found {text.count(edit.old)}")
    path.write_text(text.replace(edit.old, edit.new))


def _tamper(folder, tampers):
    for nb_path in Path(folder).glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        for t in tampers:
            for i, cell in enumerate(nb["cells"]):
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if t.kind == "setup" and i == 1:
                    cell["source"] = "".join(cell["source"]) + "\n" + t.text
                elif meta.get("grade_id") != t.grade_id or not t.grade_id:
                    continue
                elif t.kind == "points":
                    meta["points"] = 100
                elif t.kind == "rename":
                    meta["grade_id"] = t.grade_id + "_mine"
                elif t.kind == "retype":
                    cell["cell_type"] = "markdown"
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
                elif t.kind == "rewrite":
                    cell["source"] = t.text or 'print("all tests passed")'
        nb_path.write_text(json.dumps(nb, indent=1))


def _delete_cells(folder, grade_ids):
    for nb_path in Path(folder).glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        nb["cells"] = [c for c in nb["cells"]
                       if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in grade_ids]
        nb_path.write_text(json.dumps(nb, indent=1))


def fill_with_reference(folder):
    """Turn a copy of the release into the reference submission, in place.

    Every answer cell of its notebooks gets the source's answer, and the
    package files that hold graded functions become the repository's.
    """
    folder = Path(folder)
    for nb in folder.glob("*.ipynb"):
        filled = fill_notebook(nb, ROOT / "notebooks" / nb.name)
        nb.write_text(json.dumps(filled, indent=1))
    for rel in graded_module_files():
        shutil.copy(ROOT / rel, folder / rel)


def make_submission(course_dir, student, variant):
    """Write one submission folder; returns its path."""
    course_dir = Path(course_dir)
    release = CourseLayout(course_dir).release
    dest = CourseLayout(course_dir).submitted(student)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(release, dest)
    if variant.base == "reference":
        fill_with_reference(dest)
    for edit in variant.edits:
        _apply(edit, dest, course_dir)
    if variant.delete_cells:
        _delete_cells(dest, set(variant.delete_cells))
    if variant.tamper:
        _tamper(dest, variant.tamper)
    return dest


def make_submissions(course_dir, variants=None):
    """Write every variant (default: the three samples); returns {student: path}."""
    variants = variants or {name: VARIANTS[name] for name in DEFAULT_STUDENTS}
    return {student: make_submission(course_dir, student, v) for student, v in variants.items()}
