"""The untrusted side of grading: the zygote, and the worker that runs one graded function.

Run as ``python -I -B worker.py <control fd> <config json>`` by
grading/sandbox/zygote.py, inside bubblewrap (grading/sandbox/bubblewrap.py):
this is the *zygote*. It loads numpy once, runs no student code, and forks
one worker per graded function's test (FORK, protocol.py). A worker is PID
1 of a PID namespace of its own; it confines itself (confine.py), then
serves one session on its own socket: START imports
``cs231n_lite.<module>`` from its read-only package and replaces the
function's *declared* dependencies (the registry's ``uses``) by remote
calls to the grader's reference implementation; CALL runs the function
under test, and the arguments it may mutate (arrays, dicts, lists,
Generators, remote objects) and the global np.random state travel back with
the result. Its stdin, stdout and stderr are /dev/null: printing never
disturbs the protocol and never costs points.

This file imports only the standard library, numpy and its own folder
(wire.py, protocol.py, confine.py): nothing of the grading package.
"""
import importlib
import json
import os
import re
import signal
import socket
import struct
import sys
import traceback
import warnings

if __name__ == "__main__":    # the script the zygote runs (python -I adds no folder to sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.append(json.loads(sys.argv[2])["site"])     # numpy, and nothing else of any site-packages
    import confine
    import protocol
    from rngstate import GlobalStateWatch
    from wire import Codec, WireError, receive, send, write_back
else:                         # grading.sandbox.untrusted.worker, read by the host's tests
    from . import confine, protocol
    from .rngstate import GlobalStateWatch
    from .wire import Codec, WireError, receive, send, write_back

IN = OUT = -1  # the session's socket (set by serve)
PACKAGE_ID = re.compile(r"[0-9a-f]{16}")


# ------------------------------------------------------------------- proxies
class RemoteError(Exception):
    """An exception raised on the grader's side of a callback."""


class RemoteCallable:
    """A function living in the grader: a reference implementation or a caller's callable."""

    def __init__(self, target, name):
        self._target, self.__name__ = target, name

    def __call__(self, *args, **kwargs):
        return WORKER.callback(self._target, args, kwargs)

    def __repr__(self):
        return f"<remote {self.__name__}>"


class RemoteObject:
    """An object of the grader (e.g. a model): plain attributes here, methods called remotely."""

    def __init__(self, oid, state, methods):
        object.__setattr__(self, "_oid", oid)
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_methods", set(methods))

    def __getattr__(self, name):
        state = object.__getattribute__(self, "_state")
        if name in state:
            return state[name]
        if name in object.__getattribute__(self, "_methods"):
            return RemoteCallable(["method", self._oid, name], name)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        self._state[name] = value


