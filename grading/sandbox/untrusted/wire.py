"""Plain data across the grader/worker boundary: tagged JSON, never pickle.

Both sides use this module: the trusted grader imports it, and its source is
sent verbatim to the sandboxed worker (which runs it before any student
code). Decoding builds only plain values: None, bools, numbers, strings,
lists, tuples, dicts, numeric numpy arrays and scalars, dtypes, and
numpy Generators of a known bit generator. Anything else a student's
function returns is reported as an opaque value naming its type, so a
check fails with a readable message instead of running foreign code.

Frames on a byte stream are an 8-byte big-endian length, then an 8-byte
length of a UTF-8 JSON document, the document, and the raw bytes of the
message's arrays, which the document points into by offset (no base64: a
large array crosses at the speed of a copy). A frame larger than MAX_FRAME
is refused.
"""
import base64
import json
import os
import re
import struct

import numpy as np

MAX_FRAME = 256 * 2 ** 20
MAX_DEPTH = 40
NUMERIC_KINDS = "biufc"
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


class WireError(ValueError):
    """A frame or value that is not plain data of the accepted kinds."""


class Opaque:
    """Stands for a value that could not cross the boundary (e.g. a student's object)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


def _opaque_type(type_name):
    """A class named like the original type, so messages say 'got Foo', not 'got Opaque'."""
    clean = re.sub(r"\W", "_", str(type_name))[:60] or "object"
    return type(clean, (Opaque,), {})


class Raw:
    """The bytes of an array; they travel beside a frame's JSON, not inside it."""
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __eq__(self, other):
        return isinstance(other, Raw) and self.data == other.data

    __hash__ = None


