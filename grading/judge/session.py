"""A session: one graded function under test, called from the grader as if it were local.

    with Session(package, "layers", "relu_forward", substitute) as session:
        out, cache = session.proxy(x)      # runs in a sandboxed worker (grading/sandbox/)

Only plain data crosses (grading/sandbox/untrusted/wire.py). Callables and
objects given to the function stay here: the worker calls them back, and
calls back the reference implementation of the function's declared
dependencies. Arguments the function changed in place, and the global
np.random state, come back and are applied to the caller's objects.
Whatever the worker sends, a session never raises anything but a
SandboxFailure for it (the student's function failed), so one submission
cannot stop the grading of the others.
"""
import builtins
import functools
import importlib
import inspect
import keyword
import time
import types
import warnings

import numpy as np

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading.judge.callbacks import CallbackTimeout, limited, mapped_bytes
from grading.judge.intake import read_tree
from grading.sandbox.host import Limits, SandboxFailure, SharedPackage, Worker
from grading.sandbox.untrusted import protocol
from grading.sandbox.untrusted.rngstate import GlobalStateWatch
from grading.sandbox.untrusted.wire import Codec, WireError, is_plain, write_back

# Anything a malformed or hostile reply can make decoding or applying raise.
PROTOCOL_ERRORS = (WireError, KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
                   RecursionError, UnicodeError)


