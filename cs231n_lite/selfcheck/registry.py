"""Which test checks which graded function, where, and for how many points.

The release builder reads this to write stubs that name the notebook; the
self-check and the grade cells read it to find a function's test.

Each selfcheck topic declares its graded functions through one ``Suite``:

    SUITE = Suite(module="layers", notebook="01_activation_functions.ipynb", fixtures="activations")

    @SUITE.graded("relu_forward", points=1)
    def test_relu_forward(relu_forward, case="visible"):
        f = SUITE.load("relu_forward", case)
        ...
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

    @property
    def grade_id(self):
        """The grade id of this function's grade cell, 'test_<name>'."""
        return f"test_{self.name}"


REGISTRY = {}


def graded(name, module, notebook, points, uses=()):
    """Decorator registering ``test_<name>`` as the test of ``name``.

    uses: the graded functions ``name`` is expected to call (batchnorm_forward
    under spatial_batchnorm_forward, ...), or that the test itself calls on
    the function's behalf (the layers of the model given to lsuv_init). In
    the grader each of them is the reference implementation, so that one bug
    costs one function; every other graded function ``name`` calls is the
    student's own.
    """
    def register(test):
        REGISTRY[name] = GradedFunction(name, module, notebook, points, test, tuple(uses))
        return test
    return register


class Suite:
    """The graded functions of one selfcheck topic.

    module: the cs231n_lite module that defines them (a test may say otherwise);
    notebook: the notebook whose grade cells test them; fixtures: the topic
    of their fixtures (``selfcheck/fixtures/<fixtures>.npz``), if any.
    """

    def __init__(self, module, notebook, fixtures=None):
        self.module, self.notebook, self.fixtures = module, notebook, fixtures

    def graded(self, name, points, uses=(), module=None):
        """The decorator registering ``name``'s test (see ``graded``)."""
        return graded(name, module or self.module, self.notebook, points, uses)

    def load(self, function, case="visible"):
        """The fixture fields of ``function`` in this suite's fixture topic."""
        from .fixtures import load
        return load(self.fixtures, function, case)
