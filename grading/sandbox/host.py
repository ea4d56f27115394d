"""The host side of one sandboxed worker: the process that runs one graded function's test.

    with SharedPackage(files) as package:
        worker = Worker(package, Limits())      # forked by this process's zygote (zygote.py)
        worker.send({...}); reply = worker.receive()
        worker.close()                          # its CPU seconds are then in worker.cpu

A worker is PID 1 of a PID namespace of its own inside the zygote's
bubblewrap sandbox, with its own mounts, capped scratch space, no
capabilities and a seccomp filter (untrusted/confine.py); as root it also
runs as an unprivileged uid of this grader process's own. Ending it (EXIT,
or KILL after a timeout) ends everything it started.
grading/judge/session.py calls a function through a Worker.
"""
import fcntl
import os
import select
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading.sandbox.errors import SandboxFailure, SandboxUnavailable
from grading.sandbox.limits import Budget, Limits  # noqa: F401  (re-exported)
from grading.sandbox.package import SharedPackage  # noqa: F401  (re-exported)
from grading.sandbox.untrusted import protocol, wire
from grading.sandbox.untrusted.protocol import CPU_LIMIT_STATUS
from grading.sandbox.untrusted.wire import WireError

SANDBOX_UID_BASE = 2_000_000_000   # far above any real account
SLOTS = 64
SLOT_DIR = Path(tempfile.gettempdir()) / "cs231n-lite-sandbox-slots"


@dataclass
class _Slot:
    """A sandbox uid held for this process's lifetime (a lock file per uid)."""
    uid: int
    lock: object = field(repr=False)


_slot = None


def sandbox_uid():
    """The uid/gid this grader process gives its workers (root only), or None.

    Each grader process has its own (a pool of them grades in parallel), so
    RLIMIT_NPROC counts one worker's tasks only.
    """
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


class Worker:
    """One sandboxed process running a submission's package (a SharedPackage)."""

    def __init__(self, package, limits=Limits()):
        self.limits, self.package = limits, package
        self.zygote = package.zygote
        self.cpu = 0.0                 # CPU seconds it used, known once it has ended
        self.ended = False
        self.deadline = time.monotonic() + limits.startup
        uid = sandbox_uid() if self.zygote.mode == "root" else None
        self.pid, self.fd = self.zygote.fork(package.id, uid, limits.for_worker())
        reply = self.receive()
        if reply.get("op") == protocol.EXCEPTION and reply.get("type") == "SandboxSetupError":
            self.close()
            raise SandboxUnavailable(f"a grading worker could not isolate itself: {reply.get('message')}")
        if reply.get("op") != protocol.ISOLATED:
            raise SandboxFailure("the sandbox did not start")
        self.info = reply.get("info") if isinstance(reply.get("info"), dict) else {}

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
            reply = wire.receive(self.fd, self._wait)
        except TimeoutError:
            raise SandboxFailure("timeout", self.kill()) from None
        except EOFError:
            raise SandboxFailure(self._ended("while running")) from None
        except (WireError, OSError) as exc:
            self.kill()
            raise SandboxFailure(f"the process running your code sent malformed data ({exc})") from None
        if not isinstance(reply, dict):
            self.kill()
            raise SandboxFailure("the process running your code sent malformed data (not a message)")
        return reply

    def _ended(self, when):
        self.kill()
        status = self._reap()
        code = os.waitstatus_to_exitcode(status) if isinstance(status, int) else None
        how = f"was killed by signal {-code}" if code and code < 0 else f"exited with status {code}"
        # RLIMIT_CPU: SIGXCPU, which the worker turns into this exit status (as PID 1 of its
        # namespace it would ignore the signal), or SIGKILL at the hard limit
        if code == CPU_LIMIT_STATUS or (code == -signal.SIGKILL and self.cpu >= self.limits.cpu - 0.5):
            return (f"the process running your code used up its CPU time limit ({self.limits.cpu:g} s) {when}: "
                    "look for an endless loop (or very slow code)")
        return f"the process running your code {how} {when} (sys.exit, os._exit or a crash?)"

    # ------------------------------------------------------------ cleanup
    def kill(self):
        """End the worker, and with it its whole PID namespace; what it had used ({"cpu", "waited"})."""
        if not self.ended and self.zygote.alive():
            try:
                return self.zygote.kill(self.pid)
            except SandboxFailure:
                pass
        return {}

    def _reap(self):
        """Wait for the ended worker; remember its CPU seconds; its wait status."""
        if self.ended:
            return None
        self.ended = True
        if not self.zygote.alive():
            return None
        try:
            status, self.cpu = self.zygote.status(self.pid)
        except SandboxFailure:
            return None
        return status

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
        """Tell the worker to end; kill it if it does not; reap it (its CPU time)."""
        if self.fd is None:
            return
        try:
            wire.send(self.fd, {"op": protocol.EXIT})
            exited = self._exited()
        except OSError:
            exited = False
        if not exited:
            self.kill()
        self._reap()
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.fd = None
