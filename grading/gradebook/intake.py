"""nbgrader reads a submission as data too: no link is followed, no unreadable notebook stops it.

The course's nbgrader_config.py installs both (grading/release/course.py):

* ``c.Autograde.exporter_class = "grading.gradebook.intake.SafeNotebookExporter"``:
  a submitted notebook is read only if it is a regular file of its own (no
  symlink, FIFO, device or hard link) within the size cap, and parses as a
  notebook of format 4. Otherwise the release's copy of that notebook is
  graded in its place, so the code grade cells still get their trusted
  verdicts, and the reason is recorded for the student's row (``notes``).
* ``install()`` (called by the config): nbgrader's copy of a submission's
  other files into autograded/ keeps regular files of one link within the
  caps only (grading/judge/intake.py's rule); the others are left out with
  a warning and recorded the same way.

Notes are kept in ``instructor/intake/<student>.json`` ({"skipped": [[path,
why], ...], "notebooks": {notebook: why}}): the grade table, the class report
and grades.csv show them.
"""
import json
import os
import stat
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter

from grading.judge.intake import MAX_FILE_BYTES, _kind
from grading.release.layout import course

NOTEBOOK_MAX_BYTES = 32 * 2 ** 20


def notes_path(course_dir, student):
    return course(course_dir).intake_notes(student)


def read_notes(course_dir, student):
    """{"skipped": [[path, why], ...], "notebooks": {name: why}} recorded for a student."""
    try:
        notes = json.loads(notes_path(course_dir, student).read_text())
    except (OSError, ValueError):
        return {"skipped": [], "notebooks": {}}
    return {"skipped": list(notes.get("skipped", [])), "notebooks": dict(notes.get("notebooks", {}))}


def note_lines(course_dir, student):
    """The notes as short sentences (for a table, a report or a CSV cell)."""
    notes = read_notes(course_dir, student)
    lines = [f"{name}.ipynb graded from the release copy: {why}" for name, why in notes["notebooks"].items()]
    lines += [f"{path} not graded: {why}" for path, why in notes["skipped"]]
    return lines


def record(course_dir, student, skipped=(), notebook=None, why=None):
    """Add to a student's notes (atomically; one writer at a time: nbgrader or our recorder)."""
    notes = read_notes(course_dir, student)
    for entry in skipped:
        if list(entry) not in notes["skipped"]:
            notes["skipped"].append(list(entry))
    if notebook is not None:
        notes["notebooks"][notebook] = why
    path = notes_path(course_dir, student)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(notes, indent=1, sort_keys=True))
    os.replace(tmp, path)


def clear(course_dir, student):
    notes_path(course_dir, student).unlink(missing_ok=True)


def regular_file_problem(path, max_bytes):
    """Why ``path`` must not be read as a submitted file, or None (checked on an O_NOFOLLOW descriptor)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        try:
            return _kind(os.lstat(path).st_mode)
        except OSError:
            return "missing"
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        return _kind(info.st_mode)
    if info.st_nlink != 1:
        return "a hard link (a second name of another file)"
    if info.st_size > max_bytes:
        return f"larger than {max_bytes // 2 ** 20} MiB"
    return None


def _read_notebook(path):
    """The notebook at path, or (None, why it cannot be graded)."""
    problem = regular_file_problem(path, NOTEBOOK_MAX_BYTES)
    if problem:
        return None, problem
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, encoding="utf-8", errors="replace") as f:
        text = f.read(NOTEBOOK_MAX_BYTES + 1)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        return None, f"not valid JSON ({str(exc)[:80]})"
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return None, "not a notebook"
    if raw["nbformat"] < 4:
        return None, f"an old notebook format (nbformat {raw['nbformat']}): open and save it in Jupyter"
    try:
        return nbformat.reads(text, as_version=4), None
    except Exception as exc:  # noqa: B902  (nbformat raises many kinds on a malformed notebook)
        return None, f"not a readable notebook ({type(exc).__name__})"


class SafeNotebookExporter(NotebookExporter):
    """nbgrader's notebook exporter, reading a submitted notebook as data (see the module docstring)."""

    def from_filename(self, filename, resources=None, **kw):
        nb, why = _read_notebook(filename)
        if nb is None:
            info = (resources or {}).get("nbgrader", {})
            coursedir = getattr(self.parent, "coursedir", None)
            if coursedir is None or "student" not in info:
                raise ValueError(f"{filename} cannot be read: {why}")
            release = Path(coursedir.root) / coursedir.release_directory / info["assignment"] / \
                os.path.basename(filename)
            self.log.warning("%s: %s; grading the release copy %s in its place", filename, why, release)
            record(coursedir.root, info["student"], notebook=info["notebook"], why=why)
            nb = nbformat.read(str(release), as_version=4)
        return self.from_notebook_node(nb, resources, **kw)


def _submission(root):
    """(course dir, student) if root lies in <course>/submitted/<student>/..., else None."""
    parts = Path(os.path.abspath(root)).parts
    if "submitted" not in parts:
        return None
    at = len(parts) - 1 - parts[::-1].index("submitted")
    if len(parts) < at + 2:
        return None
    return Path(*parts[:at]), parts[at + 1]


def _safe_files(find_all_files):
    """nbgrader's find_all_files keeping regular files only under submitted/ (see the module docstring)."""
    def find_regular_files(path, exclude=None):
        owner = _submission(path)
        if owner is None:                   # the instructor's own folders: as nbgrader lists them
            return find_all_files(path, exclude)
        kept = []
        for filename in find_all_files(path, exclude):
            problem = regular_file_problem(filename, MAX_FILE_BYTES)
            if problem is None:
                kept.append(filename)
                continue
            record(owner[0], owner[1], skipped=[(os.path.relpath(filename, path), problem)])
        return kept
    find_regular_files.original = find_all_files
    return find_regular_files


def fresh_notes(assignment, student, notebooks, **_):
    """nbgrader's pre-convert hook: a student's notes are made anew at each autograde.

    nbgrader passes the student pattern of its command line; the notebooks,
    <course>/submitted/<student>/<assignment>/<nb>.ipynb, name the student.
    """
    for owner in {_submission(nb) for nb in notebooks} - {None}:
        clear(*owner)


def install():
    """Make nbgrader's copy of submitted files skip what is not a regular file (idempotent)."""
    from nbgrader.converters import base
    if not hasattr(base.find_all_files, "original"):
        base.find_all_files = _safe_files(base.find_all_files)
