"""The sandbox is an allowlist: a hostile package sees only the interpreter, numpy and itself.

Each probe of tests/sandbox/hostile_layers.py is an attack a dishonest
student tried against the denylist sandbox (issue 20): reading a classmate's
submission, the gradebook, the secret or the repository; listing the host's
processes; reaching the network; filling /tmp or /dev/shm; leaving files or
processes behind; making namespaces, mounts or ptrace; killing everything.
The course files here are world-readable on purpose: what stops the
student is that they are not in the worker's filesystem at all. The same
probes run as root and as an ordinary user (a throw-away Unix user).
"""
import json
import os
import socket
import subprocess
import sys
import sysconfig
import tempfile
import shutil
from pathlib import Path

import pytest

import users

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "probe_run.py"
TAG = 2718.25          # the detached process's sleep: what pgrep looks for


@pytest.fixture(scope="module")
def course():
    """A course folder readable by everyone: gradebook, secret, a classmate's submission."""
    base = Path(tempfile.mkdtemp(prefix="cs231n-lite-course-"))
    files = {"gradebook.db": "SQLite format 3 grades", "instructor/secret": "the course secret",
             "submitted/classmate/part1/cs231n_lite/layers.py": "def relu_forward(x): classmate",
             "autograded/classmate/part1/01_activation_functions.ipynb": "{}"}
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o644)
    for dirpath, _, _ in os.walk(base):
        os.chmod(dirpath, 0o755)
    yield base
    shutil.rmtree(base)


@pytest.fixture(scope="module")
def server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    yield listener.getsockname()[1]
    listener.close()


def plans(course, port):
    site = sysconfig.get_paths()["purelib"]
    base_site = Path(sysconfig.get_path("purelib", vars={"base": sys.base_prefix}))
    reads = [course / "gradebook.db", course / "instructor/secret",
             course / "submitted/classmate/part1/cs231n_lite/layers.py",
             ROOT / "cs231n_lite/layers.py", ROOT / "grading/judge/trusted.py", ROOT / ".git/HEAD",
             Path(site) / "nbgrader/__init__.py", base_site / "pip/__init__.py",
             "/etc/shadow", "/etc/passwd", "/root/.bashrc",
             "/sandbox/inbox/OTHER_ID/cs231n_lite/layers.py"]
    first = {f"read:{p}": str(p) for p in reads}
    first.update({"list:/": "/", "list:/proc": "/proc", "list:/sandbox/inbox": "/sandbox/inbox",
                  "list:/home": "/home", f"list:{course}": str(course),
                  "fill:/tmp": ["/tmp/big", 200], "fill:/dev/shm": ["/dev/shm/big", 200],
                  "fill:package": ["/sandbox/package/cs231n_lite/new.py", 1],
                  "fill:/tmp/leftover": ["/tmp/leftover", 1],
                  "connect:host": ["127.0.0.1", port], "connect:outside": ["192.0.2.1", 80],
                  "unshare_user": None, "unshare_mount": None, "mount_tmpfs": None, "ptrace_parent": None,
                  "status:CapEff": "CapEff", "status:CapBnd": "CapBnd", "status:NoNewPrivs": "NoNewPrivs",
                  "status:Seccomp": "Seccomp", "uid": None, "pid": None,
                  "fork_bomb": 200, "spawn_detached": TAG, "kill_everyone": None})
    second = {"read:/tmp/leftover": "/tmp/leftover.0", "list:/tmp": "/tmp", "pid": None}
    return [first, second]


def detached_alive():
    return subprocess.run(["pgrep", "-f", f"time.sleep\\({TAG}\\)"], capture_output=True).returncode == 0


def check_isolated(result, course, as_root):
    first, second = result["seen"]
    for key, value in first.items():
        if key.startswith("read:"):
            assert value in ("FileNotFoundError", "PermissionError"), (key, value)
    assert first["list:/"] == ["dev", "etc", "lib", "lib64", "proc", "root", "sandbox", "tmp", "usr"] or \
        set(first["list:/"]) <= {"dev", "etc", "lib", "lib64", "lib32", "proc", "root", "sandbox", "tmp", "usr",
                                 "bin", "opt"}, first["list:/"]
    assert first["list:/proc"][:1] == ["1"] and all(not p.isdigit() or int(p) < 64 for p in first["list:/proc"])
    assert first["list:/sandbox/inbox"] == [] and first["list:/home"] == "FileNotFoundError"
    assert first[f"list:{course}"] == "FileNotFoundError"
    assert 50 <= first["fill:/tmp"] <= 64 and 10 <= first["fill:/dev/shm"] <= 16, first
    assert first["fill:package"] == 0
    assert first["connect:host"] != "connected" and first["connect:outside"] != "connected"
    for probe in ("unshare_user", "unshare_mount", "mount_tmpfs", "ptrace_parent"):
        assert first[probe] == "EPERM", (probe, first[probe])
    assert int(first["status:CapEff"], 16) == 0 and int(first["status:CapBnd"], 16) == 0
    assert first["status:NoNewPrivs"] == "1" and first["status:Seccomp"] == "2"
    assert first["pid"] == 1 and second["pid"] == 1              # PID 1 of a namespace of its own
    assert (first["uid"] != 0) if as_root else True
    forked, stopped_by = first["fork_bomb"]
    assert forked < 20 and stopped_by == "BlockingIOError", first["fork_bomb"]
    assert second["read:/tmp/leftover"] == "FileNotFoundError" and second["list:/tmp"] == []
    assert not detached_alive()


def test_as_root_a_hostile_package_reaches_nothing_of_the_course(course, server, tmp_path):
    request = {"package": str(tmp_path), "sessions": plans(course, server)}
    proc = subprocess.run([sys.executable, str(RUNNER)], input=json.dumps(request), capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["mode"] == "root"
    check_isolated(result, course, as_root=True)


@pytest.mark.skipif(bool(users.available()), reason=users.available() or "")
def test_as_an_ordinary_user_a_hostile_package_reaches_nothing_either(course, server):
    with users.OrdinaryUser() as user:
        request = {"package": str(user.home / "work"), "sessions": plans(course, server)}
        proc = user.run([str(user.project / "tests/sandbox/probe_run.py")], input=json.dumps(request),
                        timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout)
        assert result["mode"] == "user"
        check_isolated(result, course, as_root=False)


def test_the_grader_and_its_zygote_survive_a_worker_that_kills_everything(tmp_path):
    from grading.judge.session import Session
    from helpers import FAST, package
    pkg = package(tmp_path, "import ctypes\ndef relu_forward(x):\n"
                            "    return ctypes.CDLL(None).kill(-1, 9)\n")
    zygotes = []
    for _ in range(2):          # the second session is forked by the same zygote, which is unharmed
        with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
            assert s.function(0) in (0, -1)      # kill(-1) reached only the worker's own namespace
            zygotes.append(s.worker.zygote)
    assert zygotes[0] is zygotes[1] and zygotes[0].alive()