class Session:
    """One graded function under test: a worker, its import, and a proxy to call it.

    Inputs:
    - package: a SharedPackage, or the submission's cs231n_lite folder (read as data)
    - module, function: where the function under test lives
    - substitute: [(module, name)] graded functions replaced in the worker
      by this process's reference implementation (the declared dependencies)
    - limits: what the test may use (callbacks run under the same)
    - budget: the submission's Budget, charged with this test's CPU seconds
    - reference_package: the trusted package whose modules provide them
    """

    def __init__(self, package, module, function, substitute=(), limits=Limits(), budget=None,
                 reference_package="cs231n_lite"):
        self.name, self.limits, self.budget = function, limits, budget
        self.allowed = {(m, n) for m, n in substitute}
        self.reference_package = reference_package
        self.callables, self.objects = {}, {}
        self.codec = Codec(encode_other=self._encode_other, decode_ref=self._decode_ref)
        self.failure = None
        self.reason = ""            # why it failed, as data: "limit:time", "limit:cpu", "overloaded", ...
        self.worker = None
        self.parameters = []
        self.callback_cpu = 0.0
        self.started = time.monotonic()
        self._sched_at_start = (0.0, 0.0)
        self._mapped = None
        self._synced = GlobalStateWatch()   # the global np.random state both sides hold
        self._own_package = None
        if not isinstance(package, SharedPackage):
            package = self._own_package = SharedPackage(read_tree(package, prefix="cs231n_lite").files)
        try:
            self.worker = Worker(package, limits)
            self.worker.send({"op": protocol.START, "module": module, "function": function,
                              "substitute": [list(p) for p in sorted(self.allowed)]})
            reply = self.worker.receive()
            self.started = time.monotonic()
            self._sched_at_start = _thread_sched()
            self.worker.deadline = self.started + limits.wall
            if reply.get("op") == protocol.EXCEPTION:
                where = f" ({reply['where']})" if isinstance(reply.get("where"), str) else ""
                self.failure = (f"importing cs231n_lite.{module} failed: {str(reply.get('type'))[:80]}: "
                                f"{str(reply.get('message'))[:2000]}{where}")
                self.reason = "import"
            elif reply.get("op") != protocol.READY:
                raise WireError("unexpected reply to START")
            else:
                self.parameters = _parameter_names(reply.get("parameters"))
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"importing cs231n_lite.{module}")
        except PROTOCOL_ERRORS as exc:
            self._broke_protocol(exc)

    def _broke_protocol(self, exc):
        if self.worker is not None:
            self.worker.kill()
        self.reason = "protocol"
        self.failure = f"the process running your code broke the grading protocol ({type(exc).__name__})."

    def _explain(self, exc, doing):
        """The student's message for a SandboxFailure; sets self.reason."""
        if str(exc) != "timeout":
            self.reason = "limit:cpu" if "CPU time limit" in str(exc) else (self.reason or "worker")
            return f"{doing}: {exc}"
        seen, wall = exc.seen, time.monotonic() - self.started
        cpu, waited = seen.get("cpu"), seen.get("waited", 0.0)
        if cpu is not None and cpu < 0.5 * self.limits.cpu and waited >= 0.25 * wall:
            self.reason = "overloaded"
            return (f"{doing} was stopped at the wall-clock backstop of {self.limits.wall:g} s although it had "
                    f"used only {cpu:.1f} CPU seconds: it spent {waited:.0f} s waiting for a CPU, so the "
                    "grading machine was too busy. This is not your code's fault: your instructor grades it again.")
        if cpu is not None and cpu < 0.5 * self.limits.cpu:
            self.reason = "limit:wall"
            return (f"{doing} did not finish within {wall:.0f} s while using only {cpu:.1f} CPU seconds: "
                    "look for code that waits there (time.sleep, input(), a lock, a pipe).")
        self.reason = "limit:time"
        return (f"{doing} did not finish within the time limit; look for an endless loop "
                "(or very slow code) there.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.worker is not None:
            self.worker.close()
            if self.budget is not None:
                self.budget.charge(self.worker.cpu + self.callback_cpu)
            self.worker = None
        if self._own_package is not None:
            self._own_package.close()
            self._own_package = None

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
            raise WireError(f"unknown reference {str(payload)[:80]}") from None

    def _apply_states(self, states):
        if states is None:
            return
        if not isinstance(states, dict):
            raise WireError("malformed object states")
        for oid, state in states.items():
            obj = self.objects.get(int(oid))
            if obj is None:
                raise WireError(f"unknown object {str(oid)[:20]}")
            plain = _plain_state(obj)
            decoded = self.codec.decode(state)
            if not isinstance(decoded, dict):
                raise WireError("malformed object state")
            for key, value in decoded.items():
                if key in plain:         # in place: the test's references into the object stay valid
                    setattr(obj, key, write_back(getattr(obj, key), value))

    # ------------------------------------------------------------- calling
    @property
    def proxy(self):
        """The function under test as a plain function, with the student's parameter names.

        What stops the worker (a SandboxFailure of the sandbox wing) reaches a
        test as its CheckFailed, with the message for the student unchanged.
        """
        def proxy(*args, **kwargs):
            try:
                return self.function(*args, **kwargs)
            except SandboxFailure as exc:
                raise CheckFailed(str(exc)) from None
        try:
            proxy.__signature__ = inspect.Signature(
                [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in self.parameters])
        except ValueError:  # duplicate names from the worker: keep the generic signature
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
            self.worker.send({"op": protocol.CALL, "args": self.codec.encode(list(args)),
                              "kwargs": self.codec.encode(kwargs),
                              "np_random": None if state is None else self.codec.encode(state)})
            if state is not None:
                self._synced.mark(state)
            while True:
                reply = self.worker.receive()
                if reply.get("op") != protocol.CALLBACK:
                    break
                self._serve_callback(reply)
                self._synced.state = None   # the grader's code ran: its global state may have moved
            if reply.get("op") == protocol.EXCEPTION:
                raised = self._student_exception(reply)
            else:
                return self._finish(reply, args, kwargs)
        except SandboxFailure as exc:
            self.failure = self._explain(exc, f"{self.name}")
            raise SandboxFailure(self.failure) from None
        except PROTOCOL_ERRORS as exc:
            self.worker.kill()
            self.failure = f"{self.name} returned something that is not plain data ({str(exc)[:200]})."
            raise SandboxFailure(self.failure) from None
        raise raised                 # the student's own exception, outside the protocol's handlers

    def _student_exception(self, reply):
        self._synced.state = None    # the worker may have drawn before raising: send ours next time
        if reply.get("type") == "MemoryError":
            self.reason = "limit:memory"
        return _exception(reply)

    def _finish(self, reply, args, kwargs):
        """Apply what the call changed (arguments sent back only if changed) and return its value."""
        if reply.get("op") != protocol.RESULT:
            raise WireError("unexpected reply")
        self._apply_states(reply.get("objects"))
        for original, after in zip(args, _list(reply.get("args"))):
            if after is not None:
                write_back(original, self.codec.decode(after))
        for key, after in zip(_list(reply.get("kwarg_names")), _list(reply.get("kwargs"))):
            if after is not None and isinstance(key, str) and key in kwargs:
                write_back(kwargs[key], self.codec.decode(after))
        if reply.get("np_random") is not None:   # the function used the global np.random state
            state = self.codec.decode(reply["np_random"])
            np.random.set_state(state)
            self._synced.mark(state)
        elif self._synced.state is None:         # a callback ran grader code: what both hold now
            self._synced.mark()
        value = self.codec.decode(reply["value"])
        _warn(reply.get("warnings"))
        return value

    def _serve_callback(self, msg):
        """Run a reference function, a caller's callable or an object's method for the worker.

        It runs here, under the worker's limits: no later than the test's
        deadline and within the same address-space budget (callbacks.py).
        A malformed request is a protocol error; an exception of the callee
        goes back to the worker, as it would have been raised locally.
        """
        self._apply_states(msg.get("objects"))
        fn = self._callback_target(msg["target"])
        args = self.codec.decode(msg["args"])
        kwargs = self.codec.decode(msg["kwargs"])
        if not isinstance(args, list) or not isinstance(kwargs, dict) \
                or not all(isinstance(k, str) for k in kwargs):
            raise WireError("malformed callback arguments")
        start = time.thread_time()
        try:
            if self._mapped is None:             # once per session: the callbacks are many
                self._mapped = mapped_bytes()
            with limited(self.worker.deadline, self.limits.memory, self.limits.cpu - self.callback_cpu,
                         self._mapped):
                value = fn(*args, **kwargs)
            after = [self.codec.encode(a) for a in args]    # only what the callee changed goes back
            reply = {"op": protocol.RETURN, "value": self.codec.encode(value),
                     "args": [None if a == b else a for a, b in zip(after, msg["args"])],
                     "objects": {str(k): self.codec.encode(_plain_state(o)) for k, o in self.objects.items()}}
        except CallbackTimeout:      # the grader's own thread ran the callee: its own clock counts
            cpu, waited = _thread_sched()
            self.worker.kill()
            raise SandboxFailure("timeout", {"cpu": self.callback_cpu + time.thread_time() - start,
                                             "waited": waited - self._sched_at_start[1]}) from None
        except Exception as exc:  # the callee raised on the student's arguments (MemoryError too)
            reply = {"op": protocol.RAISE, "type": type(exc).__name__, "message": str(exc)[:2000]}
        finally:
            self.callback_cpu += time.thread_time() - start
        self.worker.send(reply)

    def _callback_target(self, target):
        if not isinstance(target, list) or not target:
            raise WireError("malformed callback target")
        kind = target[0]
        if kind == "reference" and len(target) == 3 and (target[1], target[2]) in self.allowed:
            module = importlib.import_module(f"{self.reference_package}.{target[1]}")
            return getattr(module, target[2])
        if kind == "callable" and len(target) == 2:
            return self.callables[int(target[1])]
        if kind == "method" and len(target) == 3:
            obj = self.objects[int(target[1])]
            if isinstance(target[2], str) and not target[2].startswith("_"):
                return getattr(obj, target[2])
        raise WireError(f"callback to {str(target)[:80]} is not allowed")


def _thread_sched():
    """(seconds on a CPU, seconds runnable but waiting for one) of this thread so far."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            on_cpu, on_queue = f.read().split()[:2]
        return int(on_cpu) / 1e9, int(on_queue) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


def _list(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise WireError("malformed reply")
    return value


def _parameter_names(names):
    """The parameter names a worker reports, keeping only plausible identifiers."""
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and n.isidentifier() and len(n) <= 40
            and not keyword.iskeyword(n)][:32]


def _is_function(value):
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                              functools.partial))


def _plain_state(obj):
    """The attributes of an object that can cross as plain data."""
    return {key: value for key, value in vars(obj).items() if is_plain(value)}


def _warn(records):
    """Raise here the warnings the student's function raised in the worker (a test records them)."""
    for record in (records if isinstance(records, list) else [])[:50]:
        try:
            name, message, filename, lineno = record
            category = getattr(builtins, str(name), None)
            if not (isinstance(category, type) and issubclass(category, Warning)):
                clean = "".join(c for c in str(name) if c.isalnum() or c == "_")[:60] or "Warning"
                category = type(clean, (UserWarning,), {})
            warnings.warn_explicit(str(message)[:500], category, str(filename)[:100], int(lineno))
        except (TypeError, ValueError):
            continue


def _exception(reply):
    """The student's exception, rebuilt by name (never unpickled)."""
    name = "".join(c for c in str(reply.get("type", "Exception")) if c.isalnum() or c == "_")[:60]
    message = str(reply.get("message", ""))[:2000]
    if isinstance(reply.get("where"), str):
        message += f" ({reply['where'][:200]})"
    builtin = getattr(builtins, name, None)      # ValueError stays a ValueError, as in a local call
    if isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, OSError):
        try:
            return builtin(message)
        except TypeError:       # one whose constructor wants more (UnicodeDecodeError, ...)
            pass
    return type(name or "Exception", (Exception,), {})(message)
