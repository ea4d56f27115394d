"""Whatever a worker sends, the session fails that one function and nothing else breaks.

Each package below rewrites, at import, what its worker sends (the worker
runs as the script's __main__, whose ``send`` it replaces) or writes
raw bytes on its socket. Before the change a wrong field type in READY
made the session raise a TypeError outside any try, and `grading
autograde` exited 1 for the whole class.
"""
import numpy as np
import pytest

from grading.judge.session import Session
from grading.sandbox.errors import SandboxFailure
from helpers import FAST, package

FORGE = """import sys
_worker = sys.modules["__main__"]
_send = _worker.send
def _forged(fd, message):
    if message.get("op") == {op!r}:
{change}
    _send(fd, message)
_worker.send = _forged
def relu_forward(x):
    return x
"""

FORGERIES = {
    "ready: parameters not a list": ("ready", "        message['parameters'] = 12345"),
    "ready: parameters of objects": ("ready", "        message['parameters'] = [{'a': 1}, None, 'x' * 10000]"),
    "ready: an unknown op": ("ready", "        message['op'] = 'sure'"),
    "result: args not a list": ("result", "        message['args'] = 'abc'"),
    "result: objects not a dict": ("result", "        message['objects'] = [1, 2]"),
    "result: an unknown object": ("result", "        message['objects'] = {'99': {'$dict': []}}"),
    "result: kwarg names of the wrong type": ("result", "        message['kwarg_names'] = 5"),
    "result: a malformed value": ("result", "        message['value'] = {'$nd': ['<f8', [3], 'AAAA']}"),
    "result: a value of unknown tag": ("result", "        message['value'] = {'$pickle': 'x'}"),
    "result: np_random garbage": ("result", "        message['np_random'] = {'$tuple': [1, 2]}"),
    "result: not a dict at all": ("result", "        message.clear(); message['op'] = None"),
    "result: a callback to a forbidden target": (
        "result", "        message.update({'op': 'callback', 'target': ['reference', 'os', 'system'],"
                  " 'args': [], 'kwargs': {'$dict': []}})"),
    "result: a callback with a malformed target": (
        "result", "        message.update({'op': 'callback', 'target': 7, 'args': [], 'kwargs': {'$dict': []}})"),
}


@pytest.mark.parametrize("case", sorted(FORGERIES))
def test_a_forged_message_fails_that_function_only(tmp_path, case):
    op, change = FORGERIES[case]
    pkg = package(tmp_path, FORGE.format(op=op, change=change))
    with Session(pkg, "layers", "relu_forward", limits=FAST) as session:
        if op == "ready" and "parameters" in change:     # harmless: the names are simply not used
            assert session.failure is None and session.function(np.ones(2)).tolist() == [1.0, 1.0]
            return
        with pytest.raises(SandboxFailure):
            session.function(np.ones(2))
    # the next session, forked by the same zygote, is unharmed
    clean = package(tmp_path / "clean", "def relu_forward(x):\n    return 2 * x\n")
    with Session(clean, "layers", "relu_forward", limits=FAST) as session:
        assert session.function(np.ones(2)).tolist() == [2.0, 2.0]


RAW = """import os, struct, sys
_worker = sys.modules["__main__"]
def relu_forward(x):
    os.write(_worker.OUT, {payload})
    return x
"""


@pytest.mark.parametrize("payload", [
    "struct.pack('>Q', 2 ** 62)",                          # a frame larger than any allowed
    "struct.pack('>Q', 40) + b'{not json at all'",        # truncated, then the worker returns
    "struct.pack('>Q', 12) + struct.pack('>Q', 4) + b'[1]!'",   # valid frame, not a message
    "struct.pack('>Q', 30) + struct.pack('>Q', 22) + b'{\"op\": \"result\"}' + b'xxxxx'",
])
def test_raw_garbage_on_the_socket_fails_that_function_only(tmp_path, payload):
    pkg = package(tmp_path, RAW.format(payload=payload))
    with Session(pkg, "layers", "relu_forward", limits=FAST) as session:
        with pytest.raises(SandboxFailure):
            session.function(np.ones(2))
