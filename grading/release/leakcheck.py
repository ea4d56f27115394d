"""Prove that a student release carries no instructor material.

Forbidden in any release file: the marker words, and every distinctive
line of a solution block or hidden-test region of the source (.py files and
notebooks). Hidden test inputs exist in no file (the grader computes them
per student, see grading/judge/hidden.py), so there is no fixture to look for.
"""
import json
import re
from pathlib import Path

from grading.release.layout import PACKAGE, ROOT, notebook_files
from grading.release.strip import BEGIN, END, MARKER_WORDS

HIDDEN_BEGIN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
MIN_LENGTH = 10  # shorter lines ('return dx') are not distinctive


def _split_regions(lines):
    """(secret lines, public lines) of a source: secret = inside markers."""
    secret, public, inside = [], [], False
    for line in lines:
        if BEGIN.match(line) or HIDDEN_BEGIN.match(line):
            inside = True
        elif END.match(line) or HIDDEN_END.match(line):
            inside = False
        else:
            (secret if inside else public).append(line.strip())
    return secret, public


def _notebook_cells(path):
    return json.loads(Path(path).read_text())["cells"]


def secret_lines():
    """Distinctive lines that exist only inside solution/hidden regions."""
    forbidden = set()
    sources = [p.read_text().splitlines() for p in (ROOT / PACKAGE).rglob("*.py")]
    for nb in notebook_files():
        for cell in _notebook_cells(nb):
            lines = "".join(cell["source"]).splitlines()
            meta = cell.get("metadata", {}).get("nbgrader", {})
            has_markers = any(BEGIN.match(x) or HIDDEN_BEGIN.match(x) for x in lines)
            if meta.get("solution") and not has_markers:
                forbidden.update(x.strip() for x in lines if len(x.strip()) >= MIN_LENGTH)
            else:
                sources.append(lines)
    public = set()
    for lines in sources:
        secret, pub = _split_regions(lines)
        forbidden.update(x for x in secret if len(x) >= MIN_LENGTH and not x.startswith("#"))
        public.update(pub)
    return forbidden - public


def _release_texts(release):
    """(path, list of lines) for every text file; notebooks by cell source."""
    for path in sorted(Path(release).rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".ipynb":
            for i, cell in enumerate(_notebook_cells(path)):
                yield f"{path.name} cell {i}", "".join(cell["source"]).splitlines()
        else:
            try:
                yield str(path.relative_to(release)), path.read_text().splitlines()
            except UnicodeDecodeError:
                continue


def find_leaks(release):
    """Every leak found in the release folder, as readable strings."""
    release = Path(release)
    leaks = []
    forbidden = secret_lines()
    for where, lines in _release_texts(release):
        for n, line in enumerate(lines, start=1):
            if any(word in line for word in MARKER_WORDS):
                leaks.append(f"{where}:{n}: marker text: {line.strip()}")
            elif line.strip() in forbidden:
                leaks.append(f"{where}:{n}: solution/hidden line: {line.strip()}")
    return leaks
