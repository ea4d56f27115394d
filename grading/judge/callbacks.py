"""Callbacks run in the grader under the worker's limits: its deadline and its address space.

A worker calls back the grader's reference implementation (a declared
dependency), a callable the test handed in, or a method of a model the test
owns, with arguments the student's code chose. Without limits one such call
could keep the grader busy long past the test's wall time or make it
allocate without bound. ``limited(deadline, memory)`` bounds one call:

* time: a watchdog thread raises CallbackTimeout in the calling thread
  when the test's deadline passes or the call has used the CPU seconds
  the test has left (between two bytecodes, so a single numpy operation on
  bounded inputs finishes first);
* memory: the process's soft RLIMIT_AS is lowered to what it maps now plus
  ``memory`` bytes for the duration of the call, so a larger allocation
  raises MemoryError there; it is put back afterwards.
"""
import contextlib
import ctypes
import os
import resource
import threading
import time


class CallbackTimeout(TimeoutError):
    """The test's deadline passed, or its CPU seconds ran out, during a callback."""


class _Watchdog:
    """One thread per process that interrupts callbacks past their deadline or their CPU seconds.

    While callbacks come (a test makes hundreds), it looks every TICK seconds
    and nobody wakes it; it sleeps for good only after IDLE quiet seconds. So
    arming a callback costs a dict entry under an uncontended lock, not a
    thread switch.
    """

    TICK = 0.1          # how often running callbacks are looked at
    IDLE = 5.0          # quiet seconds after which it sleeps until the next callback

    def __init__(self):
        self.lock = threading.Lock()          # active and fired: the decision to fire is atomic
        self.wake = threading.Event()
        self.active = {}            # token -> (thread id, deadline, its CPU clock, CPU time at which to stop)
        self.fired = set()
        self.thread = None
        self.last = 0.0
        self.next_token = 0

    def _run(self):
        while True:
            now = time.monotonic()
            with self.lock:
                for token, (thread_id, deadline, clock, cpu_end) in list(self.active.items()):
                    if deadline <= now or time.clock_gettime(clock) >= cpu_end:
                        del self.active[token]
                        self.fired.add(token)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                                   ctypes.py_object(CallbackTimeout))
                busy = bool(self.active) or now - self.last < self.IDLE
                if not busy:
                    self.wake.clear()
            if busy:
                time.sleep(self.TICK)
            else:
                self.wake.wait()

    def arm(self, deadline, cpu_seconds):
        thread_id = threading.get_ident()
        clock = time.pthread_getcpuclockid(thread_id)
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="callback-watchdog", daemon=True)
                self.thread.start()
            self.next_token += 1
            self.active[self.next_token] = (thread_id, deadline, clock, time.clock_gettime(clock) + cpu_seconds)
            self.last = time.monotonic()
            token = self.next_token
        if not self.wake.is_set():
            self.wake.set()
        return token

    def disarm(self, token):
        """Stop watching; if it already fired, take back an exception not raised yet."""
        with self.lock:
            self.active.pop(token, None)
            fired = token in self.fired
            self.fired.discard(token)
        if fired:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)
        return fired


_watchdog = _Watchdog()
_saved_limit = None
_limit_lock = threading.Lock()


_statm = None
_page = os.sysconf("SC_PAGE_SIZE")


def _mapped_bytes():
    """The process's address-space size (read from a descriptor kept open: callbacks are many)."""
    global _statm
    if _statm is None:
        _statm = os.open("/proc/self/statm", os.O_RDONLY)
    return int(os.pread(_statm, 64, 0).split()[0]) * _page


def _lower_memory_limit(memory, base=None):
    global _saved_limit
    with _limit_lock:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if _saved_limit is None:
            _saved_limit = (soft, hard)
        wanted = (base if base is not None else _mapped_bytes()) + int(memory)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft == resource.RLIM_INFINITY or wanted < soft:
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def restore_memory_limit():
    """Put back the address-space limit a callback lowered (idempotent)."""
    global _saved_limit
    with _limit_lock:
        if _saved_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, _saved_limit)
            _saved_limit = None


def mapped_bytes():
    """What this process maps now: the base a session's callbacks add their ``memory`` to."""
    return _mapped_bytes()


@contextlib.contextmanager
def limited(deadline, memory, cpu_seconds=float("inf"), base=None):
    """Run the body no later than ``deadline`` (time.monotonic), within ``memory`` bytes more than
    ``base`` (default: what the process maps now) and ``cpu_seconds`` of this thread's CPU time."""
    if deadline <= time.monotonic() or cpu_seconds <= 0:
        raise CallbackTimeout
    token = _watchdog.arm(deadline, cpu_seconds)
    try:
        _lower_memory_limit(memory, base)
        yield
    finally:
        restore_memory_limit()
        if _watchdog.disarm(token):
            raise CallbackTimeout
