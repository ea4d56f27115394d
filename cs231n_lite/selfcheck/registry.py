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
    uses: tuple = ()   # other graded functions whose reference the test may call in their place


REGISTRY = {}


def graded(name, module, notebook, points, uses=()):
    """Decorator registering ``test_<name>`` as the test of ``name``.

    uses: the graded functions ``name`` is expected to call (batchnorm_forward
    under spatial_batchnorm_forward, ...). Its test runs the reference of
    each of them instead of the student's, so that one bug costs one
    function; every other graded function ``name`` calls is the student's own.
    """
    def register(test):
        REGISTRY[name] = GradedFunction(name, module, notebook, points, test, tuple(uses))
        return test
    return register
