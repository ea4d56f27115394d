"""The sandboxed worker and the plain-data channel, on small packages written by the tests."""
import importlib.util
import os
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from grading.sandbox.untrusted import wire
from grading.sandbox.host import Limits, SandboxFailure, SharedPackage
from grading.judge.session import Session
from grading.sandbox.untrusted.wire import Codec, GlobalStateWatch, WireError

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="uid switch and mount namespace need root")
FAST = Limits(wall=5.0, startup=5.0, cpu=10)


def package(tmp_path, source, name="layers"):
    """A cs231n_lite package whose module `name` has the given source."""
    pkg = tmp_path / "cs231n_lite"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / f"{name}.py").write_text("import numpy as np\n" + source)
    return pkg


# ---------------------------------------------------------------- the codec
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


# ---------------------------------------------------------------- sessions
def test_a_function_runs_in_the_worker_and_mutations_come_back(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x, param):\n"
                            "    param['seen'] = x.shape\n    x[0, 0] = 99.0\n"
                            "    return np.maximum(0, x), os.getpid()\nimport os\n")
    x, param = np.array([[-1.0, 2.0]]), {}
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        out, pid = s.function(x, param)
    assert np.array_equal(out, [[99.0, 2.0]]) and pid != os.getpid()
    assert param == {"seen": (1, 2)} and x[0, 0] == 99.0


def test_callbacks_reach_the_callers_callable_and_the_reference(tmp_path):
    pkg = package(tmp_path, "def relu_backward(dout, f):\n    return f(dout) + relu_forward(dout)[0]\n"
                            "def relu_forward(x):\n    raise NotImplementedError\n")
    with Session(pkg, "layers", "relu_backward", [("layers", "relu_forward")], limits=FAST) as s:
        got = s.function(np.array([-1.0, 3.0]), lambda v: 10 * v)
    assert np.array_equal(got, [-10.0, 33.0])   # relu_forward came from the reference


