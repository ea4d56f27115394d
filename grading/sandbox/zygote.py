"""The host side of a zygote: the process, started once inside bubblewrap, that forks every worker.

One zygote per grader process (``current()``), started on first use (and
again if it died): bubblewrap's start-up (15-40 ms) and numpy's import are
paid once, and each graded function's worker is a fork (~2 ms). The zygote
runs no student code; requests and replies are in untrusted/protocol.py.
Its inbox (a folder of this process, read-only inside) receives the
packages the workers run (package.py).
"""
import atexit
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

from grading.sandbox import bubblewrap
from grading.sandbox.errors import SandboxFailure, SandboxUnavailable
from grading.sandbox.untrusted import protocol, wire

START_SECONDS = 20.0


class Zygote:
    """A running zygote: fork, kill and reap workers through its control socket."""

    def __init__(self):
        self.mode = bubblewrap.mode()
        self.staging = Path(tempfile.mkdtemp(prefix="cs231n-lite-zygote-"))   # 0700: this user only
        self.inbox = self.staging / "inbox"
        self.inbox.mkdir(mode=0o755)
        os.chmod(self.inbox, 0o755)      # readable inside; the 0700 folder above keeps others out
        self.lock = threading.Lock()     # one request at a time (a Dask worker may have threads)
        self.control, theirs = socket.socketpair()
        self.log = open(self.staging / "zygote.log", "w+")
        argv = bubblewrap.command(self.mode, self.inbox, theirs.fileno())
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                        pass_fds=(theirs.fileno(),), start_new_session=True,
                                        env=dict(bubblewrap.ENVIRONMENT), cwd="/")
        theirs.close()
        self.isolation = self._hello()

    def _hello(self):
        """The zygote's first message, or SandboxUnavailable with what bubblewrap said."""
        ready = select.select([self.control], [], [], START_SECONDS)[0]
        try:
            if not ready:
                raise TimeoutError
            hello = wire.receive(self.control.fileno())
            if hello.get("op") != protocol.HELLO:
                raise EOFError
            return hello.get("isolation", {})
        except (EOFError, OSError, TimeoutError, wire.WireError):
            self.log.seek(0)
            said = self.log.read().strip()[-2000:] or "nothing"
            self.close()
            hint = ("" if os.geteuid() == 0 else
                    " As an ordinary user this needs unprivileged user namespaces "
                    "(sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0 on "
                    "Debian/Ubuntu; AppArmor may restrict them for bwrap) - or grade as root.")
            raise SandboxUnavailable(
                f"the grading sandbox (bubblewrap) could not start: it said: {said}.{hint} To grade "
                f"without any protection anyway, set {bubblewrap.UNPROTECTED_VARIABLE}=1 (students' code "
                "can then read and change everything you can).") from None

    @property
    def sandboxed(self):
        return self.mode != "bare"

    def alive(self):
        return self.process.poll() is None

    def _request(self, message, reply_op=None):
        try:
            wire.send(self.control.fileno(), message)
            if reply_op is None:
                return None
            reply = wire.receive(self.control.fileno())
        except (OSError, EOFError, wire.WireError) as exc:
            raise SandboxFailure(f"the sandbox stopped answering ({type(exc).__name__})") from None
        if reply.get("op") != reply_op:
            raise SandboxFailure("the sandbox answered out of turn")
        return reply

    def fork(self, package_id, uid, limits):
        """A new worker for the package ``package_id``: (pid, the grader's end of its socket)."""
        with self.lock:
            self._request({"op": protocol.FORK, "package": package_id, "uid": uid, "limits": limits})
            try:
                data, fds, _, _ = socket.recv_fds(self.control, 8, 1)
            except OSError:
                data, fds = b"", []
        if len(data) != 8 or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise SandboxFailure("the sandbox could not start a worker")
        return struct.unpack(">q", data)[0], fds[0]

    def kill(self, pid):
        """SIGKILL to a worker (the kernel then ends everything in its PID namespace).

        Returns {"cpu": s, "waited": s} of the worker just before (untrusted/worker.py's _schedstat).
        """
        with self.lock:
            reply = self._request({"op": protocol.KILL, "pid": pid}, protocol.KILLED)
        return {k: float(reply[k]) for k in ("cpu", "waited") if isinstance(reply.get(k), (int, float))}

    def status(self, pid):
        """(wait status, CPU seconds) of an ended worker; waits for it to end."""
        with self.lock:
            reply = self._request({"op": protocol.STATUS, "pid": pid}, protocol.STATUS_IS)
        return reply.get("status"), float(reply.get("cpu") or 0.0)

    def close(self):
        try:
            self.control.close()
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            self.log.close()
            shutil.rmtree(self.staging, ignore_errors=True)


_current = None
_lock = threading.Lock()


def current():
    """This process's zygote, started on first use and again if it has died."""
    global _current
    with _lock:
        if _current is None or not _current.alive():
            if _current is not None:
                _current.close()
            _current = Zygote()
            atexit.register(_current.close)
        return _current


def reset():
    """Forget this process's zygote (after a fork: the child must start its own)."""
    global _current
    _current = None

