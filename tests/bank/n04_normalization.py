"""Bank entries of notebook n04_normalization."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
