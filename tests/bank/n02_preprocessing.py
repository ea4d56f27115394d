"""Bank entries of notebook n02_preprocessing."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
