"""A student's layers.py that tries everything a dishonest student would, and reports what it saw.

relu_forward(plan) runs each probe named in ``plan`` ({name: argument}) and
returns {name: what happened}: the content it read, or the name of the
exception that stopped it. tests/sandbox/test_isolation.py sends the plan
and checks that every probe was stopped.
"""
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read(200).decode("latin-1")
    except OSError as exc:
        return type(exc).__name__


def _listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__


def _fill(path, megabytes):
    """Write up to ``megabytes`` MiB into files path.0, path.1, ... (8 MiB each: the per-file limit
    is not what is tested); returns the MiB written before the space ran out."""
    written = 0
    block = b"\0" * 2 ** 20
    try:
        for part in range(megabytes // 8 + 1):
            with open(f"{path}.{part}", "wb") as f:
                for _ in range(min(8, megabytes - written)):
                    f.write(block)
                    f.flush()
                    written += 1
            if written >= megabytes:
                break
    except OSError:
        pass
    return written


def _syscall_errno(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    result = getattr(libc, name)(*args)
    return "allowed" if result == 0 else errno.errorcode.get(ctypes.get_errno(), "?")


def _connect(address):
    try:
        socket.create_connection(address, timeout=2).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__


def _spawn_detached(tag):
    subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({tag})"], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return "spawned"


def _fork_bomb(limit):
    children = []
    try:
        for _ in range(limit):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    except OSError as exc:
        return len(children), type(exc).__name__
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
    return len(children), "no limit"


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    return None


PROBES = {
    "read": _read,
    "list": _listing,
    "fill": lambda arg: _fill(*arg),
    "connect": lambda arg: _connect(tuple(arg)),
    "unshare_user": lambda _: _syscall_errno("unshare", 0x10000000),
    "unshare_mount": lambda _: _syscall_errno("unshare", 0x00020000),
    "mount_tmpfs": lambda _: _syscall_errno("mount", b"tmpfs", b"/tmp", b"tmpfs", 0, None),
    "ptrace_parent": lambda _: _syscall_errno("ptrace", 16, os.getppid(), None, None),  # PTRACE_ATTACH
    "kill_everyone": lambda _: _syscall_errno("kill", -1, 9),
    "spawn_detached": _spawn_detached,
    "fork_bomb": _fork_bomb,
    "status": _status,
    "uid": lambda _: os.getuid(),
    "pid": lambda _: os.getpid(),
}


def relu_forward(plan):
    """Run the probes of plan, in order; {key: result}. A key is 'probe:anything'."""
    seen = {}
    for key, argument in plan.items():
        probe = PROBES[key.split(":", 1)[0]]
        try:
            seen[key] = probe(argument)
        except Exception as exc:    # a probe that crashed was stopped too
            seen[key] = f"raised {type(exc).__name__}"
    return seen
