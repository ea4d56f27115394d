"""The sandboxed worker: isolates itself, imports the submission, serves calls.

Its source (after grading/sandbox/untrusted/wire.py's) is run by ``python -I -c`` as a
*zygote* started by grading/sandbox/host.py: it loads numpy, then forks one
process per graded function's test (``zygote``); it never imports the
grading package. A session's messages travel on its own socket (stdin,
stdout and stderr are /dev/null, so printing never disturbs the protocol
and never costs points).

Order of events (all before any student code runs):
0. the zygote, as root, enters new mount and network namespaces, hides
   the instructor paths under empty read-only tmpfs and exposes the
   interpreter, once: every worker it forks inherits them.
1. ``setup``: without root, a new user and network namespace; resource
   limits; then, as root, drop to the sandbox uid/gid for good.
2. ``start``: import ``cs231n_lite.<module>`` from the submission's copy and
   replace every *other* graded function in the loaded modules by a
   remote call to the grader's reference implementation (one test, one
   function).
3. ``call``: run the function under test; arguments the function may
   mutate (arrays, dicts, lists, Generators, remote objects) and the
   global np.random state travel back with the result.
"""
import ctypes
import importlib
import importlib.machinery
import marshal
import os
import resource
import sys
import traceback

IN = OUT = -1  # the session's socket (set by serve)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_BIND, MS_REC, MS_PRIVATE = 1, 4096, 16384, 1 << 18


# ------------------------------------------------------------------ isolation
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(source, target, fstype, flags, data):
    libc = _libc()
    args = [x.encode() if isinstance(x, str) else x for x in (source, target, fstype)]
    if libc.mount(args[0], args[1], args[2], flags, data.encode() if data else None) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _unshare(flags):
    if _libc().unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def _expose(path, scratch, index):
    """Make ``path`` reachable although an ancestor is closed to others (e.g. /root, 0700).

    The closed ancestor is covered by an empty tmpfs (mode 0755), and the
    one child on the way to ``path`` is bind-mounted back: the sandbox user
    can reach the interpreter and nothing else under that ancestor.
    """
    parts = os.path.realpath(path).split(os.sep)[1:]
    for depth in range(1, len(parts)):
        ancestor = os.sep + os.path.join(*parts[:depth])
        if os.stat(ancestor).st_mode & 0o001:
            continue
        child = os.path.join(ancestor, parts[depth])
        staging = os.path.join(scratch, f".expose{index}")
        os.makedirs(staging, exist_ok=True)
        _mount(child, staging, None, MS_BIND | MS_REC, None)
        _mount("tmpfs", ancestor, "tmpfs", 0, "mode=0755,size=64k")
        os.makedirs(child, exist_ok=True)
        _mount(staging, child, None, MS_BIND | MS_REC, None)
        return ancestor
    return None


