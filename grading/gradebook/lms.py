"""Submissions downloaded from an LMS (Canvas), collected by nbgrader's own zip_collect.

    python -m grading collect-zip submissions.zip [--course DIR] [--regexp RE]

The download (a zip, or a folder of files and zips) is copied to nbgrader's
``downloaded/<assignment>/archive/``; ``nbgrader zip_collect`` unzips it (zips
in zips too, each into its own folder) and asks the course's collector,
CanvasCollector (named in nbgrader_config.py, so plain `nbgrader zip_collect
part1` does the same), which student and which file each extracted file is.
Two things nbgrader's default collector gets wrong for this course are set
here: it takes notebooks only (``valid_ext``), and its file id must keep the
sub-path, or ``cs231n_lite/layers.py`` lands as ``layers.py``.

Canvas names each submitted file ``<lastfirst>[_LATE]_<user id>_<submission
id>_<file name>``; a zip a student uploaded is unzipped into a folder of that
name, and the paths inside it are kept (without one top folder such as
``part1/``). The student id is Canvas's user id. Another naming scheme:
``c.CanvasCollector.named_regexp`` in nbgrader_config.py, or ``--regexp``
(it must name ``student_id`` and ``file_id``).
"""
import json
import re
import shutil
from pathlib import Path

from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from traitlets import List, Unicode

from grading.release.course import run_nbgrader
from grading.release.layout import HAND_IN_RECORDS, PACKAGE, course

# The kinds of file a submission holds (notebooks, the package, its fixtures, the data, READMEs).
VALID_EXT = [".ipynb", ".py", ".npz", ".md", ".txt", ".sha256", ".json"]
# Matched from the start of the extracted file's absolute path, lazily: the first path part named
# the Canvas way is the submission. One top folder of an uploaded zip (part1/, or the student's own
# name for it) is dropped unless it is the package or the data folder.
CANVAS_REGEXP = (r"^.*?/(?P<last_first>[^/_]+)(?:_LATE)?_(?P<student_id>\d+)_(?P<submission_id>\d+)_"
                 rf"(?:[^/]*/(?:(?!{PACKAGE}/|datasets/)[^/]+/)?)?(?P<file_id>[^/].*)$")
# Never part of a submission: editor and OS leftovers, compiled files.
JUNK_PARTS = re.compile(r"^(\..*|__MACOSX|__pycache__)$")


class CanvasCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector for Canvas downloads: every kind of submission file, sub-paths kept.

    Each decision is written to the course's collect log (one JSON object a
    line) so that the command can say, per student, what was taken and what
    was skipped, and why.
    """

    named_regexp = Unicode(CANVAS_REGEXP, help="regexp naming student_id and file_id (Canvas's naming by "
                           "default)").tag(config=True)
    valid_ext = List(VALID_EXT, help="extensions of the files collected").tag(config=True)

    def collect(self, submitted_file):
        match = re.match(self.named_regexp, submitted_file) if self.named_regexp else None
        info = match.groupdict() if match else None
        why = None
        if info is None:
            why = "its name is not a submission's (named_regexp does not match)"
        elif info["file_id"] in HAND_IN_RECORDS:     # zip_collect would keep a student's own timestamp.txt
            why = "nbgrader's own record of a hand-in, never the student's (the LMS's time is used)"
        elif any(JUNK_PARTS.match(part) for part in Path(info["file_id"]).parts):
            why = "an editor or system leftover"
        elif Path(submitted_file).suffix in (".zip", ".gz"):
            why = "the archive itself (its files were unzipped and collected)"
        elif Path(submitted_file).suffix not in self.valid_ext:
            why = f"not a kind of file a submission holds ({', '.join(self.valid_ext)})"
        self._log(submitted_file, info, why)
        if why:
            return None
        return {k: v for k, v in info.items() if k in ("student_id", "file_id", "timestamp") and v}

    def _log(self, path, info, why):
        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is None:
            return
        entry = {"file": path, "student": (info or {}).get("student_id"), "file_id": (info or {}).get("file_id"),
                 "skipped": why}
        log = course(coursedir.root).collect_log
        log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def stage(course_dir, source):
    """Put the download where nbgrader's zip_collect reads it (its archive folder, emptied first)."""
    layout = course(course_dir)
    archive = layout.downloaded / "archive"
    for folder in (archive, layout.downloaded / "extracted"):
        if folder.exists():
            shutil.rmtree(folder)
    source = Path(source)
    if source.is_dir():
        shutil.copytree(source, archive, symlinks=True)
    else:
        archive.mkdir(parents=True)
        shutil.copy(source, archive / source.name)


def collect_zip(course_dir, source, regexp=None, log=None):
    """Collect an LMS download into submitted/<student>/<assignment>/.

    Returns (per student {"took": [file ids], "skipped": [(file id, why)]},
    [(file, why)] of files that belong to no student).
    """
    layout = course(course_dir)
    if not Path(source).exists():
        raise FileNotFoundError(f"no download at {source}")
    stage(course_dir, source)
    layout.collect_log.unlink(missing_ok=True)
    args = ["zip_collect", layout.assignment, "--force"]
    if regexp:
        args.append(f"--CanvasCollector.named_regexp={regexp}")
    run_nbgrader(layout.root, *args, log=log)
    students, unmatched = {}, []
    lines = layout.collect_log.read_text().splitlines() if layout.collect_log.exists() else []
    extracted = layout.downloaded / "extracted"
    for entry in map(json.loads, lines):
        if entry["student"] is None:
            unmatched.append((Path(entry["file"]).relative_to(extracted).as_posix(), entry["skipped"]))
            continue
        mine = students.setdefault(entry["student"], {"took": [], "skipped": []})
        if entry["skipped"]:
            mine["skipped"].append((entry["file_id"], entry["skipped"]))
        elif (layout.submitted(entry["student"]) / entry["file_id"]).is_file():
            mine["took"].append(entry["file_id"])
        else:       # nbgrader itself left it out (an older duplicate): its log says why
            mine["skipped"].append((entry["file_id"], "not copied by nbgrader (see nbgrader.log)"))
    return students, unmatched


def summary(took):
    """File ids in a line: top-level files by name, folders by their count of files."""
    folders, files = {}, []
    for file_id in sorted(took):
        top, _, rest = file_id.partition("/")
        if rest:
            folders[top] = folders.get(top, 0) + 1
        else:
            files.append(top)
    return ", ".join(files + [f"{name}/ ({n} files)" for name, n in folders.items()]) or "nothing"