def test_student_exceptions_keep_their_type_name_and_line(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    raise ValueError('bad shape')\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        with pytest.raises(Exception) as info:
            s.function(np.zeros(2))
    assert type(info.value).__name__ == "ValueError"
    assert "bad shape" in str(info.value) and "layers.py, line 3" in str(info.value)


def test_an_endless_loop_times_out_and_the_worker_is_killed(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    while True:\n        pass\n")
    start = time.monotonic()
    with Session(pkg, "layers", "relu_forward", limits=Limits(wall=2.0, startup=5.0)) as s:
        with pytest.raises(SandboxFailure, match="did not finish within the time limit"):
            s.function(np.zeros(2))
        pid = s.worker.pid
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_exit_at_import_is_a_failed_import(tmp_path):
    pkg = package(tmp_path, "import os\nos._exit(4)\ndef relu_forward(x):\n    return x\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        assert "exited with status 4" in s.failure
        with pytest.raises(SandboxFailure, match="importing cs231n_lite.layers"):
            s.function(np.zeros(2))


def test_memory_is_limited(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    return np.ones(2 ** 30)\n")  # 8 GiB
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        with pytest.raises(Exception) as info:
            s.function(np.zeros(2))
    assert type(info.value).__name__ == "MemoryError"


def test_the_worker_has_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    pkg = package(tmp_path, f"import socket\ndef relu_forward(x):\n"
                            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    return x\n")
    try:
        with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
            with pytest.raises(Exception) as info:
                s.function(np.zeros(2))
        assert isinstance(info.value, Exception) and "Error" in type(info.value).__name__
    finally:
        server.close()


def test_the_environment_holds_no_grading_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_GRADER_SECRET", "do-not-leak")
    pkg = package(tmp_path, "import os\ndef relu_forward(x):\n    return dict(os.environ)\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        env = s.function(np.zeros(2))
    assert "CS231N_GRADER_SECRET" not in env and set(env) <= {
        "PATH", "HOME", "TMPDIR", "LANG", "MPLBACKEND", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
        "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE", "LC_CTYPE"}


@ROOT_ONLY
def test_as_root_the_worker_is_unprivileged_and_cannot_see_the_course(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "gradebook.db").write_text("scores")
    (tmp_path / "sub").mkdir()
    pkg = package(tmp_path / "sub", f"import os\ndef relu_forward(x):\n    out = {{'uid': os.getuid()}}\n"
                  f"    for p in ['{course}/gradebook.db', '/root/.bashrc', '/etc/shadow']:\n"
                  f"        try:\n            out[p] = open(p).read()\n        except OSError as e:\n"
                  f"            out[p] = type(e).__name__\n    return out\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST, hide=[str(course)]) as s:
        seen = s.function(np.zeros(2))
    assert seen["uid"] != 0
    assert all(v in ("FileNotFoundError", "PermissionError") for k, v in seen.items() if k != "uid"), seen


@ROOT_ONLY
def test_detached_children_are_gone_after_the_session(tmp_path):
    pkg = package(tmp_path, "import subprocess\ndef relu_forward(x):\n"
                            "    subprocess.Popen(['sleep', '2718'], start_new_session=True)\n    return x\n")
    with Session(pkg, "layers", "relu_forward", limits=FAST) as s:
        s.function(np.zeros(2))
        alive = subprocess.run(["pgrep", "-f", "sleep 2718"], capture_output=True).returncode == 0
    assert alive, "the probe's child should have been running during the session"
    time.sleep(0.2)
    assert subprocess.run(["pgrep", "-f", "sleep 2718"], capture_output=True).returncode != 0


def _sleeping(tag):
    return subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True).returncode == 0


@ROOT_ONLY
@pytest.mark.parametrize("sabotage", ["", "os.kill = lambda *args: None\n"])
def test_with_a_shared_package_leftovers_never_outlive_the_package(tmp_path, sabotage):
    """The worker kills its uid's processes as it exits; if its code prevents that
    (here by replacing os.kill), the package's close kills them before another
    submission can run under this uid."""
    tag = 3141 if sabotage else 2719
    pkg = package(tmp_path, f"import os, subprocess\n{sabotage}def relu_forward(x):\n"
                            f"    subprocess.Popen(['sleep', '{tag}'], start_new_session=True)\n    return x\n")
    with SharedPackage(pkg) as shared:
        with Session(shared, "layers", "relu_forward", limits=FAST) as s:
            s.function(np.zeros(2))
            assert _sleeping(tag), "the probe's child should be running during the session"
        time.sleep(0.2)
        assert _sleeping(tag) == bool(sabotage)
    time.sleep(0.2)
    assert not _sleeping(tag)


@ROOT_ONLY
def test_a_hidden_folder_created_after_the_first_worker_is_hidden_too(tmp_path):
    """Mounts are made when a zygote starts: a folder to hide that appears later gets a new one."""
    import shutil
    import tempfile
    public = Path(tempfile.mkdtemp(prefix="cs231n-lite-test-"))   # readable by the sandbox uid
    try:
        public.chmod(0o755)
        course, other = public / "course", public / "other"
        probe = (f"def relu_forward(x):\n    out = {{}}\n"
                 f"    for p in ['{course}/gradebook.db', '{other}/notes']:\n"
                 f"        try:\n            out[p] = open(p).read()\n"
                 f"        except OSError as e:\n            out[p] = type(e).__name__\n    return out\n")
        pkg = package(tmp_path, probe)
        with Session(pkg, "layers", "relu_forward", limits=FAST, hide=[str(course)]) as s:
            s.function(np.zeros(2))          # the zygote for this hide list starts: course absent
        for folder, text in ((course, "scores"), (other, "public")):
            folder.mkdir(mode=0o755)
            (folder / folder.name).with_name("gradebook.db" if folder == course else "notes").write_text(text)
            for f in folder.iterdir():
                f.chmod(0o644)
        with Session(pkg, "layers", "relu_forward", limits=FAST, hide=[str(course)]) as s:
            seen = s.function(np.zeros(2))
        assert seen == {f"{course}/gradebook.db": "FileNotFoundError", f"{other}/notes": "public"}
    finally:
        shutil.rmtree(public)


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


def test_the_global_np_random_state_follows_the_call_as_if_it_were_local(tmp_path):
    """Draws in the worker and in the grader interleave exactly as in one process,
    including a legacy Gaussian served from numpy's one-value cache."""
    pkg = package(tmp_path, "def relu_forward(n):\n    return np.random.randn(n)\n"
                            "def relu_backward(x):\n    return x + 1\n")

    def run(forward, backward):
        np.random.seed(11)
        out = [forward(1), backward(1.0), forward(1), np.random.rand(), forward(3), backward(2.0),
               forward(1), np.random.randn()]
        return out, np.random.get_state()

    local, local_state = run(lambda n: np.random.randn(n), lambda x: x + 1)
    with Session(pkg, "layers", "relu_forward", limits=FAST) as fwd, \
            Session(pkg, "layers", "relu_backward", limits=FAST) as bwd:
        remote, remote_state = run(fwd.proxy, bwd.proxy)
    for a, b in zip(local, remote):
        np.testing.assert_array_equal(a, b)
    assert local_state[2:] == remote_state[2:] and np.array_equal(local_state[1], remote_state[1])


@ROOT_ONLY
def test_a_worker_whose_zygote_was_retired_still_ends_cleanly(tmp_path):
    """zygote() keeps MAX_ZYGOTES zygotes (one per set of hidden folders) and closes the oldest."""
    from grading.sandbox import host as sandbox
    hides = []
    for i in range(sandbox.MAX_ZYGOTES + 1):
        (tmp_path / f"hide{i}").mkdir()
        hides.append([str(tmp_path / f"hide{i}")])
    pkg = package(tmp_path, "import subprocess\ndef relu_forward(x):\n"
                            "    subprocess.Popen(['sleep', '2720'], start_new_session=True)\n    return x\n")
    first = Session(pkg, "layers", "relu_forward", limits=FAST, hide=hides[0])
    first.function(np.zeros(2))
    for hide in hides[1:]:          # each needs its own zygote: the first one's is closed
        with Session(pkg, "layers", "relu_forward", limits=FAST, hide=hide):
            pass
    assert not first.worker.zygote.alive()
    first.close()
    time.sleep(0.2)
    assert not _sleeping(2720)


def test_a_shared_package_compiles_each_module_once(tmp_path, monkeypatch):
    """The first worker's bytecode is cached beside the read-only source; the next ones import it."""
    received = []
    store = SharedPackage.store_bytecode
    monkeypatch.setattr(SharedPackage, "store_bytecode",
                        lambda self, compiled: received.append(sorted(compiled)) or store(self, compiled))
    with SharedPackage(package(tmp_path, "def relu_forward(x):\n    return 2 * x\n")) as shared:
        for _ in range(2):
            with Session(shared, "layers", "relu_forward", limits=FAST) as s:
                assert s.proxy(3.0) == 6.0
        cached = Path(importlib.util.cache_from_source(str(Path(shared.path) / "layers.py")))
        assert cached.exists() and cached.stat().st_mode & 0o022 == 0   # the sandbox cannot change it
    assert received == [["cs231n_lite/__init__.py", "cs231n_lite/layers.py"], []]


def test_bytecode_is_stored_only_for_the_packages_own_sources(tmp_path):
    with SharedPackage(package(tmp_path, "def relu_forward(x):\n    return x\n")) as shared:
        code = np.frombuffer(b"not code", dtype=np.uint8)
        shared.store_bytecode({"cs231n_lite/../../evil.py": code, "cs231n_lite/layers.txt": code,
                               "cs231n_lite/missing.py": code, "cs231n_lite/layers.py": np.zeros(3),
                               "/etc/passwd.py": code, 7: code})
        assert not list(Path(shared.root).rglob("*.pyc")) and not (tmp_path / "evil.py").exists()


def test_numpy_nan_and_inf_scalars_cross_as_floats():
    codec = Codec()
    back = codec.decode(wire.loads(wire.dumps(codec.encode([np.float64("nan"), np.float64("-inf")]))))
    assert np.isnan(back[0]) and back[1] == float("-inf")


def test_a_worker_cannot_change_the_package_the_next_function_imports(tmp_path):
    rewrite = ("def relu_forward(x):\n"
               "    import pathlib\n"
               "    try:\n"
               "        pathlib.Path(__file__).write_text('def relu_forward(x):\\n    return 42\\n')\n"
               "    except OSError as exc:\n"
               "        return type(exc).__name__\n"
               "    return 'rewritten'\n")
    with SharedPackage(package(tmp_path, rewrite)) as shared:
        for _ in range(2):   # the second worker imports the package the first one tried to change
            with Session(shared, "layers", "relu_forward", limits=FAST) as s:
                assert s.proxy(1.0) == "PermissionError"