# -------------------------------------------------------------------- worker
class Worker:
    def __init__(self):
        self.objects = {}
        self.np_state = GlobalStateWatch()    # the global np.random state the grader holds too
        self.codec = Codec(encode_other=self._encode_other, decode_ref=self._decode_ref)

    def _encode_other(self, value):
        if isinstance(value, RemoteCallable):
            return {"$callable": value._target}
        if isinstance(value, RemoteObject):
            return {"$object": [value._oid, None, None]}
        return None

    def _decode_ref(self, tag, payload):
        if tag == "$callable":
            return RemoteCallable(["callable", payload], "callback")
        oid, state, methods = payload
        obj = self.objects.get(oid)
        if obj is None:
            obj = self.objects[oid] = RemoteObject(oid, {}, methods or [])
        if state is not None:          # the grader's object changed: so does this one, in place
            write_back(obj._state, self.codec.decode(state))
        return obj

    def _object_states(self):
        return {str(oid): self.codec.encode(obj._state) for oid, obj in self.objects.items()}

    def _changed(self, values, sent):
        """Values the call changed in place, encoded; None for the others (nothing to write back).

        sent: the encoded values as they arrived (arrays' bytes included).
        """
        import numpy as np
        out = []
        for v, before in zip(values, sent):
            encoded = self.codec.encode(v) if isinstance(v, (np.ndarray, dict, list, np.random.Generator)) \
                else None
            out.append(None if encoded == before else encoded)
        return out

    def callback(self, target, args, kwargs):
        send(OUT, {"op": protocol.CALLBACK, "target": target, "args": self.codec.encode(list(args)),
                   "kwargs": self.codec.encode(kwargs), "objects": self._object_states()})
        reply = receive(IN)
        if reply.get("objects"):
            for oid, state in reply["objects"].items():
                self._decode_ref("$object", [int(oid), state, None])
        if reply["op"] == protocol.RAISE:
            raise type(str(reply["type"]), (RemoteError,), {})(reply["message"])
        for original, after in zip(args, reply.get("args") or []):
            if after is not None:      # None: the callee left that argument as it was
                write_back(original, self.codec.decode(after))
        return self.codec.decode(reply["value"])

    def start(self, msg):
        package = "cs231n_lite"
        module = importlib.import_module(f"{package}.{msg['module']}")
        self.function = getattr(module, msg["function"])
        if not callable(self.function):
            raise TypeError(f"{msg['function']} is not a function")
        # the declared dependencies become the grader's reference implementation
        replaced = {}
        for mod_name, name in msg["substitute"]:
            remote = replaced.setdefault((mod_name, name),
                                         RemoteCallable(["reference", mod_name, name], name))
            for loaded_name, loaded in list(sys.modules.items()):
                if loaded_name == package or loaded_name.startswith(package + "."):
                    # vars(), not getattr(): a lazy module __getattr__ must not import more
                    if name in vars(loaded):
                        setattr(loaded, name, remote)

    def parameters(self):
        """Names of the function's parameters, so messages can say 'x' rather than 'argument 1'."""
        import inspect
        try:
            return [p.name for p in inspect.signature(self.function).parameters.values()]
        except (TypeError, ValueError):
            return []

    def call(self, msg):
        import numpy as np
        args = self.codec.decode(msg["args"])
        kwargs = self.codec.decode(msg["kwargs"])
        if msg.get("np_random") is not None:   # None: the grader's state is the one we left
            state = self.codec.decode(msg["np_random"])
            np.random.set_state(state)
            self.np_state.mark(state)
        elif self.np_state.state is None:
            self.np_state.mark()
        with warnings.catch_warnings(record=True) as caught:   # they reach the test as if local
            warnings.simplefilter("always")
            value = self.function(*args, **kwargs)
        changed = self.np_state.moved()
        after = np.random.get_state() if changed else None
        if changed:
            self.np_state.mark(after)
        sent_kwargs = [pair[1] for pair in msg["kwargs"]["$dict"]]
        return {"op": protocol.RESULT, "value": self.codec.encode(value),
                "args": self._changed(args, msg["args"]), "kwargs": self._changed(list(kwargs.values()), sent_kwargs),
                "kwarg_names": list(kwargs), "objects": self._object_states(),
                "np_random": self.codec.encode(after) if changed else None,
                "warnings": [_warning(w) for w in caught[:50]]}


def _warning(record):
    """A warning the function raised, as plain data: [category name, message, file name, line]."""
    return [record.category.__name__, str(record.message)[:500], os.path.basename(str(record.filename)),
            int(record.lineno or 0)]


def _describe(exc, package_root):
    """Type, message and the student's own line where the exception was raised."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(package_root + os.sep):
            where = f"{os.path.relpath(frame.filename, package_root)}, line {frame.lineno}"
    return {"op": protocol.EXCEPTION, "type": type(exc).__name__, "message": str(exc)[:2000],
            "where": where}


def serve(fd, info, package_root):
    """Serve one session on fd (both directions): START / CALL until told to EXIT."""
    global IN, OUT, WORKER
    IN = OUT = fd
    # the package first; this folder's own modules are not the student's to import
    sys.path[:] = [package_root] + [p for p in sys.path if p and os.path.isabs(p)
                                    and p != os.path.dirname(os.path.abspath(__file__))]
    send(OUT, {"op": protocol.ISOLATED, "info": info})
    WORKER = Worker()
    while True:
        msg = receive(IN)
        try:
            if msg["op"] == protocol.START:
                WORKER.start(msg)
                reply = {"op": protocol.READY, "parameters": WORKER.parameters()}
            elif msg["op"] == protocol.CALL:
                reply = WORKER.call(msg)
            else:   # EXIT: the kernel ends everything else of this PID namespace with it
                os._exit(0)
        except BaseException as exc:  # noqa: B902  (SystemExit and KeyboardInterrupt too)
            reply = _describe(exc, package_root)
        send(OUT, reply)


def _schedstat(pid):
    """{"cpu": seconds on a CPU, "waited": seconds runnable but waiting for one} of a worker's threads.

    Read just before a worker is killed at its wall-clock limit: code that
    waited for a CPU most of that time was slowed by a busy machine, not
    written to be slow.
    """
    cpu = waited = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                on_cpu, on_queue = f.read().split()[:2]
            cpu, waited = cpu + int(on_cpu), waited + int(on_queue)
    except (OSError, ValueError):
        return {}
    return {"cpu": cpu / 1e9, "waited": waited / 1e9}


def _tasks():
    """Tasks (processes and threads) this zygote's namespace holds now (RLIMIT_NPROC counts them)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


