"""A submission's package as its workers see it: written from its files, compiled here, read-only.

One copy per submission (or per notebook on nbgrader's path), in the
zygote's inbox; inside the sandbox each worker binds its own package alone,
read-only, at protocol.PACKAGE_DIR. The grader compiles every module itself
from the submitted source (``__pycache__`` beside it, header from the
source's own stat), so a worker imports instead of compiling and the code
that runs is exactly the code that was submitted: nothing a worker sends is
ever stored as code.
"""
import importlib.util
import os
import py_compile
import secrets
import shutil
from pathlib import PurePosixPath

from grading.sandbox import zygote as zygotes
from grading.sandbox.untrusted import protocol

PACKAGE = "cs231n_lite"
COMPILE_MAX_BYTES = 1 * 2 ** 20     # a larger module is left for the worker to compile


def safe_relative(rel):
    """Whether ``rel`` is a plain relative path inside the package (no '..', no absolute part)."""
    path = PurePosixPath(rel)
    return (not path.is_absolute() and ".." not in path.parts and path.parts[:1] == (PACKAGE,)
            and all(part not in ("", ".") for part in path.parts))


class SharedPackage:
    """The package of one submission, for every worker of this grader process.

    Inputs:
    - files: {path relative to the submission ('cs231n_lite/layers.py'): bytes}, as
      grading.judge.intake reads them (regular files only)
    - zygote: the zygote whose workers run it (default: this process's)
    """

    def __init__(self, files, zygote=None):
        self.zygote = zygote or zygotes.current()
        self.id = secrets.token_hex(8)
        self.host_root = self.zygote.inbox / self.id
        self.host_root.mkdir(mode=0o755)
        for rel, data in sorted(files.items()):
            if not safe_relative(rel):
                continue
            target = self.host_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        # what a worker sees: its own package at one fixed path, or the host folder unprotected
        self.root = protocol.PACKAGE_DIR if self.zygote.sandboxed else str(self.host_root)
        self.path = os.path.join(self.root, PACKAGE)
        self._compile()
        for dirpath, dirnames, filenames in os.walk(self.host_root):
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o444)
            os.chmod(dirpath, 0o555)

    def _compile(self):
        """__pycache__ for every module, compiled here from the submitted source."""
        for source in sorted(self.host_root.rglob("*.py")):
            if source.stat().st_size > COMPILE_MAX_BYTES or "__pycache__" in source.parts:
                continue
            seen_as = os.path.join(self.root, source.relative_to(self.host_root).as_posix())
            try:
                py_compile.compile(str(source), cfile=importlib.util.cache_from_source(str(source)),
                                   dfile=seen_as, doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
            except (py_compile.PyCompileError, ValueError, RecursionError, MemoryError, OSError):
                continue     # the worker's import then reports the error from the source itself

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.host_root.exists():
            for dirpath, _, _ in os.walk(self.host_root):
                os.chmod(dirpath, 0o700)
            shutil.rmtree(self.host_root, ignore_errors=True)

