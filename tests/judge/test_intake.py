"""A submission is data (grading/judge/intake.py): only its own regular files are ever read."""
import os
import socket
from pathlib import Path

import pytest

from grading.judge.intake import read_tree
from grading.judge.trusted import grade_function, grade_submission
from grading.judge.hidden import HiddenSource
from cs231n_lite.selfcheck import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-intake-secret"


@pytest.fixture
def secret_elsewhere(tmp_path):
    target = tmp_path / "instructor" / "secret"
    target.parent.mkdir()
    target.write_text("THE COURSE SECRET")
    return target


def submission(tmp_path):
    pkg = tmp_path / "sub" / "cs231n_lite"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ok.py").write_text("X = 1\n")
    return pkg


def test_links_fifos_sockets_and_devices_are_skipped_and_named(tmp_path, secret_elsewhere):
    pkg = submission(tmp_path)
    (pkg / "secret.py").symlink_to(secret_elsewhere)
    (pkg / "zero.npz").symlink_to("/dev/zero")
    (pkg / "inside.py").symlink_to(pkg / "ok.py")          # even a link to its own file
    (pkg / "dir_link").symlink_to(secret_elsewhere.parent, target_is_directory=True)
    os.mkfifo(pkg / "pipe.py")
    os.link(secret_elsewhere, pkg / "hard.py")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(pkg / "sock"))
    try:
        intake = read_tree(pkg, prefix="cs231n_lite")
    finally:
        sock.close()
    assert sorted(intake.files) == ["cs231n_lite/__init__.py", "cs231n_lite/ok.py"]
    why = dict(intake.skipped)
    assert why["cs231n_lite/secret.py"] == why["cs231n_lite/inside.py"] == why["cs231n_lite/zero.npz"] \
        == why["cs231n_lite/dir_link"] == "a symbolic link (not followed)"
    assert why["cs231n_lite/pipe.py"] == "a FIFO" and why["cs231n_lite/sock"] == "a socket"
    assert why["cs231n_lite/hard.py"].startswith("a hard link")
    assert not any(b"THE COURSE SECRET" in data for data in intake.files.values())
    assert "secret.py: a symbolic link" in intake.note()


def test_the_caps_bound_what_is_read(tmp_path):
    pkg = submission(tmp_path)
    (pkg / "big.npz").write_bytes(b"x" * 3000)
    for i in range(5):
        (pkg / f"m{i}.py").write_text("")
    deep = pkg
    for i in range(4):
        deep = deep / f"d{i}"
        deep.mkdir()
    (deep / "x.py").write_text("")
    intake = read_tree(pkg, prefix="cs231n_lite", limits=(6, 2000, 10 ** 6, 3))
    why = dict(intake.skipped)
    assert why["cs231n_lite/big.npz"].startswith("larger than") and len(intake.files) == 6
    assert any(v == "more than 6 files" for v in why.values())
    assert why["cs231n_lite/d0/d1/d2/d3"].startswith("nested more than 3")


def test_a_package_folder_that_is_a_link_is_not_entered(tmp_path):
    real = submission(tmp_path)
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "cs231n_lite").symlink_to(real, target_is_directory=True)
    intake = read_tree(tmp_path / "link" / "cs231n_lite", prefix="cs231n_lite")
    assert intake.files == {} and intake.skipped == [("cs231n_lite", "not a folder (or a link to one)")]


def test_a_graded_module_submitted_as_a_link_to_the_reference_earns_nothing(tmp_path):
    """The attack: layers.py -> the course's own reference. It scored 121/121 before."""
    pkg = tmp_path / "cs231n_lite"
    import shutil
    shutil.copytree(ROOT / "cs231n_lite", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "layers.py").unlink()
    (pkg / "layers.py").symlink_to(ROOT / "cs231n_lite" / "layers.py")
    intake = read_tree(pkg, prefix="cs231n_lite")
    results = grade_submission(intake.files, SECRET, "ada", ["01_activation_functions"], skipped=intake.skipped)
    scores = results["01_activation_functions.ipynb"]
    assert all(r.score == 0 for r in scores.values())
    assert all("cs231n_lite/layers.py was not graded: it is a symbolic link" in r.message for r in scores.values())


def test_a_stale_or_forged_pycache_in_the_submission_is_never_run(tmp_path):
    """Bytecode that differs from the source: shipped in __pycache__, it is never read."""
    import importlib.util
    import py_compile
    pkg = tmp_path / "cs231n_lite"
    import shutil
    shutil.copytree(ROOT / "cs231n_lite", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    layers = pkg / "layers.py"
    py_compile.compile(str(layers), cfile=importlib.util.cache_from_source(str(layers)))  # the reference
    original = layers.read_text()
    text = original.replace("    out = np.maximum(0, x)\n", "    out = x\n")     # wrong for x < 0
    text += "#" * (len(original) - len(text) - 1) + "\n"  # same size ...
    stat = layers.stat()
    layers.write_text(text)                               # the source's relu_forward is wrong now
    os.utime(layers, (stat.st_atime, stat.st_mtime))     # ... and mtime: Python itself would trust the pyc
    assert layers.stat().st_size == stat.st_size
    assert not [k for k in read_tree(pkg, prefix="cs231n_lite").files if "__pycache__" in k]
    result = grade_function(REGISTRY["relu_forward"], pkg, HiddenSource(SECRET, "ada"))
    assert result.score == 0 and "relu_forward" in result.message
