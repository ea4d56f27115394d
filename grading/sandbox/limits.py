"""What one graded function's test, and one whole submission, may use."""
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one worker (one graded function's test) may use."""
    # The limit is CPU time, which a busy machine does not inflate; wall time is only a generous
    # backstop for code that sleeps or blocks (a test stopped there while it was mostly waiting for
    # a CPU is graded again: grading/judge/trusted.py).
    wall: float = 120.0                # seconds for the whole test, all calls and callbacks included
    cpu: int = 30                      # CPU seconds of the worker (RLIMIT_CPU), and of its callbacks
    memory: int = 2 * 2 ** 30          # address space in bytes (RLIMIT_AS); callbacks get the same
    file_size: int = 16 * 2 ** 20      # largest file it may write (RLIMIT_FSIZE)
    processes: int = 16                # tasks of the sandbox user (RLIMIT_NPROC)
    startup: float = 20.0              # seconds to start and import the module
    scratch: int = 64 * 2 ** 20        # its /tmp (a tmpfs of its own)
    shm: int = 16 * 2 ** 20            # its /dev/shm (a tmpfs of its own)

    def for_worker(self):
        """The part the worker applies to itself (confine.py)."""
        return {"memory": self.memory, "cpu": self.cpu, "file_size": self.file_size,
                "processes": self.processes, "scratch": self.scratch, "shm": self.shm}


class Budget:
    """What one submission may use in all, over all its tests: CPU seconds and wall seconds.

    A submission whose functions all hit the per-test limits would otherwise
    hold a grader for 64 x 30 s; once its budget is spent, the functions not
    yet tested fail at once, with a message that says so.
    """

    def __init__(self, cpu=300.0, wall=900.0):
        self.cpu_limit, self.wall_limit = cpu, wall
        self.cpu = 0.0
        self.started = time.monotonic()

    def charge(self, cpu_seconds):
        self.cpu += max(0.0, float(cpu_seconds))

    @property
    def wall(self):
        return time.monotonic() - self.started

    def spent(self):
        """A message if the budget is used up, else None.

        Within a second: a test clipped to the rest of the budget is stopped by
        RLIMIT_CPU, whose granularity is one second.
        """
        if self.cpu >= self.cpu_limit - 1.0:
            return (f"your submission used up its grading budget of {self.cpu_limit:g} CPU seconds "
                    f"({self.cpu:.0f} s over the tests before this one), so this test was not run; "
                    "look for very slow code or endless loops in the functions that timed out")
        if self.wall >= self.wall_limit:
            return (f"your submission used up its grading budget of {self.wall_limit:g} s "
                    "over all its tests, so this test was not run; look for very slow code or "
                    "endless loops in the functions that timed out")
        return None

    def clip(self, limits):
        """The per-test limits, no larger than what is left of the budget."""
        from dataclasses import replace
        left_cpu = max(1, int(self.cpu_limit - self.cpu))
        left_wall = max(1.0, self.wall_limit - self.wall)
        return replace(limits, cpu=min(limits.cpu, left_cpu), wall=min(limits.wall, left_wall))
