"""Run a submission's function in a sandboxed worker process and call it from here.

    with Session(package_dir, "layers", "relu_forward", substitute) as session:
        out, cache = session.function(x)      # runs in the worker

The worker (grading/worker.py) gets a scratch copy of the submission's
package and nothing else of the course; when the grader is root it runs as
a dedicated unprivileged uid, in its own mount and network namespaces, with
the course and instructor paths hidden. In every case it has limits on
address space, CPU time, file size and processes, no grading variables in
its environment, and its whole process group (and, as root, every process
of its uid) is killed when the session ends or times out.

Only plain data crosses (grading/wire.py). Callables and objects given to
the function stay here: the worker calls them back, and calls back the
reference implementation of every other graded function.
"""
import atexit
import fcntl
import inspect
import keyword
import functools
import importlib
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
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading import wire
from grading.wire import Codec, WireError, write_back

HERE = Path(__file__).resolve().parent
WORKER_SOURCE = (HERE / "wire.py").read_text() + "\n" + (HERE / "worker.py").read_text()
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
    root = HERE.parent
    return [str(root / name) for name in ("cs231n_lite", "grading", "notebooks", "tests", ".git",
                                          "build", "docs", "instructor")]


class Zygote:
    """The process that forks every worker of this grader process (grading/worker.py).

    It starts once (a fresh interpreter that loads numpy, ~70 ms), runs no
    student code, and forks a session per graded function in ~2 ms.
    """

    def __init__(self):
        self.control, theirs = socket.socketpair()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", WORKER_SOURCE, str(theirs.fileno())],
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


_zygote = None


