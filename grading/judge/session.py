"""A session: one graded function under test, called from the grader as if it were local.

    with Session(package_dir, "layers", "relu_forward", substitute) as session:
        out, cache = session.proxy(x)      # runs in a sandboxed worker (grading/sandbox/host.py)

Only plain data crosses (grading/sandbox/untrusted/wire.py). Callables and objects given to
the function stay here: the worker calls them back, and calls back the
reference implementation of every other graded function. Arguments the
function changed in place, and the global np.random state, come back and
are applied to the caller's objects.
"""
import functools
import importlib
import inspect
import keyword
import time
import types

import numpy as np

from grading.sandbox.host import Limits, SandboxFailure, SharedPackage, Worker, default_hidden_paths
from grading.sandbox.untrusted.wire import Codec, GlobalStateWatch, WireError, is_plain, write_back


class Session:
    """One graded function under test: a worker, its import, and a proxy to call it.

    Inputs:
    - package_dir: the submission's cs231n_lite folder, or a SharedPackage of it
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
        self._synced = GlobalStateWatch()   # the global np.random state both sides hold
        try:
            self.worker = Worker(package_dir, limits, default_hidden_paths() if hide is None else hide)
            self.worker.send({"op": "start", "module": module, "function": function,
                              "substitute": [list(p) for p in sorted(self.allowed)]})
            reply = self.worker.receive()
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"importing cs231n_lite.{module}")
            return
        self.worker.deadline = time.monotonic() + limits.wall
        if reply.get("op") == "ready" and isinstance(package_dir, SharedPackage):
            try:
                package_dir.store_bytecode(self.codec.decode(reply.get("compiled") or {}))
            except WireError:
                pass          # then the next workers compile for themselves
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
            plain = _plain_state(obj)
            for key, value in self.codec.decode(state).items():
                if key in plain:
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
            # the global state (2.5 kB) travels only when it moved since both sides last agreed
            state = np.random.get_state() if self._synced.moved() else None
            self.worker.send({"op": "call", "args": self.codec.encode(list(args)),
                              "kwargs": self.codec.encode(kwargs),
                              "np_random": None if state is None else self.codec.encode(state)})
            if state is not None:
                self._synced.mark(state)
            while True:
                reply = self.worker.receive()
                if reply.get("op") != "callback":
                    break
                self._serve_callback(reply)
                self._synced.state = None   # the grader's code ran: its global state may have moved
            return self._finish(reply, args, kwargs)
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"{self.name}")
            raise SandboxFailure(self.failure) from None
        except (WireError, KeyError, TypeError, ValueError) as exc:
            self.worker.kill()
            self.failure = f"{self.name} returned something that is not plain data ({exc})."
            raise SandboxFailure(self.failure) from None

    def _finish(self, reply, args, kwargs):
        """Apply what the call changed (arguments sent back only if changed) and return its value."""
        if reply.get("op") == "exception":
            self._synced.state = None   # the worker may have drawn before raising: send ours next time
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
            state = self.codec.decode(reply["np_random"])
            np.random.set_state(state)
            self._synced.mark(state)
        elif self._synced.state is None:         # a callback ran grader code: what both hold now
            self._synced.mark()
        return self.codec.decode(reply["value"])

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
    return {key: value for key, value in vars(obj).items() if is_plain(value)}


def _exception(reply):
    """The student's exception, rebuilt by name (never unpickled)."""
    name = "".join(c for c in str(reply.get("type", "Exception")) if c.isalnum() or c == "_")[:60]
    message = str(reply.get("message", ""))
    if reply.get("where"):
        message += f" ({reply['where']})"
    if name == "NotImplementedError":
        return NotImplementedError(message)
    return type(name or "Exception", (Exception,), {})(message)
