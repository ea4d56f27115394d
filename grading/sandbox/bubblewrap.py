"""The bubblewrap command line that starts a zygote from an empty root: the sandbox's allowlist.

A zygote's root filesystem is a new, empty tmpfs (read-only once set up)
that holds only:

* the interpreter: its executable, the shared libraries it and numpy load
  (their folders), and its standard library, with every site-packages
  folder inside it covered by an empty read-only tmpfs — read-only;
* numpy and its vendored libraries, at protocol.SITE_DIR — read-only;
* the untrusted side's code (grading/sandbox/untrusted/), at
  protocol.CODE_DIR — read-only;
* the zygote's package inbox, at protocol.INBOX_DIR — read-only; each
  worker keeps only its own package (untrusted/confine.py);
* bubblewrap's own /proc and minimal /dev, and /etc/ld.so.cache.

No course directory, no other submission, no repository, no home folder,
no /etc beyond the linker's cache. bubblewrap also gives the zygote its own
PID, network (nothing but a loopback), IPC and UTS namespaces and sets
no-new-privileges; the zygote keeps the few capabilities it needs to make
each worker's namespaces, and every worker drops them all. As root, that is
bubblewrap's privileged mode; as an ordinary user, a user namespace in which
the zygote is uid 0 with those capabilities over its own namespaces only.
"""
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np

from grading.sandbox.errors import SandboxUnavailable
from grading.sandbox.untrusted import protocol

UNTRUSTED_DIR = Path(__file__).resolve().parent / "untrusted"
# Set to 1 to grade without bubblewrap (the workers then read and write as the grader can).
UNPROTECTED_VARIABLE = "CS231N_LITE_UNPROTECTED"
# The zygote's own: each worker's namespaces (SYS_ADMIN), its uid as root (SETUID, SETGID),
# dropping them for good (SETPCAP), ending a worker of another uid (KILL).
ZYGOTE_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL")
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "HOME": "/tmp",
               "TMPDIR": "/tmp", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def unprotected_allowed():
    return os.environ.get(UNPROTECTED_VARIABLE, "") not in ("", "0")


def mode():
    """How this process's zygotes run: "root" or "user" (bubblewrap), or "bare" (asked for).

    Raises SandboxUnavailable when bubblewrap is missing and unprotected
    grading was not asked for.
    """
    if shutil.which("bwrap") is None:
        if unprotected_allowed():
            return "bare"
        raise SandboxUnavailable(
            "grading needs bubblewrap (the `bwrap` command) to isolate students' code, and it is not "
            "installed: `apt-get install bubblewrap` (Debian/Ubuntu) or your system's package. To grade "
            f"without any protection anyway, set {UNPROTECTED_VARIABLE}=1 (students' code can then read "
            "and change everything you can).")
    return "root" if os.geteuid() == 0 else "user"


def interpreter():
    """The real path of this interpreter's executable (the zygote runs it directly, not a venv link)."""
    return os.path.realpath(sys.executable)


@functools.lru_cache(maxsize=1)
def _shared_libraries():
    """Paths (as the loader names them) of the libraries the interpreter and numpy load."""
    numpy_dir = Path(np.__file__).resolve().parent
    dynload = Path(sysconfig.get_path("platstdlib", vars={"platbase": sys.base_exec_prefix})) / "lib-dynload"
    files = [interpreter(), *map(str, dynload.glob("*.so")), *map(str, numpy_dir.rglob("*.so"))]
    out = subprocess.run(["ldd", *files], capture_output=True, text=True).stdout
    libraries = set()
    for line in out.splitlines():
        line = line.strip()
        if line.endswith(":") or not line:       # ldd's heading for each file it lists
            continue
        target = line.split("=>", 1)[1] if "=>" in line else line
        path = target.split("(", 1)[0].strip()
        if path.startswith("/"):
            libraries.add(path)
    seccomp = _library_path("seccomp")
    if seccomp:
        libraries.add(seccomp)
    return sorted(libraries)


def _library_path(name):
    """Where the dynamic linker finds lib<name> (ldconfig's cache), or None."""
    try:
        out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if line.strip().startswith(f"lib{name}.so") and "=>" in line:
            return line.split("=>", 1)[1].strip()
    return None


