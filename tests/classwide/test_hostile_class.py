"""A class with hostile submissions, graded by the project's own command, as root and as an ordinary user.

Every attack of issue 20 against the grading of a class, each in its own
submission, graded in one `python -m grading autograde` run between correct
and untouched submissions (students are graded in name order, so every
hostile one has a correct and an untouched one before and after it). The
run must finish, every correct submission keep full marks and every
untouched one score zero, each hostile one earn exactly what its own code
earns, nothing of the course reach a hostile student's verdicts,
autograded/ copy or notes, and grades.csv exist with a row for everyone
that says what went wrong. The course lives outside the repository.
"""
import csv
import importlib.util
import json
import marshal
import os
import struct
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import users
from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import tool_env
from helpers import copy_course
from grading.release.samples import Append, Tamper, Variant, make_submission

pytestmark = pytest.mark.nbgrader
ROOT = Path(__file__).resolve().parents[2]
FULL = sum(spec.points for spec in REGISTRY.values())

COPY_CLASSMATE = """
import os as _os
for _path in ["{course}/submitted/a_reference/part1/cs231n_lite/layers.py",
              "{course}/autograded/a_reference/part1/cs231n_lite/layers.py",
              "{course}/instructor/lib/cs231n_lite/layers.py", "{repo}/cs231n_lite/layers.py",
              "../../../submitted/a_reference/part1/cs231n_lite/layers.py"]:
    try:
        exec(open(_path).read(), globals())
        break
    except OSError:
        pass
"""
READ_SECRETS = """
def relu_forward(x):
    seen = []
    for path in ["{course}/instructor/secret", "{course}/gradebook.db", "/etc/shadow",
                 "{course}/instructor/verdicts/a_reference.json"]:
        try:
            seen.append(open(path, "rb").read(400).decode("latin-1"))
        except OSError as exc:
            seen.append(type(exc).__name__)
    raise ValueError(" | ".join(seen))
"""
ROSTER = """
def relu_forward(x):
    import os
    lines = []
    for pid in os.listdir("/proc"):
        try:
            lines.append(open(f"/proc/{pid}/cmdline", "rb").read().decode("latin-1"))
        except OSError:
            pass
    raise ValueError(" ".join(lines))
"""
FILL_DISK = """
for _target in ("/tmp/fill", "/dev/shm/fill"):
    try:
        for _i in range(40):
            with open(f"{_target}{_i}", "wb") as _f:
                _f.write(bytes(8 * 2 ** 20))
    except OSError:
        pass
"""
FORGED_RESULT = """
import sys as _sys
_worker = _sys.modules["__main__"]
if hasattr(_worker, "send"):
    _send = _worker.send
    def _forged(fd, message):
        if message.get("op") == "result":
            message["objects"] = [1, 2]
        _send(fd, message)
    _worker.send = _forged
"""


def symlinks(dest, course):
    pkg = dest / "cs231n_lite"
    (pkg / "layers.py").unlink()
    (pkg / "layers.py").symlink_to(course / "instructor" / "lib" / "cs231n_lite" / "layers.py")
    (pkg / "init.py").unlink()
    (pkg / "init.py").symlink_to("/etc/shadow")
    (dest / "datasets" / "leak.npz").symlink_to(course / "instructor" / "secret")
    nb = dest / "02_data_preprocessing.ipynb"
    nb.unlink()
    nb.symlink_to(course / "submitted" / "a_reference" / "part1" / nb.name)


def hardlink(dest, course):
    os.link(course / "instructor" / "secret", dest / "cs231n_lite" / "notes.txt")


def fifo_and_dev_zero(dest, course):
    os.mkfifo(dest / "datasets" / "pipe.npz")
    (dest / "datasets" / "zero.npz").symlink_to("/dev/zero")
    os.mkfifo(dest / "03_weight_initialization.ipynb.bak")


def forged_bytecode(dest, course):
    """The stub source with the reference's bytecode beside it, header made for the stub."""
    layers = dest / "cs231n_lite" / "layers.py"
    stat = layers.stat()
    reference = Path(tempfile.mkdtemp()) / "layers.py"
    shutil.copy(ROOT / "cs231n_lite" / "layers.py", reference)
    code = compile(reference.read_bytes(), str(layers), "exec")
    header = importlib.util.MAGIC_NUMBER + struct.pack("<III", 0, int(stat.st_mtime), stat.st_size)
    cached = Path(importlib.util.cache_from_source(str(layers)))
    cached.parent.mkdir(exist_ok=True)
    cached.write_bytes(header + marshal.dumps(code))     # what Python checks: the stub's own stat


