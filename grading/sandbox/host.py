"""The sandboxed worker processes that run a submission's code (grading/sandbox/untrusted/worker.py).

A Worker sees the submission's package (a read-only SharedPackage copy, one
per notebook) and a scratch folder of its own, and nothing else of the
course; when the grader is root it runs as a dedicated unprivileged
uid, in its own mount and network namespaces, with the course and
instructor paths hidden. In every case it has limits on address space, CPU
time, file size and processes, no grading variables in its environment, and
its whole process group is killed when it ends or times out; as root, every
process of its uid is killed by the worker itself as it ends, and by a
zygote after a worker that did not end by itself and when a SharedPackage
closes. Workers are forked by a Zygote of their grader process.
grading/judge/session.py calls a function through a Worker.
"""
import atexit
import fcntl
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading.sandbox.untrusted import wire
from grading.sandbox.untrusted.wire import WireError

HERE = Path(__file__).resolve().parent
WORKER_SOURCE = (HERE / "untrusted" / "wire.py").read_text() + "\n" + (HERE / "untrusted" / "worker.py").read_text()
SANDBOX_UID_BASE = 2_000_000_000   # far above any real account
SLOTS = 64
SLOT_DIR = Path(tempfile.gettempdir()) / "cs231n-lite-sandbox-slots"


@dataclass(frozen=True)
class Limits:
    """What one worker (one graded function's test) may use."""
    wall: float = 30.0                 # seconds for the whole test, all calls included
    cpu: int = 30                      # CPU seconds (RLIMIT_CPU)
    memory: int = 2 * 2 ** 30          # address space in bytes (RLIMIT_AS)
    file_size: int = 16 * 2 ** 20      # largest file it may write (RLIMIT_FSIZE)
    processes: int = 16                # tasks of the sandbox user (RLIMIT_NPROC)
    startup: float = 20.0              # seconds to start and import the module


class SandboxFailure(CheckFailed):
    """The worker cannot go on (hung, exited, broke the protocol); the message is for the student.

    A CheckFailed, so the tests' call() passes the message on unchanged.
    """


@dataclass
class _Slot:
    """A sandbox uid held for this process's lifetime (a lock file per uid)."""
    uid: int
    lock: object = field(repr=False)


_slot = None


def sandbox_uid():
    """The uid/gid this grader process gives its workers (root only), or None."""
    global _slot
    if os.geteuid() != 0:
        return None
    if _slot is None:
        SLOT_DIR.mkdir(mode=0o700, exist_ok=True)
        for i in range(SLOTS):
            lock = open(SLOT_DIR / f"{i}.lock", "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            _slot = _Slot(SANDBOX_UID_BASE + i, lock)
            break
        else:
            raise RuntimeError(f"all {SLOTS} sandbox slots are in use")
    return _slot.uid


def _interpreter_paths():
    """Directories the worker's interpreter must reach (stdlib, site-packages)."""
    paths = {os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix),
             os.path.realpath(sys.prefix), os.path.dirname(os.path.realpath(np.__file__))}
    return sorted(paths)


def default_hidden_paths():
    """Instructor material the worker must not see: this grading package's repository."""
    root = HERE.parents[1]
    return [str(root / name) for name in ("cs231n_lite", "grading", "notebooks", "tests", ".git",
                                          "build", "docs", "instructor")]


