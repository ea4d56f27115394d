"""Bank entries of notebook n06_hyperopt."""
from . import Bug, Correct  # noqa: F401

BUGS = []
CORRECT = []