def zygote():
    """This grader process's zygote, started on first use (and again if it died)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote


class Worker:
    """One sandboxed process with a scratch copy of a submission's package."""

    def __init__(self, package_dir, limits=Limits(), hide=()):
        self.limits = limits
        self.uid = sandbox_uid()
        self.scratch = tempfile.mkdtemp(prefix="cs231n-lite-sandbox-")
        shutil.copytree(package_dir, os.path.join(self.scratch, "cs231n_lite"), symlinks=False,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.makedirs(os.path.join(self.scratch, "tmp"))
        if self.uid is not None:
            for dirpath, dirnames, filenames in os.walk(self.scratch):
                for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                    os.lchown(name, self.uid, self.uid)
        self.deadline = time.monotonic() + limits.startup
        self.zygote = zygote()
        self.pid, self.fd = self.zygote.fork()
        self.send({"op": "setup", "scratch": self.scratch, "uid": self.uid, "gid": self.uid,
                   "hide": [str(p) for p in hide], "expose": _interpreter_paths(),
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
    def kill(self):
        """End the worker's process group and, as root, every process of its uid."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            _kill_all_of_uid(self.uid)

    def close(self):
        try:
            wire.send(self.fd, {"op": "exit"})
        except OSError:
            pass
        self.kill()
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.zygote.alive():
            self.zygote.status(self.pid)     # reaped: no zombie is left behind
        shutil.rmtree(self.scratch, ignore_errors=True)


def _kill_all_of_uid(uid):
    """kill(-1) as the sandbox uid: reaches every process it started, detached or not."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (child: only system calls, then _exit)
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- sessions
class Session:
    """One graded function under test: a worker, its import, and a proxy to call it.

    Inputs:
    - package_dir: the submission's cs231n_lite folder
    - module, function: where the function under test lives
    - substitute: [(module, name)] graded functions replaced in the worker
      by this process's reference implementation
    - reference_package: the trusted package whose modules provide them
    """

    def __init__(self, package_dir, module, function, substitute=(), limits=Limits(), hide=None,
                 reference_package="cs231n_lite"):
        self.name, self.limits = function, limits
        self.allowed = {(m, n) for m, n in substitute}
        self.reference_package = reference_package
        self.callables, self.objects = {}, {}
        self.codec = Codec(encode_other=self._encode_other, decode_ref=self._decode_ref)
        self.failure = None
        self.worker = None
        self.parameters = []
        self._synced_state = None   # the global np.random state both sides hold
        try:
            self.worker = Worker(package_dir, limits, default_hidden_paths() if hide is None else hide)
            self.worker.send({"op": "start", "module": module, "function": function,
                              "substitute": [list(p) for p in sorted(self.allowed)]})
            reply = self.worker.receive()
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"importing cs231n_lite.{module}")
            return
        self.worker.deadline = time.monotonic() + limits.wall
        self.parameters = [n for n in reply.get("parameters") or [] if isinstance(n, str) and n.isidentifier()
                           and len(n) <= 40 and not keyword.iskeyword(n)]
        if reply.get("op") == "exception":
            where = f" ({reply['where']})" if reply.get("where") else ""
            self.failure = (f"importing cs231n_lite.{module} failed: {reply.get('type')}: "
                            f"{reply.get('message')}{where}")

    def _explain(self, exc, doing):
        if str(exc) == "timeout":
            return (f"{doing} did not finish within the time limit; look for an endless loop "
                    "(or very slow code) there.")
        return f"{doing}: {exc}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    # ----------------------------------------------------- values out / in
    def _encode_other(self, value):
        if _is_function(value):
            cid = len(self.callables)
            self.callables[cid] = value
            return {"$callable": cid}
        if hasattr(value, "__dict__") and not isinstance(value, type):
            oid = next((k for k, v in self.objects.items() if v is value), len(self.objects))
            self.objects[oid] = value
            methods = [m for m in dir(type(value)) if not m.startswith("_")
                       and callable(getattr(type(value), m, None))]
            return {"$object": [oid, self.codec.encode(_plain_state(value)), methods]}
        return None

    def _decode_ref(self, tag, payload):
        try:
            if tag == "$callable":
                return self.callables[int(payload)]
            return self.objects[int(payload[0])]
        except (KeyError, TypeError, ValueError, IndexError):
            raise WireError(f"unknown reference {payload!r}") from None

    def _apply_states(self, states):
        for oid, state in (states or {}).items():
            obj = self.objects.get(int(oid))
            if obj is None:
                raise WireError(f"unknown object {oid}")
            for key, value in self.codec.decode(state).items():
                if key in _plain_state(obj):
                    current = getattr(obj, key)
                    if isinstance(current, dict) and isinstance(value, dict):
                        current.clear()
                        current.update(value)
                    else:
                        setattr(obj, key, value)

    # ------------------------------------------------------------- calling
    @property
    def proxy(self):
        """The function under test as a plain function, with the student's parameter names."""
        def proxy(*args, **kwargs):
            return self.function(*args, **kwargs)
        try:
            proxy.__signature__ = inspect.Signature(
                [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in self.parameters])
        except ValueError:  # duplicate or invalid names from the worker: keep the generic signature
            pass
        proxy.__name__ = self.name
        return proxy

    def function(self, *args, **kwargs):
        """Call the function under test in the worker; returns its (decoded) result."""
        if self.failure:
            raise SandboxFailure(self.failure)
        try:
            self.worker.send({"op": "call", "args": self.codec.encode(list(args)),
                              "kwargs": self.codec.encode(kwargs),
                              "np_random": self._global_state_to_send()})
            while True:
                reply = self.worker.receive()
                if reply.get("op") != "callback":
                    break
                self._serve_callback(reply)
            return self._finish(reply, args, kwargs)
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"{self.name}")
            raise SandboxFailure(self.failure) from None
        except (WireError, KeyError, TypeError, ValueError) as exc:
            self.worker.kill()
            self.failure = f"{self.name} returned something that is not plain data ({exc})."
            raise SandboxFailure(self.failure) from None

    def _finish(self, reply, args, kwargs):
        if reply.get("op") == "exception":
            raise _exception(reply)
        if reply.get("op") != "result":
            raise WireError("unexpected reply")
        self._apply_states(reply.get("objects"))
        for original, after in zip(args, reply.get("args") or []):
            if after is not None:
                write_back(original, self.codec.decode(after))
        for key, after in zip(reply.get("kwarg_names") or [], reply.get("kwargs") or []):
            if after is not None and key in kwargs:
                write_back(kwargs[key], self.codec.decode(after))
        if reply.get("np_random") is not None:   # the function used the global np.random state
            np.random.set_state(self.codec.decode(reply["np_random"]))
        self._synced_state = np.random.get_state()
        return self.codec.decode(reply["value"])

    def _global_state_to_send(self):
        """The global np.random state, unless the worker already holds exactly this one.

        The state (2.5 kB) travels only when it differs from the one both
        sides agreed on after the last call: most tests never touch it.
        """
        state = np.random.get_state()
        synced = self._synced_state
        if synced is not None and synced[2] == state[2] and np.array_equal(synced[1], state[1]) \
                and synced[3:] == state[3:]:
            return None
        return self.codec.encode(state)

    def _serve_callback(self, msg):
        """Run a reference function, a caller's callable or an object's method for the worker."""
        try:
            self._apply_states(msg.get("objects"))
            target = msg["target"]
            fn = self._callback_target(target)
            args = self.codec.decode(msg["args"])
            kwargs = self.codec.decode(msg["kwargs"])
            with np.errstate(all="ignore"):
                value = fn(*args, **kwargs)
            reply = {"op": "return", "value": self.codec.encode(value),
                     "args": [self.codec.encode(a) for a in args],
                     "objects": {str(k): self.codec.encode(_plain_state(o)) for k, o in self.objects.items()}}
        except WireError:
            raise
        except Exception as exc:  # the reference raised on the student's arguments
            reply = {"op": "raise", "type": type(exc).__name__, "message": str(exc)[:2000]}
        self.worker.send(reply)

    def _callback_target(self, target):
        kind = target[0]
        if kind == "reference" and (target[1], target[2]) in self.allowed:
            module = importlib.import_module(f"{self.reference_package}.{target[1]}")
            return getattr(module, target[2])
        if kind == "callable":
            return self.callables[int(target[1])]
        if kind == "method":
            obj = self.objects[int(target[1])]
            if isinstance(target[2], str) and not target[2].startswith("_"):
                return getattr(obj, target[2])
        raise WireError(f"callback to {target!r} is not allowed")


def _is_function(value):
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                              functools.partial))


def _plain_state(obj):
    """The attributes of an object that can cross as plain data."""
    strict = Codec(strict=True)
    state = {}
    for key, value in vars(obj).items():
        try:
            strict.encode(value)
        except WireError:
            continue
        state[key] = value
    return state


def _exception(reply):
    """The student's exception, rebuilt by name (never unpickled)."""
    name = "".join(c for c in str(reply.get("type", "Exception")) if c.isalnum() or c == "_")[:60]
    message = str(reply.get("message", ""))
    if reply.get("where"):
        message += f" ({reply['where']})"
    if name == "NotImplementedError":
        return NotImplementedError(message)
    return type(name or "Exception", (Exception,), {})(message)
