"""A session with a sandboxed worker (grading/judge/session.py): calls, callbacks, failures, limits."""
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from grading.judge.session import Session
from grading.sandbox.host import Limits, SandboxFailure, SharedPackage
from grading.judge.intake import read_tree
from helpers import FAST, package


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




def test_an_endless_loop_is_stopped_by_its_cpu_limit_and_the_worker_reaped(tmp_path):
    pkg = package(tmp_path, "def relu_forward(x):\n    while True:\n        pass\n")
    with Session(pkg, "layers", "relu_forward", limits=Limits(wall=60.0, cpu=1, startup=10.0)) as s:
        with pytest.raises(SandboxFailure, match="used up its CPU time limit"):
            s.function(np.zeros(2))
        worker = s.worker
        assert s.reason == "limit:cpu"
    assert worker.ended and worker.cpu >= 0.5      # reaped by its zygote, which counted its CPU seconds


def test_code_that_sleeps_is_told_so_at_the_wall_clock_backstop(tmp_path):
    pkg = package(tmp_path, "import time\ndef relu_forward(x):\n    time.sleep(100)\n")
    with Session(pkg, "layers", "relu_forward", limits=Limits(wall=2.0, cpu=30, startup=10.0)) as s:
        with pytest.raises(SandboxFailure, match="look for code that waits there"):
            s.function(np.zeros(2))
        assert s.reason == "limit:wall"


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
        "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE"}




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



def test_a_worker_cannot_change_the_package_the_next_function_imports(tmp_path):
    rewrite = ("def relu_forward(x):\n"
               "    import pathlib\n"
               "    try:\n"
               "        pathlib.Path(__file__).write_text('def relu_forward(x):\\n    return 42\\n')\n"
               "    except OSError as exc:\n"
               "        return type(exc).__name__\n"
               "    return 'rewritten'\n")
    with SharedPackage(read_tree(package(tmp_path, rewrite), prefix="cs231n_lite").files) as shared:
        for _ in range(2):   # the second worker imports the package the first one tried to change
            with Session(shared, "layers", "relu_forward", limits=FAST) as s:
                assert s.proxy(1.0) in ("PermissionError", "OSError")   # EACCES or EROFS