def _task_count(uid):
    """Tasks (processes and threads) of a user: what RLIMIT_NPROC counts."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return count


def isolate_zygote(cfg):
    """The zygote's own isolation, inherited by every worker it forks (root only).

    New mount and network namespaces, instructor paths hidden under empty
    read-only tmpfs, the interpreter exposed: done once per zygote instead
    of once per graded function (the mounts alone cost ~3 ms a worker).
    Returns what was achieved; {} without root (each worker then makes
    its own user and network namespace).
    """
    if os.geteuid() != 0:
        return {}
    info = {"network": False, "hidden": [], "exposed": []}
    try:
        _unshare(CLONE_NEWNS | CLONE_NEWNET)
        info["network"] = True
        _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        for i, path in enumerate(cfg["expose"]):
            ancestor = _expose(path, cfg["staging"], i)
            if ancestor:
                info["exposed"].append(ancestor)
        for path in cfg["hide"]:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_RDONLY, "mode=0755,size=4k")
                info["hidden"].append(path)
    except OSError as exc:
        info["namespace_error"] = str(exc)
    return info


def isolate(cfg, zygote_info):
    """Apply the worker's own sandbox; returns a dict describing what was achieved.

    zygote_info: the namespaces and mounts the zygote made (isolate_zygote).
    """
    info = {"root": os.geteuid() == 0, "network": False, "hidden": [], "exposed": []}
    if info["root"]:
        info.update(zygote_info)
    else:
        try:
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
            info["network"] = True
        except OSError as exc:
            info["namespace_error"] = str(exc)
    limits = cfg["limits"]
    nproc = limits["processes"] + (0 if info["root"] else _task_count(os.getuid()))
    for which, value in ((resource.RLIMIT_AS, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]),
                         (resource.RLIMIT_FSIZE, limits["file_size"]), (resource.RLIMIT_NPROC, nproc),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(which, (value, value))
    if info["root"]:
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
    os.chdir(cfg["scratch"])
    sys.path[:] = [cfg["package_root"]] + [p for p in sys.path if p and os.path.isabs(p)]
    info["uid"] = os.getuid()
    return info


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


# ------------------------------------------------------------------ bytecode
class _RecordingLoader(importlib.machinery.SourceFileLoader):
    """A source loader that keeps the bytecode it compiles for the package's modules.

    The shared package is read-only here and nothing writes __pycache__, so
    every worker would compile the modules it imports (~2 ms). The first
    worker of a package sends what it compiled to the grader, which
    caches it for the next ones (SharedPackage.store_bytecode).
    """
    root = None
    compiled = {}     # path relative to the package root -> marshalled code

    def source_to_code(self, data, path, *, _optimize=-1):
        code = super().source_to_code(data, path, _optimize=_optimize)
        if self.root and path.startswith(self.root + os.sep):
            _RecordingLoader.compiled[os.path.relpath(path, self.root)] = marshal.dumps(code)
        return code


def _record_bytecode(package_root):
    """Let imports from package_root go through _RecordingLoader."""
    _RecordingLoader.root = package_root
    sys.path_hooks.insert(0, importlib.machinery.FileFinder.path_hook(
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        (_RecordingLoader, importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES)))
    sys.path_importer_cache.pop(package_root, None)


def _compiled_bytecode():
    """What _RecordingLoader compiled, as plain data (uint8 arrays)."""
    import numpy as np
    return {rel: np.frombuffer(code, dtype=np.uint8) for rel, code in _RecordingLoader.compiled.items()}


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
        if state is not None:
            obj._state.clear()
            obj._state.update(self.codec.decode(state))
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
        send(OUT, {"op": "callback", "target": target, "args": self.codec.encode(list(args)),
                   "kwargs": self.codec.encode(kwargs), "objects": self._object_states()})
        reply = receive(IN)
        if reply.get("objects"):
            for oid, state in reply["objects"].items():
                self._decode_ref("$object", [int(oid), state, None])
        if reply["op"] == "raise":
            raise type(str(reply["type"]), (RemoteError,), {})(reply["message"])
        args_after = self.codec.decode(reply.get("args") or [])
        for original, after in zip(args, args_after):
            write_back(original, after)
        return self.codec.decode(reply["value"])

    def start(self, msg):
        package = "cs231n_lite"
        module = importlib.import_module(f"{package}.{msg['module']}")
        self.function = getattr(module, msg["function"])
        if not callable(self.function):
            raise TypeError(f"{msg['function']} is not a function")
        # every other graded function becomes the grader's reference implementation
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
        value = self.function(*args, **kwargs)
        changed = self.np_state.moved()
        after = np.random.get_state() if changed else None
        if changed:
            self.np_state.mark(after)
        sent_kwargs = [pair[1] for pair in msg["kwargs"]["$dict"]]
        return {"op": "result", "value": self.codec.encode(value),
                "args": self._changed(args, msg["args"]), "kwargs": self._changed(list(kwargs.values()), sent_kwargs),
                "kwarg_names": list(kwargs), "objects": self._object_states(),
                "np_random": self.codec.encode(after) if changed else None}


def _describe(exc, package_root):
    """Type, message and the student's own line where the exception was raised."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(package_root):
            where = f"{os.path.relpath(frame.filename, package_root)}, line {frame.lineno}"
    return {"op": "exception", "type": type(exc).__name__, "message": str(exc)[:2000], "where": where}