class Zygote:
    """The process that forks every worker of this grader process (grading/sandbox/untrusted/worker.py).

    It starts once (a fresh interpreter that loads numpy, ~70 ms), runs no
    student code, and forks a session per graded function in ~2 ms. As
    root it first enters its own mount and network namespaces with
    ``hide`` covered: its workers inherit them.
    """

    def __init__(self, hide=()):
        self.hide = tuple(hide)
        self.staging = tempfile.mkdtemp(prefix="cs231n-lite-zygote-")   # root-only (0700)
        self.control, theirs = socket.socketpair()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1"}
        config = {"hide": list(self.hide), "expose": _interpreter_paths(), "staging": self.staging}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", WORKER_SOURCE, str(theirs.fileno()), json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),), start_new_session=True, env=env, cwd="/")
        theirs.close()

    def alive(self):
        return self.process.poll() is None

    def fork(self):
        """A new session process: (pid, the grader's end of its socket)."""
        wire.send(self.control.fileno(), {"op": "fork"})
        data, fds, _, _ = socket.recv_fds(self.control, 8, 1)
        if len(data) != 8 or len(fds) != 1:
            raise SandboxFailure("the sandbox could not start a worker")
        return struct.unpack(">q", data)[0], fds[0]

    def kill_uid(self, uid):
        """kill(-1) as the sandbox uid: reaches every process it started, detached or not.

        The zygote forks for it (~2 ms): forking this much larger grader
        process costs more.
        """
        wire.send(self.control.fileno(), {"op": "kill_uid", "uid": uid})
        wire.receive(self.control.fileno())

    def status(self, pid):
        """The wait status of an ended session process (None if unknown)."""
        wire.send(self.control.fileno(), {"op": "status", "pid": pid})
        return wire.receive(self.control.fileno()).get("status")

    def close(self):
        try:
            self.control.close()
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            shutil.rmtree(self.staging, ignore_errors=True)


_zygotes = {}        # hidden paths -> the Zygote that hides them
MAX_ZYGOTES = 4


def zygote(hide=()):
    """This grader process's zygote hiding ``hide``, started on first use (and again if it died).

    Only the paths that exist now count: one created later needs (and
    gets) a new zygote, since mounts are made when a zygote starts.
    """
    key = tuple(sorted({os.path.realpath(p) for p in hide if os.path.isdir(p)}))
    current = _zygotes.pop(key, None)
    if current is None or not current.alive():
        if current is not None:
            current.close()
        current = Zygote(key)
        atexit.register(current.close)
    _zygotes[key] = current              # most recently used last
    while len(_zygotes) > MAX_ZYGOTES:
        _zygotes.pop(next(iter(_zygotes))).close()
    return current


def kill_uid(uid, prefer=None):
    """Kill every process of a sandbox uid through ``prefer``, or any zygote if it has ended."""
    (prefer if prefer is not None and prefer.alive() else zygote()).kill_uid(uid)