class _Binds:
    """Collects bubblewrap arguments that make host paths appear at the same paths, read-only."""

    def __init__(self):
        self.args, self.links, self.bound, self.dirs = [], set(), set(), set()

    def _parents(self, dest):
        """Create dest's missing ancestors 0755 (bubblewrap would make them 0700: unreadable as the sandbox uid)."""
        for parent in reversed(Path(dest).parents[:-1]):     # outermost first, without "/"
            if str(parent) not in self.dirs and str(parent) not in self.links:
                self.dirs.add(str(parent))
                self.args += ["--perms", "0755", "--dir", str(parent)]

    def _links_along(self, folder):
        """Recreate the symlinks among folder's ancestors (e.g. /lib -> usr/lib on merged-/usr systems)."""
        current = Path("/")
        for part in Path(folder).parts[1:]:
            current = current / part
            if current.is_symlink():
                if str(current) not in self.links:
                    self.links.add(str(current))
                    self.args += ["--symlink", os.readlink(current), str(current)]
                current = Path(os.path.realpath(current))

    def bind(self, path, dest=None):
        """Bind the real path of ``path`` read-only at ``dest`` (default: where it is)."""
        real = os.path.realpath(path)
        dest = dest or real
        if any(dest == b or dest.startswith(b + os.sep) for b in self.bound):
            return          # already visible through a folder bound before
        self.bound.add(dest)
        self._parents(dest)
        self.args += ["--ro-bind", real, dest]

    def empty(self, path):
        """An empty read-only folder over path (a site-packages inside the standard library)."""
        self.args += ["--tmpfs", path, "--remount-ro", path]


def filesystem_args(inbox):
    """The allowlist (see the module docstring) as bubblewrap arguments."""
    binds = _Binds()
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix, "installed_base": sys.base_prefix,
            "installed_platbase": sys.base_exec_prefix}
    stdlib = os.path.realpath(sysconfig.get_path("stdlib", vars=base))
    platstdlib = os.path.realpath(sysconfig.get_path("platstdlib", vars=base))
    numpy_dir = Path(np.__file__).resolve().parent
    binds.bind(interpreter())
    for library in _shared_libraries():
        real = os.path.realpath(library)
        if real.startswith(str(numpy_dir.parent) + os.sep):
            continue                            # numpy's own, reached at SITE_DIR through its RPATH
        for name in (library, real):            # where the loader looks, and the file itself
            folder = os.path.realpath(os.path.dirname(name))
            binds._links_along(os.path.dirname(name))
            if any(s.startswith(folder + os.sep) for s in (stdlib, platstdlib)):
                binds.bind(real, os.path.join(folder, os.path.basename(name)))   # e.g. .../lib/libpython
            else:                               # a system library folder: no Python packages in it
                binds.bind(folder)
    for folder in sorted({stdlib, platstdlib}):
        binds.bind(folder)
        for site in Path(folder).glob("*-packages"):
            binds.empty(str(site))
    binds.bind(str(numpy_dir), f"{protocol.SITE_DIR}/numpy")
    if (numpy_dir.parent / "numpy.libs").is_dir():
        binds.bind(str(numpy_dir.parent / "numpy.libs"), f"{protocol.SITE_DIR}/numpy.libs")
    binds.bind(str(UNTRUSTED_DIR), protocol.CODE_DIR)
    binds.bind(str(inbox), protocol.INBOX_DIR)
    if os.path.exists("/etc/ld.so.cache"):
        binds.bind("/etc/ld.so.cache")
    args = binds.args
    args += ["--proc", "/proc", "--dev", "/dev", "--dir", "/dev/shm", "--dir", "/tmp",
             "--dir", protocol.PACKAGE_DIR, "--remount-ro", "/"]
    return args


def zygote_config(zygote_mode, inbox):
    """What the zygote is told at start: its mode, and where it finds the inbox and numpy."""
    if zygote_mode == "bare":
        return {"mode": "bare", "inbox": str(inbox), "site": str(Path(np.__file__).resolve().parent.parent)}
    return {"mode": zygote_mode, "inbox": protocol.INBOX_DIR, "site": protocol.SITE_DIR}


def command(zygote_mode, inbox, control_fd):
    """The argv that starts a zygote (untrusted/worker.py) with its control socket on control_fd."""
    import json
    config = json.dumps(zygote_config(zygote_mode, inbox))
    script = [interpreter(), "-I", "-B"]
    if zygote_mode == "bare":
        return script + [str(UNTRUSTED_DIR / "worker.py"), str(control_fd), config]
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL"]
    for capability in ZYGOTE_CAPABILITIES:
        args += ["--cap-add", capability]
    if zygote_mode == "user":
        # uid 0 of a user namespace of its own; no --disable-userns, which would nest a second one
        # and leave the zygote without the right to reset its PID namespace (setns); the workers'
        # seccomp filter refuses new user namespaces instead
        args += ["--unshare-user", "--uid", "0", "--gid", "0"]
    args += filesystem_args(inbox)
    environment = dict(ENVIRONMENT)
    if os.environ.get("LD_LIBRARY_PATH"):      # an interpreter that finds its libpython only through it
        environment["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    args += ["--clearenv", *[a for key, value in environment.items() for a in ("--setenv", key, value)],
             "--chdir", "/"]
    return args + ["--"] + script + [f"{protocol.CODE_DIR}/worker.py", str(control_fd), config]
