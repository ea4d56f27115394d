"""What can go wrong on the host side of the sandbox, as exceptions."""
from cs231n_lite.selfcheck.feedback import CheckFailed


class SandboxFailure(CheckFailed):
    """The worker cannot go on (hung, exited, broke the protocol); the message is for the student.

    A CheckFailed, so the tests' call() passes the message on unchanged.
    """


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up on this machine: grading must stop, with this message.

    Never the student's fault, so never a student's lost points.
    """
