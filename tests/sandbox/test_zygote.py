"""Starting the sandbox: one clear line when it cannot start, unprotected grading only when asked for."""
import os

import numpy as np
import pytest

from grading import __main__ as cli
from grading.judge.session import Session
from grading.sandbox import bubblewrap
from grading.sandbox.errors import SandboxUnavailable
from grading.sandbox.package import SharedPackage
from grading.sandbox.zygote import Zygote
from helpers import FAST

FILES = {"cs231n_lite/__init__.py": b"", "cs231n_lite/layers.py": b"def relu_forward(x):\n    return x + 1\n"}


@pytest.fixture
def no_bwrap(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(bubblewrap.UNPROTECTED_VARIABLE, raising=False)


def test_without_bubblewrap_grading_stops_and_says_how_to_install_it(no_bwrap):
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        Zygote()


def test_when_bubblewrap_cannot_start_its_own_words_are_passed_on(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    with pytest.raises(SandboxUnavailable) as info:
        Zygote()
    assert "setting up uid map: Permission denied" in str(info.value)
    assert bubblewrap.UNPROTECTED_VARIABLE in str(info.value)


def test_unprotected_grading_runs_only_when_asked_for(no_bwrap, monkeypatch):
    monkeypatch.setenv(bubblewrap.UNPROTECTED_VARIABLE, "1")
    zygote = Zygote()
    try:
        assert zygote.mode == "bare"
        with SharedPackage(FILES, zygote=zygote) as package:
            with Session(package, "layers", "relu_forward", limits=FAST) as session:
                assert session.function(np.ones(2)).tolist() == [2.0, 2.0]
                assert session.worker.info["mode"] == "bare"
    finally:
        zygote.close()


def test_the_command_line_says_it_in_one_line(monkeypatch, capsys):
    def unavailable(args):
        raise SandboxUnavailable("grading needs bubblewrap")
    monkeypatch.setattr(cli, "run", unavailable)
    with pytest.raises(SystemExit) as info:
        cli.main(["cells"])          # a command that needs no course: straight to run()
    assert str(info.value) == "cannot grade: grading needs bubblewrap"


def test_the_zygote_runs_inside_bubblewrap_with_its_own_namespaces():
    zygote = Zygote()
    try:
        assert zygote.mode == ("root" if os.geteuid() == 0 else "user")
        assert zygote.isolation["mode"] == zygote.mode
        pid = zygote.process.pid            # bwrap, on the host
        host_net = os.readlink("/proc/self/ns/net")
        children = [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
        assert children and all(os.readlink(f"/proc/{c}/ns/net") != host_net for c in children)
        assert all(os.readlink(f"/proc/{c}/ns/pid") != os.readlink("/proc/self/ns/pid") for c in children)
    finally:
        zygote.close()
