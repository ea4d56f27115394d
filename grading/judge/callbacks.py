"""Callbacks run in the grader under the worker's limits: its deadline and its address space.

A worker calls back the grader's reference implementation (a declared
dependency), a callable the test handed in, or a method of a model the test
owns, with arguments the student's code chose. Without limits one such call
could keep the grader busy long past the test's wall time or make it
allocate without bound. ``limited(deadline, memory)`` bounds one call:

* time: a watchdog thread raises CallbackTimeout in the calling thread
  when the test's deadline passes (between two bytecodes, so a single
  numpy operation on bounded inputs finishes first);
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
    """The test's deadline passed during a callback."""


class _Watchdog:
    """One thread per process that interrupts callbacks past their deadline."""

    def __init__(self):
        self.cond = threading.Condition()
        self.active = {}            # token -> (thread id, deadline)
        self.fired = set()
        self.thread = None
        self.next_token = 0

    def _run(self):
        with self.cond:
            while True:
                now = time.monotonic()
                for token, (thread_id, deadline) in list(self.active.items()):
                    if deadline <= now:
                        del self.active[token]
                        self.fired.add(token)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                                   ctypes.py_object(CallbackTimeout))
                wait = min((d for _, d in self.active.values()), default=now + 3600) - now
                self.cond.wait(max(0.001, wait))

    def arm(self, deadline):
        with self.cond:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="callback-watchdog", daemon=True)
                self.thread.start()
            self.next_token += 1
            self.active[self.next_token] = (threading.get_ident(), deadline)
            self.cond.notify()
            return self.next_token

    def disarm(self, token):
        """Stop watching; if it already fired, take back an exception not raised yet."""
        with self.cond:
            self.active.pop(token, None)
            fired = token in self.fired
            self.fired.discard(token)
        if fired:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)
        return fired


_watchdog = _Watchdog()
_saved_limit = None
_limit_lock = threading.Lock()


def _mapped_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _lower_memory_limit(memory):
    global _saved_limit
    with _limit_lock:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if _saved_limit is None:
            _saved_limit = (soft, hard)
        wanted = _mapped_bytes() + int(memory)
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


@contextlib.contextmanager
def limited(deadline, memory):
    """Run the body no later than ``deadline`` (time.monotonic) and within ``memory`` more bytes."""
    if deadline <= time.monotonic():
        raise CallbackTimeout
    token = _watchdog.arm(deadline)
    try:
        _lower_memory_limit(memory)
        yield
    finally:
        restore_memory_limit()
        if _watchdog.disarm(token):
            raise CallbackTimeout