def serve(fd, zygote_info):
    """Serve one session on fd (both directions): isolate, then start / call until told to exit."""
    global IN, OUT, WORKER
    IN = OUT = fd
    setup = receive(IN)
    os.environ.update({"HOME": setup["scratch"], "TMPDIR": os.path.join(setup["scratch"], "tmp")})
    info = isolate(setup, zygote_info)
    _record_bytecode(setup["package_root"])
    send(OUT, {"op": "isolated", "info": info})
    WORKER = Worker()
    while True:
        msg = receive(IN)
        try:
            if msg["op"] == "start":
                WORKER.start(msg)
                reply = {"op": "ready", "parameters": WORKER.parameters(),
                         "compiled": WORKER.codec.encode(_compiled_bytecode())}
            elif msg["op"] == "call":
                reply = WORKER.call(msg)
            else:   # as the sandbox uid, end every process this session started, then itself
                if info["root"]:
                    try:
                        os.kill(-1, 9)      # kill(-1) spares the caller
                    except OSError:
                        pass
                os._exit(0)
        except BaseException as exc:  # noqa: B902  (SystemExit and KeyboardInterrupt too)
            reply = _describe(exc, setup["package_root"])
        send(OUT, reply)


def zygote(control_fd, config):
    """Fork one session process per request (after numpy is loaded, before any student code).

    config: {"hide": [...], "expose": [...], "staging": dir} for isolate_zygote.

    Requests on the control socket: {"op": "fork"} answers with the child's
    pid (8 bytes) and, as ancillary data, its end of a new socket pair;
    {"op": "status", "pid": p} answers with the child's wait status once it
    has ended; {"op": "kill_uid", "uid": u} kills every process of the
    sandbox uid u (a short-lived child does kill(-1) as u). A fresh interpreter per graded function would cost ~70 ms of
    start-up; a fork costs ~2 ms.
    """
    import socket
    import struct
    import numpy  # noqa: F401  (loaded once, shared by every child)
    import numpy.random  # noqa: F401  (numpy loads it lazily: ~10 ms in every child otherwise)
    import numpy.ctypeslib  # noqa: F401  (GlobalStateWatch: ~0.5 ms in every child otherwise)

    control = socket.socket(fileno=control_fd)
    ended = {}
    zygote_info = isolate_zygote(config)

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ended[pid] = status

    while True:
        try:
            request = receive(control_fd)
        except (EOFError, OSError):
            os._exit(0)
        reap()
        if request["op"] == "fork":
            mine, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    mine.close()
                    os.setsid()
                    serve(theirs.detach(), zygote_info)
                finally:
                    os._exit(0)
            theirs.close()
            socket.send_fds(control, [struct.pack(">q", pid)], [mine.fileno()])
            mine.close()
        elif request["op"] == "kill_uid" and int(request["uid"]) > 0:
            pid = os.fork()
            if pid == 0:  # only system calls, then _exit: SIGKILL to every process of the uid
                try:
                    os.setgroups([])
                    os.setgid(int(request["uid"]))
                    os.setuid(int(request["uid"]))
                    os.kill(-1, 9)
                except OSError:
                    pass
                os._exit(0)
            os.waitpid(pid, 0)
            send(control_fd, {"op": "killed"})
        elif request["op"] == "status":
            pid = int(request["pid"])
            if pid not in ended:
                try:
                    ended[pid] = os.waitpid(pid, 0)[1]
                except ChildProcessError:
                    ended[pid] = None
            send(control_fd, {"op": "status", "status": ended.pop(pid)})
        else:
            os._exit(0)


WORKER = None
if __name__ == "__main__":
    zygote(int(sys.argv[1]), json.loads(sys.argv[2]))
