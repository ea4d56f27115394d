"""Bank entries of notebook n05_babysitting."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