def broken_notebooks(dest, course):
    (dest / "01_activation_functions.ipynb").write_text('{"cells": [ this is not json')
    (dest / "02_data_preprocessing.ipynb").write_text(json.dumps(
        {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}))
    nb_path = dest / "04_batch_normalization.ipynb"
    nb = json.loads(nb_path.read_text())
    grade = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade"))
    nb["cells"].append(json.loads(json.dumps(grade)))            # a grade id twice
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta:
            meta["schema_version"] = 1                           # an old nbgrader metadata schema
    nb_path.write_text(json.dumps(nb))


# student -> (variant, post-processing, what its code earns: "full", "zero" or {module: 0})
CLASS = {
    "a_reference": (Variant("reference", "reference"), None, "full"),
    "b_untouched": (Variant("untouched", "untouched"), None, "zero"),
    "c_copy_classmate": (Variant("copies a classmate", "untouched",
                                 (Append("cs231n_lite/layers.py", COPY_CLASSMATE),)), None, "zero"),
    "d_read_secrets": (Variant("reads the secret", "untouched",
                               (Append("cs231n_lite/layers.py", READ_SECRETS),)), None, "zero"),
    "e_symlinks": (Variant("symlinks", "untouched"), symlinks, "zero"),
    "f_hardlink": (Variant("hard link", "untouched"), hardlink, "zero"),
    "g_fifo": (Variant("fifo and /dev/zero", "reference"), fifo_and_dev_zero, "full"),
    "h_bytecode": (Variant("forged bytecode", "untouched"), forged_bytecode, "zero"),
    "i_protocol": (Variant("forged replies", "reference",
                           (Append("cs231n_lite/preprocess.py", FORGED_RESULT),)), None, {"preprocess": 0}),
    "j_notebooks": (Variant("broken notebooks", "reference",
                            tamper=(Tamper("rename", "test_he_init"),),
                            delete_cells=("test_adam", "q_adagrad")), broken_notebooks, "full"),
    "k_fill_disk": (Variant("fills /tmp and /dev/shm", "untouched",
                            (Append("cs231n_lite/layers.py", FILL_DISK),)), None, "zero"),
    "l_roster": (Variant("reads the roster", "untouched",
                         (Append("cs231n_lite/layers.py", ROSTER),)), None, "zero"),
    "y_reference": (Variant("reference", "reference"), None, "full"),
    "z_untouched": (Variant("untouched", "untouched"), None, "zero"),
}
HOSTILE = [s for s in CLASS if s[0] not in "abyz"]
FORMGRADER_AUTOGRADE = ("from nbgrader.apps.api import NbGraderAPI\n"
                        "from nbgrader.apps.baseapp import NbGrader\n"
                        "from nbgrader.coursedir import CourseDirectory\n"
                        "app = NbGrader()\napp.load_config_file()\n"
                        "api = NbGraderAPI(CourseDirectory(config=app.config), config=app.config)\n"
                        "result = api.autograde('part1', %r, force=True)\n"
                        "assert result['success'], result.get('error')\n")


def expected_code_score(earns):
    if earns == "full":
        return FULL
    if earns == "zero":
        return 0
    return sum(spec.points for spec in REGISTRY.values() if spec.module not in earns)


@pytest.fixture(scope="module")
def built_course(release_template):
    base = Path(tempfile.mkdtemp(prefix="cs231n-lite-hostile-"))
    os.chmod(base, 0o755)
    course = base / "course"
    copy_course(release_template, course)
    yield course
    shutil.rmtree(base, ignore_errors=True)


def submit_class(course):
    for student, (variant, post, _) in CLASS.items():
        dest = make_submission(course, student, variant)
        if post is not None:
            post(dest, course)


def leftovers(owner=None):
    """What the fill-disk attack left in the host's /tmp and /dev/shm (its files are named fill*),
    and, for an ordinary user's run, anything that user owns there."""
    found = []
    for folder in ("/tmp", "/dev/shm"):
        for entry in os.scandir(folder):
            try:
                uid = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if entry.name.startswith("fill") or (owner is not None and uid == owner):
                found.append(entry.path)
    return found


