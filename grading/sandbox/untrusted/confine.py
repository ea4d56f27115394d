"""A worker confines itself, after the zygote forks it and before any student code runs.

The zygote already runs inside bubblewrap (host/bubblewrap.py): a root
filesystem that holds only the interpreter, numpy, this folder and the
zygote's package inbox, all read-only; its own PID, network, IPC and UTS
namespaces; no new privileges. Each worker is PID 1 of a PID namespace of
its own (the zygote forks it so), and here it takes:

* a mount and an IPC namespace of its own, with a fresh /proc that shows
  its own processes only, size-capped tmpfs for /tmp and /dev/shm, and its
  own package alone, read-only, at protocol.PACKAGE_DIR;
* resource limits (address space, CPU, file size, processes, files);
* no capability left, and as root an unprivileged uid;
* a seccomp filter (libseccomp) that refuses new namespaces, mounts,
  ptrace, keyrings, BPF and other kernel surfaces no graded function needs.

When the worker ends, the kernel ends everything in its PID namespace and
frees its mounts: nothing it started or wrote outlives it.
Without bubblewrap (unprotected grading, asked for explicitly) only the
resource limits apply.
"""
import ctypes
import errno
import os
import resource
import signal

if __package__:          # grading.sandbox.untrusted.confine
    from . import protocol
else:                    # a module of the script the zygote runs
    import protocol

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME = 0x10000000, 0x20000000, 0x40000000, 0x80
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                   CLONE_NEWPID, CLONE_NEWNET)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 28, 47, 4
# securebits: uid 0 gets no capabilities on exec, keep-caps off and ambient raising refused, all locked
SECURE_NOROOT_LOCKED = 1 << 0 | 1 << 1 | 1 << 5 | 1 << 6 | 1 << 7
CAPABILITY_VERSION_3 = 0x20080522

# Refused with EPERM in a worker: what would let it reshape its sandbox or reach the kernel's
# less-travelled surfaces. Everything else a numpy program does is allowed.
REFUSED_SYSCALLS = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "swapon", "swapoff", "reboot",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
    "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "ptrace",
    "process_vm_readv", "process_vm_writev", "open_by_handle_at", "name_to_handle_at", "quotactl",
    "acct", "sethostname", "setdomainname", "io_uring_setup", "io_uring_enter", "io_uring_register",
)


class ConfinementError(OSError):
    """A step of the confinement failed: the worker must not run student code."""


_LIBC = None


def libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise ConfinementError(code, f"{what}: {os.strerror(code)}")


def _bytes(text):
    return None if text is None else text.encode()


def unshare(flags):
    _check(libc().unshare(flags), "unshare")


def setns(fd, flags):
    _check(libc().setns(fd, flags), "setns")


def mount(source, target, fstype, flags, data=None):
    _check(libc().mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {target}")


def _private_filesystem(package_id, limits):
    """Own mount and IPC namespaces: fresh /proc, capped tmpfs, its own package only."""
    unshare(CLONE_NEWNS | CLONE_NEWIPC)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for target, size in (("/tmp", limits["scratch"]), ("/dev/shm", limits["shm"])):
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},mode=1777")
    mine = os.path.join(protocol.INBOX_DIR, package_id)
    mount(mine, protocol.PACKAGE_DIR, None, MS_BIND | MS_REC)
    mount(None, protocol.PACKAGE_DIR, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _check(libc().umount2(_bytes(protocol.INBOX_DIR), MNT_DETACH), "umount inbox")   # the others' packages


def _limits(limits, others):
    """Resource limits; others: tasks of this uid the worker must not count as its own."""
    for which, value in ((resource.RLIMIT_AS, limits["memory"]), (resource.RLIMIT_FSIZE, limits["file_size"]),
                         (resource.RLIMIT_NPROC, limits["processes"] + others),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(which, (int(value), int(value)))
    # SIGXCPU at the limit: as PID 1 of its namespace the worker would ignore it, so it exits with
    # protocol.CPU_LIMIT_STATUS (the grader says "used up its CPU time"); SIGKILL 2 s later otherwise
    signal.signal(signal.SIGXCPU, lambda *_: os._exit(protocol.CPU_LIMIT_STATUS))
    resource.setrlimit(resource.RLIMIT_CPU, (int(limits["cpu"]), int(limits["cpu"]) + 2))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_privileges(uid):
    """No capability in any set, none to regain on exec; as root also an unprivileged uid."""
    cap = 0
    while libc().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    if ctypes.get_errno() != errno.EINVAL or cap == 0:
        raise ConfinementError(ctypes.get_errno(), f"dropping capability {cap} from the bounding set")
    _check(libc().prctl(PR_SET_SECUREBITS, SECURE_NOROOT_LOCKED, 0, 0, 0), "securebits")
    _check(libc().prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient capabilities")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    data = (_CapData * 2)()
    _check(libc().capset(ctypes.byref(_CapHeader(CAPABILITY_VERSION_3, 0)), data), "capset")


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


SCMP_ACT_ALLOW, SCMP_CMP_MASKED_EQ = 0x7FFF0000, 7


def _errno_action(code):
    return 0x00050000 | (code & 0xFFFF)


def _seccomp():
    """Load the worker's seccomp filter through libseccomp (inherited by its children).

    Before the uid switch: the filter refuses none of the calls that follow.
    """
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise ConfinementError(errno.ENOMEM, "seccomp_init")
    try:
        def refuse(syscall, code=errno.EPERM, args=()):
            number = lib.seccomp_syscall_resolve_name(syscall.encode())
            if number < 0:
                return          # not a syscall of this kernel's architecture
            array = (_ArgCmp * max(1, len(args)))(*args)
            if lib.seccomp_rule_add_array(ctx, _errno_action(code), number, len(args), array) != 0:
                raise ConfinementError(errno.EINVAL, f"seccomp rule for {syscall}")
        for syscall in REFUSED_SYSCALLS:
            refuse(syscall)
        for flag in NAMESPACE_FLAGS:     # fork and threads stay allowed; new namespaces do not
            refuse("clone", args=[_ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag)])
        refuse("clone3", errno.ENOSYS)   # its flags live in memory: glibc then falls back to clone
        if lib.seccomp_load(ctx) != 0:
            raise ConfinementError(ctypes.get_errno(), "seccomp_load")
    finally:
        lib.seccomp_release(ctx)


def capabilities_left():
    """CapEff of this process as /proc reports it (0 when every capability is gone)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return None


def confine(request, mode):
    """Everything above, in order; returns what was achieved (sent to the grader as ISOLATED).

    request: the zygote's FORK request ({"package", "uid", "limits", "others"}).
    mode: "root" or "user" (inside bubblewrap), or "bare" (unprotected).
    """
    limits = request["limits"]
    info = {"mode": mode}
    if mode != "bare":
        _private_filesystem(request["package"], limits)
    os.environ.update({"HOME": "/tmp", "TMPDIR": "/tmp"} if mode != "bare" else {})
    _limits(limits, int(request.get("others") or 0))
    if mode != "bare":
        _seccomp()
        _drop_privileges(request.get("uid") if mode == "root" else None)
        info["capabilities"] = capabilities_left()
    if mode != "bare":
        os.chdir("/tmp")
    info["uid"] = os.getuid()
    return info
