"""Bank entries of notebook n07_optimization."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
