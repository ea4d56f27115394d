"""What can go wrong on the host side of the sandbox, as exceptions."""
from cs231n_lite.selfcheck.feedback import CheckFailed


class SandboxFailure(CheckFailed):
    """The worker cannot go on (hung, exited, broke the protocol); the message is for the student.

    A CheckFailed, so the tests' call() passes the message on unchanged.
    seen: for a timeout, the worker's {"cpu", "waited", "wall"} seconds when it was stopped.
    """

    def __init__(self, message, seen=None):
        super().__init__(message)
        self.seen = seen or {}


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up on this machine: grading must stop, with this message.

    Never the student's fault, so never a student's lost points.
    """
