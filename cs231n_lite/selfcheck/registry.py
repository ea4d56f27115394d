"""Which test checks which graded function, where, and for how many points.

The release builder reads this to write stubs that name the notebook; the
self-check and the grade cells read it to find a function's test.

Each selfcheck topic declares its graded functions through one ``Suite``,
and selfcheck/__init__.py registers the suites (register), in notebook order:

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
        """The grade id of this function's grade cell."""
        return grade_id(self.name)

    @property
    def graded_file(self):
        """The package file that defines it, relative to the package's parent ('cs231n_lite/layers.py')."""
        return f"cs231n_lite/{self.module.replace('.', '/')}.py"

    @property
    def metadata(self):
        """The nbgrader metadata of its grade cell (the only source of its points and id)."""
        return {"grade": True, "grade_id": self.grade_id, "locked": True, "points": self.points,
                "schema_version": 3, "solution": False, "task": False}


def grade_id(name):
    """The grade id of a graded function's grade cell: 'test_<name>'."""
    return f"test_{name}"


REGISTRY = {}      # name -> GradedFunction, in notebook order; filled by register() (selfcheck/__init__.py)


def register(suites):
    """Fill REGISTRY from the suites' declared functions, in the order given; returns it."""
    REGISTRY.clear()
    for suite in suites:
        for spec in suite.functions:
            if spec.name in REGISTRY:
                raise ValueError(f"{spec.name} is declared by two suites")
            REGISTRY[spec.name] = spec
    return REGISTRY


def functions(notebook=None):
    """The graded functions, of one notebook if given (its file name, with or without .ipynb)."""
    if notebook is not None and not notebook.endswith(".ipynb"):
        notebook += ".ipynb"
    return [spec for spec in REGISTRY.values() if notebook is None or spec.notebook == notebook]


def notebooks():
    """The notebooks that have graded functions, in order."""
    return sorted({spec.notebook for spec in REGISTRY.values()})


def graded_files():
    """The package files that define graded functions ('cs231n_lite/layers.py', ...), sorted."""
    return sorted({spec.graded_file for spec in REGISTRY.values()})


class Suite:
    """The graded functions of one selfcheck topic, declared with ``@SUITE.graded``.

    module: the cs231n_lite module that defines them (a test may say otherwise);
    notebook: the notebook whose grade cells test them; fixtures: the topic
    of their fixtures (``selfcheck/fixtures/<fixtures>.npz``), if any.
    Declaring registers nothing: selfcheck/__init__.py lists the suites and
    register() builds REGISTRY from them.
    """

    def __init__(self, module, notebook, fixtures=None):
        self.module, self.notebook, self.fixtures = module, notebook, fixtures
        self.functions = []

    def graded(self, name, points, uses=(), module=None):
        """The decorator declaring ``test_<name>`` as the test of ``name``.

        uses: the graded functions ``name`` is expected to call (batchnorm_forward
        under spatial_batchnorm_forward, ...), or that the test itself calls on
        the function's behalf (the layers of the model given to lsuv_init). In
        the grader each of them is the reference implementation, so that one bug
        costs one function; every other graded function ``name`` calls is the
        student's own.
        """
        def declare(test):
            self.functions.append(GradedFunction(name, module or self.module, self.notebook, points, test,
                                                 tuple(uses)))
            return test
        return declare

    def load(self, function, case="visible"):
        """The fixture fields of ``function`` in this suite's fixture topic."""
        from .fixtures import load
        return load(self.fixtures, function, case)
