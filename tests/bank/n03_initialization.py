"""Bank entries of notebook n03_initialization."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
