"""Per-student hidden test inputs, computed at grading time.

No hidden fixture is stored anywhere: the grader holds a per-course secret,
derives from it one seed per (student, graded function), and runs the
topic's fixture builder (grading/judge/make_fixtures.py) in its hidden regime
with that seed. Inputs therefore differ between students, are the same
every time one student is regraded, and their expected outputs come from
the reference implementation in the grader's process.

    secret = read_secret(path)                      # or new_secret() / write_secret(path)
    install_hidden(HiddenSource(secret, student))   # cs231n_lite.selfcheck.fixtures
    spec.test(student_function, case="hidden")
"""
import hashlib
import os
import secrets
from pathlib import Path

from grading.judge import make_fixtures

SECRET_BYTES = 32
SEED_MASK = (1 << 63) - 1  # non-negative and within int64, which every numpy seed API accepts


class HiddenSource:
    """Hidden inputs of one student, as ``cs231n_lite.selfcheck.fixtures`` expects.

    Parameters
    ----------
    secret : bytes
        The course secret (never shipped to students).
    student : str
        The student's id, e.g. nbgrader's student id.
    """

    def __init__(self, secret, student):
        if not isinstance(secret, bytes) or not secret:
            raise TypeError("secret must be non-empty bytes (see read_secret / new_secret)")
        if not isinstance(student, str) or not student:
            raise TypeError("student must be a non-empty string")
        self._secret = secret
        self.student = student
        self._built = {}  # (topic, seed) -> fixture dict of the whole topic

    def __repr__(self):
        # never show the secret (reprs end up in logs and tracebacks)
        return f"HiddenSource(student={self.student!r})"

    def seed(self, function):
        """The seed of ``function``'s hidden inputs for this student.

        Parameters
        ----------
        function : str
            Name of a graded function, e.g. 'relu_backward'.

        Returns
        -------
        int
            The first 8 bytes (big-endian) of
            sha256(secret + b"\\0" + student + b"\\0" + function), masked to 63 bits.
        """
        message = self._secret + b"\0" + self.student.encode() + b"\0" + function.encode()
        return int.from_bytes(hashlib.sha256(message).digest()[:8], "big") & SEED_MASK

    def fields(self, topic, function):
        """Hidden inputs and reference outputs of ``function``, built with its own seed.

        Parameters
        ----------
        topic : str
            Fixture topic: a key of grading.judge.make_fixtures.TOPICS (e.g. 'activations').
        function : str
            A graded function of that topic.

        Returns
        -------
        dict of str to numpy.ndarray
            ``field -> array`` (fresh copies: callers may modify them).

        Raises
        ------
        ValueError
            If the topic is unknown or has no fixture for ``function``.
        """
        if topic not in make_fixtures.TOPICS:
            raise ValueError(f"unknown fixture topic {topic!r}; known: {', '.join(make_fixtures.TOPICS)}")
        data = self._function_fixtures(topic, function)
        prefix = function + "/"
        fields = {k[len(prefix):]: v.copy() for k, v in data.items() if k.startswith(prefix)}
        if not fields:
            known = sorted({k.split("/", 1)[0] for k in make_fixtures.build(topic, "visible", 0)})
            raise ValueError(f"topic {topic!r} has no hidden fixture for {function!r}; "
                           f"its functions: {', '.join(known)}")
        return fields

    def _function_fixtures(self, topic, function):
        # cached, since a test may load its fields several times
        key = (topic, function)
        if key not in self._built:
            self._built[key] = _build_gradable(topic, self.seed(function), function)
        return self._built[key]


class HiddenCaseError(RuntimeError):
    """The grader could not draw a hidden case: an instructor's problem, never a student's."""


RETRIES = 20
GOLDEN = 0x9E3779B97F4A7C15  # odd: steps through every 64-bit value


def _build_gradable(topic, seed, function):
    """The function's hidden fixtures from the first draw the reference can be graded on.

    A rare draw puts an input so close to a kink or a tiny variance that the
    reference's gradient and its numerical gradient disagree (the builder's
    sanity check raises). Such a case could fail correct work, so the next
    seed of a fixed sequence is taken: still deterministic per student.
    """
    for attempt in range(RETRIES):
        try:
            return make_fixtures.build(topic, "hidden", (seed + attempt * GOLDEN) & SEED_MASK, only=function)
        except AssertionError:
            continue
    raise HiddenCaseError(f"no gradable hidden case for {topic} in {RETRIES} draws from seed {seed}")


def new_secret():
    """A fresh random course secret of SECRET_BYTES bytes."""
    return secrets.token_bytes(SECRET_BYTES)


def write_secret(path, secret=None):
    """Create ``path`` holding a course secret as hex text, readable by its owner only.

    Parameters
    ----------
    path : str or Path
        Must not exist yet: overwriting a secret would change every
        student's hidden inputs between grading runs.
    secret : bytes, optional
        The secret to store; a new one (``new_secret()``) by default.

    Returns
    -------
    bytes
        The secret written.
    """
    secret = new_secret() if secret is None else secret
    # O_EXCL and mode 0600 at creation: no moment where the file is world-readable
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    with os.fdopen(fd, "w") as f:
        f.write(secret.hex() + "\n")
    return secret


def read_secret(path):
    """The course secret stored by ``write_secret``.

    Raises
    ------
    ValueError
        If the file does not hold a hex secret.
    """
    text = Path(path).read_text().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path} does not hold a hex course secret") from None
    if not secret:
        raise ValueError(f"{path} holds an empty course secret")
    return secret
