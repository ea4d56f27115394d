"""A throw-away ordinary Unix user who can run this project, for the tests that grade without root.

    with OrdinaryUser() as user:
        user.run(["-m", "grading", "autograde", "--course", str(user.home / "course")])

The user gets a folder of its own holding a copy of the project, of the
installed packages and of the environment's Jupyter data files (nbconvert's
templates, on JUPYTER_PATH) made of hard links (instant, no space; every
file keeps its owner and mode, so nothing of the originals becomes
writable), and runs Debian's /usr/bin/python3.11 with them on PYTHONPATH:
the project's own interpreter may live under /root, which an ordinary user
cannot enter. OrdinaryUser(own_python=True) runs a hard-linked copy of that
interpreter's installation instead (its standard library, not its
site-packages), for code whose locked packages need a newer Python than
Debian's 3.11.2 (the lock's soupsieve, which nbconvert's HTML export uses,
needs 3.11.5).
The user and the folder are removed at the end.
"""
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3.11"
PROJECT_PARTS = ("cs231n_lite", "grading", "datasets", "notebooks", "tests", "pyproject.toml", "requirements.lock",
                 "README.md", "Makefile", "environment.yml")


def available():
    """Why ordinary-user tests cannot run here, or '' when they can."""
    if os.geteuid() != 0:
        return "creating a user needs root"
    if not shutil.which("useradd"):
        return "no useradd"
    if not os.path.exists(SYSTEM_PYTHON):
        return f"no {SYSTEM_PYTHON}"
    return ""


def _link_tree(source, target):
    shutil.copytree(source, target, copy_function=os.link, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv", "build", "workspace", ".pytest_cache"))
    for dirpath, _, _ in os.walk(target):     # new folders (not shared inodes): safe to open up
        os.chmod(dirpath, 0o755)


def _link_interpreter(target):
    """A hard-linked copy of this interpreter's installation, without site-packages and tests.

    Returns (its executable, the folder of its libpython or None). An
    interpreter of the system (under /usr) is used where it is.
    """
    executable = Path(os.path.realpath(sys._base_executable))
    base = Path(sys.base_prefix)
    if base == Path("/usr") or base not in executable.parents:
        return str(executable), None
    stdlib = Path(sysconfig.get_path("stdlib", vars={"installed_base": sys.base_prefix}))

    def leave_out(folder, names):
        return [n for n in names if Path(folder) == stdlib and n in ("site-packages", "test")]
    shutil.copytree(base, target, copy_function=os.link, symlinks=True, ignore=leave_out)
    for dirpath, _, _ in os.walk(target):
        os.chmod(dirpath, 0o755)
    libs = target / "lib"
    return str(target / executable.relative_to(base)), (str(libs) if any(libs.glob("libpython*")) else None)


class OrdinaryUser:
    """A new user with the project and its packages readable, and a home folder it owns."""

    def __init__(self, own_python=False):
        self.own_python = own_python

    def __enter__(self):
        self.name = f"cs231n-t{secrets.token_hex(3)}"
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        self.name], check=True, capture_output=True)
        info = pwd.getpwnam(self.name)
        self.uid, self.gid = info.pw_uid, info.pw_gid
        self.base = Path(tempfile.mkdtemp(prefix="cs231n-lite-user-"))
        os.chmod(self.base, 0o755)
        self.project = self.base / "project"
        self.project.mkdir()
        for part in PROJECT_PARTS:
            source = ROOT / part
            if source.is_dir():
                _link_tree(source, self.project / part)
            else:
                os.link(source, self.project / part)
        self.python, self.libpython = SYSTEM_PYTHON, None
        if self.own_python:
            self.python, self.libpython = _link_interpreter(self.base / "python")
        _link_tree(sysconfig.get_paths()["purelib"], self.base / "site")
        jupyter_data = Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"
        if jupyter_data.is_dir():               # generate_feedback needs nbconvert's templates
            _link_tree(jupyter_data, self.base / "jupyter")
        bin_dir = self.base / "bin"             # the console scripts nbgrader runs (it calls `alembic`)
        bin_dir.mkdir()
        (bin_dir / "alembic").write_text(f"#!{self.python}\nimport sys\nfrom alembic.config import main\n"
                                         "sys.exit(main())\n")
        (bin_dir / "alembic").chmod(0o755)
        self.home = self.base / "home"
        self.home.mkdir()
        os.chown(self.home, self.uid, self.gid)
        return self

    def env(self, extra=None):
        env = {"PATH": f"{self.base / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.home),
               "PYTHONPATH": f"{self.project}:{self.base / 'site'}", "JUPYTER_PATH": str(self.base / "jupyter"),
               "MPLBACKEND": "Agg",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1"}
        if self.libpython:
            env["LD_LIBRARY_PATH"] = self.libpython
        env.update(extra or {})
        return env

    def run(self, args, timeout=900, env=None, cwd=None, input=None):
        """Run the user's Python with ``args`` as the user; a CompletedProcess (text output)."""
        def become():
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)
        return subprocess.run([self.python, *args], env=self.env(env), cwd=cwd or self.home,
                              preexec_fn=become, capture_output=True, text=True, timeout=timeout,
                              input=input)

    def __exit__(self, *exc):
        subprocess.run(["pkill", "-KILL", "-u", self.name], capture_output=True)
        subprocess.run(["userdel", self.name], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)