class SharedPackage:
    """A read-only copy of a submission's package for every worker of this grader process.

    Copied once per notebook instead of once per graded function. As root it
    belongs to root with the group of this process's sandbox uid (dirs 0750,
    files 0640): its workers can read it and nobody else's can, and none can
    change it for the functions tested after it. Without root it is only
    marked read-only.
    """

    def __init__(self, package_dir):
        self.uid = sandbox_uid()
        self.leftovers = None         # a zygote whose workers may have left processes behind
        self.root = tempfile.mkdtemp(prefix="cs231n-lite-package-")
        self.path = os.path.join(self.root, "cs231n_lite")
        shutil.copytree(package_dir, self.path, symlinks=False,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for dirpath, _, filenames in os.walk(self.root, topdown=False):
            for name in filenames:
                self._protect(os.path.join(dirpath, name), 0o640 if self.uid is not None else 0o440)
            self._protect(dirpath, 0o750 if self.uid is not None else 0o550)

    def store_bytecode(self, compiled):
        """Cache the bytecode a worker compiled ({path under root: uint8 array}) as __pycache__ files.

        The next workers import it instead of compiling (~2 ms each). The
        header (magic, source mtime and size) is made here from the source
        file, so Python uses the bytecode only for the source it was made
        from. The code itself came from a worker: only workers of this
        package, running this same submission, ever load it.
        """
        for rel, code in compiled.items() if isinstance(compiled, dict) else ():
            if not (isinstance(rel, str) and rel.endswith(".py") and isinstance(code, np.ndarray)
                    and code.dtype == np.uint8 and code.ndim == 1):
                continue
            source = os.path.realpath(os.path.join(self.root, rel))
            target = importlib.util.cache_from_source(source)
            if not source.startswith(self.path + os.sep) or not os.path.isfile(source) \
                    or os.path.exists(target):
                continue
            stat = os.stat(source)
            header = importlib.util.MAGIC_NUMBER + struct.pack(
                "<III", 0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF)
            if not os.path.isdir(os.path.dirname(target)):
                os.mkdir(os.path.dirname(target))
                self._protect(os.path.dirname(target), 0o750 if self.uid is not None else 0o550)
            with open(target + ".tmp", "wb") as f:
                f.write(header + code.tobytes())
            self._protect(target + ".tmp", 0o640 if self.uid is not None else 0o440)
            os.replace(target + ".tmp", target)

    def _protect(self, path, mode):
        if self.uid is not None:
            os.lchown(path, 0, self.uid)
        os.chmod(path, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.leftovers is not None:       # the workers' leftovers (see Worker.close)
            kill_uid(self.uid, self.leftovers)
            self.leftovers = None
        for dirpath, _, _ in os.walk(self.root):
            os.chmod(dirpath, 0o700)       # without root, the owner needs write access to delete
        shutil.rmtree(self.root, ignore_errors=True)


class Worker:
    """One sandboxed process running a submission's package (a SharedPackage, or a folder it copies)."""

    def __init__(self, package, limits=Limits(), hide=()):
        self.limits = limits
        self.uid = sandbox_uid()
        self.scratch = tempfile.mkdtemp(prefix="cs231n-lite-sandbox-")
        self.shared = package if isinstance(package, SharedPackage) else None
        if self.shared is not None:
            package_root = package.root
        else:
            package_root = self.scratch
            shutil.copytree(package, os.path.join(self.scratch, "cs231n_lite"), symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.makedirs(os.path.join(self.scratch, "tmp"))
        if self.uid is not None:
            for dirpath, dirnames, filenames in os.walk(self.scratch):
                for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                    os.lchown(name, self.uid, self.uid)
        self.deadline = time.monotonic() + limits.startup
        self.zygote = zygote(hide)
        self.pid, self.fd = self.zygote.fork()
        self.send({"op": "setup", "scratch": self.scratch, "package_root": package_root,
                   "uid": self.uid, "gid": self.uid,
                   "limits": {"memory": limits.memory, "cpu": limits.cpu,
                              "file_size": limits.file_size, "processes": limits.processes}})
        reply = self.receive()
        if reply.get("op") != "isolated":
            raise SandboxFailure("the sandbox did not start")
        self.info = reply.get("info", {})

    # ------------------------------------------------------------ channel
    def _wait(self, fd):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        return True

    def send(self, message):
        try:
            wire.send(self.fd, message)
        except (BrokenPipeError, OSError):
            raise SandboxFailure(self._ended("before it could receive its input")) from None

    def receive(self):
        try:
            return wire.receive(self.fd, self._wait)
        except TimeoutError:
            self.kill()
            raise SandboxFailure("timeout") from None
        except EOFError:
            raise SandboxFailure(self._ended("while running")) from None
        except WireError as exc:
            self.kill()
            raise SandboxFailure(f"the process running your code sent malformed data ({exc})") from None

    def _ended(self, when):
        self.kill()
        status = self.zygote.status(self.pid)
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        how = f"was killed by signal {-code}" if code and code < 0 else f"exited with status {code}"
        if code == -signal.SIGXCPU:
            how = "used up its CPU time limit"
        return f"the process running your code {how} {when} (sys.exit, os._exit or a crash?)"

    # ------------------------------------------------------------ cleanup
    def kill(self, whole_uid=True):
        """End the worker's process group and, as root and unless told not to, every process of its uid."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if whole_uid and self.uid is not None:
            kill_uid(self.uid, self.zygote)   # any zygote will do: zygote() closes the oldest

    def _exited(self, seconds=1.0):
        """Whether the worker closed its end of the socket (it exits) within ``seconds``."""
        try:
            while select.select([self.fd], [], [], seconds)[0]:
                if not os.read(self.fd, 65536):
                    return True
        except OSError:
            pass
        return False

    def close(self):
        """Tell the worker to end; kill what remains.

        A worker told to exit kills its uid's other processes itself. With a
        SharedPackage, a worker that did so in time is not followed by the
        zygote's kill_uid (~2 ms a function): the package's close does it
        once, before any other submission can run under this uid.
        """
        try:
            wire.send(self.fd, {"op": "exit"})
            exited = self._exited()
        except OSError:
            exited = False
        self.kill(whole_uid=not (exited and self.shared is not None))
        if self.shared is not None and self.uid is not None:
            self.shared.leftovers = self.zygote
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.zygote.alive():
            self.zygote.status(self.pid)     # reaped: no zombie is left behind
        shutil.rmtree(self.scratch, ignore_errors=True)
