"""Which test checks which graded function, where, and for how many points.

The release builder reads this to write stubs that name the notebook; the
self-check and the grade cells read it to find a function's test.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class GradedFunction:
    name: str          # e.g. 'relu_backward'
    module: str        # module of cs231n_lite that defines it, e.g. 'layers'
    notebook: str      # notebook whose grade cell tests it
    points: int        # points of that grade cell
    test: Callable     # test(fn, case='visible'|'hidden'); raises CheckFailed


REGISTRY = {}


def graded(name, module, notebook, points):
    """Decorator registering ``test_<name>`` as the test of ``name``."""
    def register(test):
        REGISTRY[name] = GradedFunction(name, module, notebook, points, test)
        return test
    return register