class Codec:
    """Encodes and decodes values; hooks let each side map callables and objects.

    - encode_other(value) -> tagged dict or None: called for values that
      are not plain data (the grader turns callables and models into
      remote references, the worker turns its proxies back into their ids)
    - decode_ref(tag, payload) -> value: called for '$callable' and
      '$object' tags
    - strict: raise WireError instead of encoding a value as opaque
    """

    def __init__(self, encode_other=None, decode_ref=None, strict=False):
        self.encode_other = encode_other
        self.decode_ref = decode_ref
        self.strict = strict

    def _opaque(self, type_name):
        if self.strict:
            raise WireError(f"{type_name} is not plain data")
        return {"$opaque": type_name}

    # ---------------------------------------------------------------- encode
    def encode(self, value, depth=0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value if abs(value) < 2 ** 63 else {"$bigint": str(value)}
        if isinstance(value, float):
            value = float(value)   # np.float64 too (its repr is 'np.float64(nan)')
            return {"$float": repr(value)} if value != value or value in (float("inf"), float("-inf")) else value
        if isinstance(value, np.ndarray):
            return self._encode_array(value)
        if isinstance(value, np.generic):
            arr = np.asarray(value)
            if arr.dtype.kind not in NUMERIC_KINDS:
                return self._opaque(type(value).__name__)
            return {"$scalar": [arr.dtype.str, base64.b64encode(arr.tobytes()).decode()]}
        if isinstance(value, np.dtype):
            return {"$dtype": value.str} if value.kind in NUMERIC_KINDS else self._opaque("dtype")
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"$dtype": np.dtype(value).str}
        if isinstance(value, np.random.Generator):
            name = type(value.bit_generator).__name__
            if name not in BIT_GENERATORS:
                return self._opaque(f"Generator({name})")
            return {"$rng": [name, self.encode(value.bit_generator.state, depth + 1)]}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, dict):
            items = []
            for k, v in value.items():
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    raise WireError(f"dict key of type {type(k).__name__}")
                items.append([self.encode(k, depth + 1), self.encode(v, depth + 1)])
            return {"$dict": items}
        if self.encode_other is not None:
            tagged = self.encode_other(value)
            if tagged is not None:
                return tagged
        return self._opaque(type(value).__name__)

    def _encode_array(self, arr):
        if arr.dtype.kind not in NUMERIC_KINDS or arr.dtype.hasobject:
            return self._opaque(f"ndarray of dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr)
        return {"$nd": [arr.dtype.str, list(arr.shape), Raw(arr.tobytes())]}

    # ---------------------------------------------------------------- decode
    def decode(self, value, depth=0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise WireError("malformed value")
        (tag, payload), = value.items()
        if tag == "$nd":
            return _decode_array(payload)
        if tag == "$scalar":
            dtype = _numeric_dtype(payload[0])
            raw = base64.b64decode(payload[1], validate=True)
            if len(raw) != dtype.itemsize:
                raise WireError("scalar of the wrong size")
            return np.frombuffer(raw, dtype=dtype)[0]
        if tag == "$float":
            if payload not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(payload)
        if tag == "$bigint":
            return int(str(payload))
        if tag == "$dtype":
            return _numeric_dtype(payload)
        if tag == "$tuple":
            return tuple(self.decode(v, depth + 1) for v in _list(payload))
        if tag == "$dict":
            out = {}
            for pair in _list(payload):
                k, v = _list(pair)
                key = self.decode(k, depth + 1)
                if not (key is None or isinstance(key, (str, int, float, bool))):
                    raise WireError("malformed dict key")
                out[key] = self.decode(v, depth + 1)
            return out
        if tag == "$rng":
            name, state = _list(payload)
            if name not in BIT_GENERATORS:
                raise WireError(f"unknown bit generator {name!r}")
            bitgen = getattr(np.random, name)()
            try:
                bitgen.state = self.decode(state, depth + 1)
            except (TypeError, ValueError, KeyError) as exc:
                raise WireError(f"invalid generator state: {exc}") from None
            return np.random.Generator(bitgen)
        if tag == "$opaque":
            return _opaque_type(payload)(str(payload))
        if tag in ("$callable", "$object") and self.decode_ref is not None:
            return self.decode_ref(tag, payload)
        raise WireError(f"unknown tag {tag!r}")


def is_plain(value, depth=0):
    """Whether ``Codec(strict=True).encode(value)`` would succeed, without encoding it.

    The grader asks this of every attribute of a shared object on every
    call; encoding large arrays only to throw the text away cost more than
    the calls themselves.
    """
    if depth > MAX_DEPTH:
        return False
    if value is None or isinstance(value, (bool, str, int, float)):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind in NUMERIC_KINDS and not value.dtype.hasobject
    if isinstance(value, np.dtype):
        return value.kind in NUMERIC_KINDS
    if isinstance(value, type) and issubclass(value, np.generic):
        return True
    if isinstance(value, np.random.Generator):
        return type(value.bit_generator).__name__ in BIT_GENERATORS
    if isinstance(value, (tuple, list)):
        return all(is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all((k is None or isinstance(k, (str, int, float, bool))) and is_plain(v, depth + 1)
                   for k, v in value.items())
    return False


def _list(payload):
    if not isinstance(payload, list):
        raise WireError("malformed payload")
    return payload


def _numeric_dtype(text):
    try:
        dtype = np.dtype(str(text))
    except TypeError:
        raise WireError(f"unknown dtype {text!r}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
        raise WireError(f"dtype {text!r} is not numeric")
    return dtype


def _decode_array(payload):
    dtype_text, shape, data = _list(payload)
    dtype = _numeric_dtype(dtype_text)
    shape = tuple(_list(shape))
    if len(shape) > 32 or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise WireError("malformed shape")
    if not isinstance(data, Raw):
        raise WireError("array data must travel as raw bytes")
    raw = data.data
    if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def write_back(original, after):
    """Make the caller's object what the callee made of its copy, in place, keeping every identity.

    As if the call had been local: arrays are written into the caller's own
    arrays (a reference the caller saved, or a view it passed, sees the
    change), dicts and lists keep their entries' objects and update them the
    same way, Generators take the callee's state. Returns the object the
    caller should hold: ``original`` itself, or ``after`` where the callee
    replaced a value by one of another kind, shape or dtype.
    """
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.dtype == after.dtype and original.flags.writeable:
            np.copyto(original, after)
            return original
        return after
    if isinstance(original, dict) and isinstance(after, dict):
        for key in [k for k in original if k not in after]:
            del original[key]
        for key, value in after.items():
            original[key] = write_back(original[key], value) if key in original else value
        return original
    if isinstance(original, list) and isinstance(after, list):
        if len(original) == len(after):
            for i, value in enumerate(after):
                original[i] = write_back(original[i], value)
        else:
            original[:] = after
        return original
    if isinstance(original, tuple) and isinstance(after, tuple) and len(original) == len(after):
        for old, new in zip(original, after):      # a tuple's own slots cannot change; its contents can
            write_back(old, new)
        return original
    if isinstance(original, np.random.Generator) and isinstance(after, np.random.Generator):
        original.bit_generator.state = after.bit_generator.state
        return original
    return after


# -------------------------------------------------------------------- frames
def dumps(message):
    """One message (values already encoded) as the bytes of a frame, without its length prefix."""
    buffers, size = [], 0

    def attach(value):
        nonlocal size
        if not isinstance(value, Raw):
            raise TypeError(f"{type(value).__name__} is not encoded")
        buffers.append(value.data)
        size += len(value.data)
        return {"$raw": [size - len(value.data), len(value.data)]}
    head = json.dumps(message, separators=(",", ":"), default=attach).encode()
    return b"".join([struct.pack(">Q", len(head)), head, *buffers])


def loads(frame):
    """The message in a frame's bytes; arrays' data comes back as Raw, checked against the frame."""
    frame = memoryview(frame)
    if len(frame) < 8:
        raise WireError("truncated frame")
    (head_len,) = struct.unpack(">Q", frame[:8])
    if head_len > len(frame) - 8:
        raise WireError("truncated frame")
    body = frame[8 + head_len:]

    def attached(obj):
        if "$raw" not in obj:
            return obj
        span = obj["$raw"]
        if len(obj) != 1 or not isinstance(span, list) or len(span) != 2 or \
                not all(type(n) is int and n >= 0 for n in span) or span[0] + span[1] > len(body):
            raise WireError("malformed raw data reference")
        return Raw(bytes(body[span[0]:span[0] + span[1]]))
    try:
        return json.loads(bytes(frame[8:8 + head_len]), object_hook=attached)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"malformed frame: {type(exc).__name__}") from None


def send(fd, message):
    """Write one message (values already encoded) as a frame."""
    data = dumps(message)
    if len(data) > MAX_FRAME:
        raise WireError(f"message of {len(data)} bytes exceeds {MAX_FRAME}")
    view = memoryview(struct.pack(">Q", len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd, n, wait=None):
    """Read n bytes; ``wait(fd)`` is called before each read (the grader's deadline)."""
    chunks, remaining = [], n
    while remaining:
        if wait is not None:
            wait(fd)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(fd, wait=None):
    """Read one frame and parse it (values still tagged)."""
    (length,) = struct.unpack(">Q", read_exact(fd, 8, wait))
    if length > MAX_FRAME:
        raise WireError(f"frame of {length} bytes exceeds {MAX_FRAME}")
    return loads(read_exact(fd, length, wait))