def _worker(request, theirs, mode, config):
    """The forked child: confine, then serve; never returns."""
    code = 0
    try:
        os.setsid()
        info = confine.confine(request, mode)
        package_root = protocol.PACKAGE_DIR if mode != "bare" else \
            os.path.join(config["inbox"], request["package"])
        serve(theirs, info, package_root)
    except BaseException as exc:  # noqa: B902  (confinement failed: no student code ran)
        code = 3
        try:
            send(theirs, {"op": protocol.EXCEPTION, "type": "SandboxSetupError",
                          "message": f"{type(exc).__name__}: {exc}", "where": None})
        except OSError:
            pass
    finally:
        os._exit(code)


def zygote(control_fd, config):
    """Fork one worker per FORK request (after numpy is loaded, before any student code).

    config: {"mode": "root" | "user" (inside bubblewrap) | "bare", "inbox": the
    packages' folder as this process sees it}. Requests and replies: protocol.py.
    A fresh interpreter per graded function would cost ~70 ms; a fork ~2 ms.
    """
    import numpy  # noqa: F401  (loaded once, shared by every child)
    import numpy.random  # noqa: F401  (numpy loads it lazily: ~10 ms in every child otherwise)
    import numpy.ctypeslib  # noqa: F401  (GlobalStateWatch: ~0.5 ms in every child otherwise)

    mode = config["mode"]
    os.environ.pop("PWD", None)            # bubblewrap's --chdir sets it; workers get the variables we chose
    control = socket.socket(fileno=control_fd)
    own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY) if mode != "bare" else None
    children = {}                          # pid -> None while running, (status, cpu) once ended
    send(control_fd, {"op": protocol.HELLO, "isolation": {"mode": mode, "uid": os.getuid(),
                                                          "numpy": numpy.__version__}})
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):                   # workers inherit these: printing goes nowhere
        os.dup2(null, fd)
    os.close(null)

    def reap():
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children[pid] = (status, usage.ru_utime + usage.ru_stime)

    while True:
        try:
            request = receive(control_fd)
            op = request["op"]
        except (EOFError, OSError, WireError, KeyError, TypeError):
            os._exit(0)
        reap()
        if op == protocol.FORK and PACKAGE_ID.fullmatch(str(request.get("package"))):
            mine, theirs = socket.socketpair()
            others = _tasks() if mode == "user" else 0
            request["others"] = others
            if own_pid_ns is not None:     # the child is PID 1 of a namespace of its own
                confine.unshare(confine.CLONE_NEWPID)
            pid = os.fork()
            if pid == 0:
                control.close()
                mine.close()
                if own_pid_ns is not None:
                    os.close(own_pid_ns)
                _worker(request, theirs.detach(), mode, config)
            if own_pid_ns is not None:     # the next fork starts from this namespace again
                confine.setns(own_pid_ns, confine.CLONE_NEWPID)
            theirs.close()
            children[pid] = None
            socket.send_fds(control, [struct.pack(">q", pid)], [mine.fileno()])
            mine.close()
        elif op == protocol.KILL:
            pid = int(request["pid"])
            seen = {}
            if children.get(pid, 0) is None:
                seen = _schedstat(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            send(control_fd, {"op": protocol.KILLED, **seen})
        elif op == protocol.STATUS:
            pid = int(request["pid"])
            if children.get(pid, 0) is None:
                _, status, usage = os.wait4(pid, 0)
                children[pid] = (status, usage.ru_utime + usage.ru_stime)
            status, cpu = children.pop(pid, (None, 0.0))
            send(control_fd, {"op": protocol.STATUS_IS, "status": status, "cpu": cpu})
        else:
            os._exit(0)


WORKER = None
if __name__ == "__main__":
    zygote(int(sys.argv[1]), json.loads(sys.argv[2]))