def check_class(course, left_before, owner=None):
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert set(rows) == set(CLASS), sorted(rows)
    secret = (course / "instructor" / "secret").read_text().strip()
    shadow_head = open("/etc/shadow").read(40)
    for student, (_, _, earns) in CLASS.items():
        verdicts = json.loads((course / "instructor" / "verdicts" / f"{student}.json").read_text())
        code = sum(r["score"] for nb in verdicts["notebooks"].values() for r in nb.values())
        assert code == expected_code_score(earns), (student, code)
        if earns == "full" or earns == "zero":
            assert float(rows[student]["raw_score"]) == expected_code_score(earns), (student, rows[student])
    for student in HOSTILE:
        texts = [(course / "instructor" / "verdicts" / f"{student}.json").read_text(), rows[student]["notes"]]
        for dirpath, _, names in os.walk(course / "autograded" / student):
            for name in names:
                texts.append(Path(dirpath, name).read_bytes().decode("latin-1"))
        for text in texts:
            assert secret not in text and shadow_head not in text, student
            assert "SQLite format" not in text and "def relu_forward(x):\n    out" not in text, student
    roster = (course / "instructor" / "verdicts" / "l_roster.json").read_text()
    assert not any(other in roster for other in CLASS if other != "l_roster"), "the roster leaked"
    notes = {s: rows[s]["notes"] for s in CLASS}
    assert "cs231n_lite/layers.py not graded: a symbolic link" in notes["e_symlinks"]
    assert "02_data_preprocessing.ipynb graded from the release copy: a symbolic link" in notes["e_symlinks"]
    assert "cs231n_lite/notes.txt not graded: a hard link" in notes["f_hardlink"]
    assert "datasets/pipe.npz not graded: a FIFO" in notes["g_fifo"]
    assert "datasets/zero.npz not graded: a symbolic link" in notes["g_fifo"]
    assert "01_activation_functions.ipynb graded from the release copy: not valid JSON" in notes["j_notebooks"]
    assert "02_data_preprocessing.ipynb graded from the release copy: an old notebook format" in notes["j_notebooks"]
    assert all(not notes[s] for s in ("a_reference", "b_untouched", "y_reference", "z_untouched"))
    assert set(leftovers(owner)) - left_before == set()   # what others on this machine left is theirs


def test_as_root_a_hostile_class_is_graded_and_nobody_gains_or_loses(built_course):
    submit_class(built_course)
    left_before = set(leftovers())
    proc = subprocess.run([sys.executable, "-m", "grading", "autograde", "--course", str(built_course),
                           "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    check_class(built_course, left_before)
    # nbgrader's own paths compute the same verdicts: plain `nbgrader autograde` and the call
    # Formgrader's Autograde button makes (NbGraderAPI.autograde, in the server's process)
    verdicts = built_course / "instructor" / "verdicts"
    before = {s: json.loads((verdicts / f"{s}.json").read_text())["notebooks"] for s in ("c_copy_classmate",
                                                                                       "i_protocol")}
    for student in before:
        (verdicts / f"{student}.json").unlink()
    plain = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "part1", "--force",
                            "--student=c_copy_classmate"], cwd=built_course, env=tool_env(),
                           capture_output=True, text=True, timeout=900)
    assert plain.returncode == 0, plain.stdout[-2000:] + plain.stderr[-2000:]
    button = subprocess.run([sys.executable, "-c", FORMGRADER_AUTOGRADE % "i_protocol"], cwd=built_course,
                            env=tool_env(), capture_output=True, text=True, timeout=900)
    assert button.returncode == 0, button.stdout[-2000:] + button.stderr[-2000:]
    for student, notebooks in before.items():
        again = json.loads((verdicts / f"{student}.json").read_text())["notebooks"]
        assert {nb: {g: r["score"] for g, r in rs.items()} for nb, rs in again.items()} == \
            {nb: {g: r["score"] for g, r in rs.items()} for nb, rs in notebooks.items()}, student


@pytest.mark.skipif(bool(users.available()), reason=users.available() or "")
def test_as_an_ordinary_user_the_same_class_is_graded_the_same(built_course):
    with users.OrdinaryUser() as user:
        course = user.home / "course"
        shutil.copytree(built_course, course, symlinks=True,
                        ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db",
                                                      "verdicts", "graded.json", "intake", "grades.csv"))
        for dirpath, dirnames, filenames in os.walk(course):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in filenames]:
                os.lchown(name, user.uid, user.gid)
        proc = user.run(["-m", "grading", "release", "--course", str(course)], timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        submit_class(course)
        for dirpath, dirnames, filenames in os.walk(course / "submitted"):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, user.uid, user.gid)
        left_before = set(leftovers(user.uid))
        proc = user.run(["-m", "grading", "autograde", "--course", str(course), "--workers", "2"],
                        timeout=1500)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        check_class(course, left_before, user.uid)
