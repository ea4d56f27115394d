"""What can go wrong on the host side of the sandbox, as exceptions.

Neither is a test-library exception: the sandbox wing knows nothing of the
tests. The judge translates a SandboxFailure into the test's CheckFailed
(grading/judge/session.py's proxy).
"""


class SandboxFailure(Exception):
    """The worker cannot go on (hung, exited, broke the protocol); the message is for the student.

    seen: for a timeout, the worker's {"cpu", "waited"} seconds when it was stopped.
    """

    def __init__(self, message, seen=None):
        super().__init__(message)
        self.seen = seen or {}


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up on this machine: grading must stop, with this message.

    Never the student's fault, so never a student's lost points.
    """
