"""A submission is data: its files are read without following a link or leaving its folder.

    intake = read_tree(submitted / "cs231n_lite", prefix="cs231n_lite")
    intake.files      # {"cs231n_lite/layers.py": b"...", ...}: regular files only
    intake.skipped    # [("cs231n_lite/evil.py", "a symbolic link (not followed)"), ...]

Every name is opened relative to its folder's descriptor with O_NOFOLLOW and
O_NONBLOCK, and kept only if fstat says it is a regular file with a single
link (a hard link may point at a file outside the submission) and within the
size caps; folders are entered the same way. A symlink, a FIFO, a device, a
socket or a second name of a file is skipped and named in ``skipped`` (the
student and the instructor are told), never read, so nothing outside the
submission reaches the grader, autograded/, feedback or verdicts.
"""
import os
import stat
from dataclasses import dataclass, field

MAX_FILES = 500
MAX_FILE_BYTES = 16 * 2 ** 20
MAX_TOTAL_BYTES = 64 * 2 ** 20
MAX_DEPTH = 8
IGNORED = ("__pycache__", ".ipynb_checkpoints")     # left out silently: never graded


@dataclass
class Intake:
    files: dict = field(default_factory=dict)        # relative path -> bytes
    skipped: list = field(default_factory=list)      # (relative path, why)

    def note(self):
        """One line for the student and the instructor, or '' if nothing was skipped."""
        if not self.skipped:
            return ""
        shown = "; ".join(f"{rel}: {why}" for rel, why in self.skipped[:5])
        more = f" (and {len(self.skipped) - 5} more)" if len(self.skipped) > 5 else ""
        return f"files not graded: {shown}{more}"


def _kind(mode):
    for test, name in ((stat.S_ISLNK, "a symbolic link (not followed)"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _printable(name):
    return name.isprintable() and "\\" not in name


def read_tree(folder, prefix="", limits=None):
    """The regular files under ``folder`` as an Intake; names are ``prefix/relative/path``.

    A missing folder gives an empty Intake with one skipped entry saying so;
    ``folder`` itself must not be a symlink.
    limits: (max files, max bytes per file, max bytes in all, max depth); the module's defaults.
    """
    max_files, max_file, max_total, max_depth = limits or (MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_BYTES,
                                                           MAX_DEPTH)
    intake, total = Intake(), 0
    top = prefix or "."
    try:
        root = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        intake.skipped.append((top, "missing" if isinstance(exc, FileNotFoundError)
                               else "not a folder (or a link to one)"))
        return intake

    def walk(dir_fd, rel, depth):
        nonlocal total
        with os.scandir(dir_fd) as entries:
            names = sorted(e.name for e in entries)
        for name in names:
            path = f"{rel}/{name}" if rel else name
            if name in IGNORED or name.endswith(".pyc"):
                continue
            if not _printable(name):
                intake.skipped.append((path.encode("unicode_escape").decode(), "a name with control characters"))
                continue
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dir_fd)
            except OSError:
                try:
                    mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
                except OSError:
                    mode = 0
                intake.skipped.append((path, _kind(mode)))
                continue
            try:
                info = os.fstat(fd)
                if stat.S_ISDIR(info.st_mode):
                    if depth >= max_depth:
                        intake.skipped.append((path, f"nested more than {max_depth} folders deep"))
                    else:
                        walk(fd, path, depth + 1)
                    continue
                if not stat.S_ISREG(info.st_mode):
                    intake.skipped.append((path, _kind(info.st_mode)))
                elif info.st_nlink != 1:
                    intake.skipped.append((path, "a hard link (a second name of another file)"))
                elif info.st_size > max_file:
                    intake.skipped.append((path, f"larger than {max_file // 2 ** 20} MiB"))
                elif len(intake.files) >= max_files:
                    intake.skipped.append((path, f"more than {max_files} files"))
                elif total + info.st_size > max_total:
                    intake.skipped.append((path, f"more than {max_total // 2 ** 20} MiB in all"))
                else:
                    with os.fdopen(os.dup(fd), "rb") as f:
                        data = f.read(max_file + 1)
                    total += len(data)
                    intake.files[path] = data
            finally:
                os.close(fd)

    try:
        walk(root, prefix, 0)
    finally:
        os.close(root)
    return intake
