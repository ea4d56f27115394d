"""The plain-data channel (grading/sandbox/untrusted/wire.py): codec, frames, the global RNG watch."""
import numpy as np
import pytest

from grading.sandbox.untrusted import wire
from grading.sandbox.untrusted.rngstate import GlobalStateWatch
from grading.sandbox.untrusted.wire import Codec, WireError


@pytest.mark.parametrize("value", [
    None, True, 3, -2 ** 70, 2.5, float("inf"), "text", [1, (2, 3)], {"a": 1, 2: [None]},
    np.arange(6.0).reshape(2, 3), np.array([True, False]), np.int32(7), np.dtype("float32"),
])
def test_plain_values_round_trip(value):
    codec = Codec()
    back = codec.decode(wire.loads(wire.dumps(codec.encode(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_generator_round_trips_with_its_state():
    rng = np.random.default_rng(5)
    rng.standard_normal(3)
    back = Codec().decode(Codec().encode(rng))
    assert np.array_equal(back.standard_normal(4), rng.standard_normal(4))


def test_objects_and_object_arrays_never_cross_as_themselves():
    codec = Codec()
    back = codec.decode(codec.encode([object(), np.array([{}], dtype=object)]))
    assert all(isinstance(v, wire.Opaque) for v in back)
    assert [v.type_name for v in back] == ["object", "ndarray of dtype object"]
    with pytest.raises(WireError):
        Codec(strict=True).encode(object())


@pytest.mark.parametrize("frame", [
    {"$nd": ["O", [1], "AAAA"]},                   # object dtype: could unpickle
    {"$nd": ["<f8", [3], "AAAA"]},                 # data shorter than its shape
    {"$pickle": "gASVAAAAAAAAAAAu"},               # unknown tag
    {"$rng": ["os.system", {}]},                   # not a known bit generator
])
def test_malformed_or_unsafe_frames_are_refused(frame):
    with pytest.raises(WireError):
        Codec().decode(frame)


def raw_frame(head, body=b"ab"):
    return wire.struct.pack(">Q", len(head)) + head + body


@pytest.mark.parametrize("head", [
    b'{"v":{"$raw":[0,99]}}',                      # points past the frame's data
    b'{"v":{"$raw":[-1,2]}}',                      # negative offset
    b'{"v":{"$raw":[0,1],"x":1}}',                 # extra keys
    b'{"v":{"$raw":"0"}}',                         # not a span
])
def test_malformed_raw_references_are_refused(head):
    with pytest.raises(WireError):
        wire.loads(raw_frame(head))


def test_raw_data_is_accepted_only_as_an_arrays_bytes():
    codec = Codec()
    with pytest.raises(WireError):        # raw bytes where a value belongs
        codec.decode(wire.loads(raw_frame(b'{"$raw":[0,2]}')))
    with pytest.raises(WireError):        # array data as text instead of raw bytes
        codec.decode({"$nd": ["<u1", [2], "YWI="]})
    arr = codec.decode(wire.loads(raw_frame(b'{"$nd":["<u1",[2],{"$raw":[0,2]}]}')))
    assert arr.tolist() == [97, 98] and arr.flags.writeable



def test_numpy_nan_and_inf_scalars_cross_as_floats():
    codec = Codec()
    back = codec.decode(wire.loads(wire.dumps(codec.encode([np.float64("nan"), np.float64("-inf")]))))
    assert np.isnan(back[0]) and back[1] == float("-inf")



def test_the_global_state_watch_sees_every_move_even_a_cached_gaussian():
    np.random.seed(5)
    watch = GlobalStateWatch()
    watch.mark()
    assert not watch.moved()
    np.random.rand()
    assert watch.moved()
    np.random.seed(5)
    np.random.randn()                 # draws a pair: one is cached (has_gauss = 1)
    watch.mark()
    key_before = np.random.get_state()[1].copy()
    assert not watch.moved()
    np.random.randn()                 # served from the cache: the MT19937 key and position stay
    assert np.array_equal(np.random.get_state()[1], key_before) and watch.moved()

