"""A bank of realistic submissions: one-bug variants of every graded function, and correct variants.

Each ``Bug`` is one classic mistake written into the reference source the
way a student would write it (an exact text edit of one cs231n_lite
module) with the words its feedback must contain (``phrase``, part of the
"Likely mistake" that names it). Each ``Correct`` is another correct way
of writing a function, which must keep every point and get no hint.

    from bank import BUGS, CORRECT, edited_function, as_variant

``edited_function(entry)`` builds the edited module in memory (cheap,
tests/selfcheck/test_bank.py); ``as_variant(entry)`` gives the
grading.release.samples.Variant of a whole submission, graded through the
trusted grader by benchmarks/variant_bank.py and the nbgrader-marked test.
"""
import types
from dataclasses import dataclass
from pathlib import Path

from cs231n_lite.selfcheck import REGISTRY
from grading.release.samples import Edit, Variant

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Bug:
    """One mistake in one graded function.

    edits: ((old, new), ...) replacements in the function's module, each
    ``old`` occurring exactly once; phrase: words of the message that name
    the mistake (None: detected but not named, say why in ``unnamed``);
    visible: False if only the hidden case can show it (say why in ``why``).
    """
    function: str
    description: str
    edits: tuple
    phrase: str = None
    visible: bool = True
    why: str = ""
    module: str = None

    @property
    def file(self):
        return f"cs231n_lite/{self.module or REGISTRY[self.function].module}.py"


@dataclass(frozen=True)
class Correct:
    """Another correct implementation of one graded function (must pass, with no hint)."""
    function: str
    description: str
    edits: tuple
    module: str = None

    @property
    def file(self):
        return f"cs231n_lite/{self.module or REGISTRY[self.function].module}.py"


def edited_source(entry):
    """The text of the entry's module with its edits applied."""
    text = (ROOT / entry.file).read_text()
    for old, new in entry.edits:
        if text.count(old) != 1:
            raise ValueError(f"{entry.function} ({entry.description}): {old!r} occurs {text.count(old)} times "
                             f"in {entry.file}")
        text = text.replace(old, new)
    return text


def edited_module(entry):
    """The entry's module, edited, as a fresh module object (not in sys.modules)."""
    name = entry.file[:-len(".py")].replace("/", ".")
    module = types.ModuleType(name)
    module.__package__ = name.rsplit(".", 1)[0]
    module.__file__ = str(ROOT / entry.file)
    exec(compile(edited_source(entry), f"<{entry.function}: {entry.description}>", "exec"), module.__dict__)
    return module


def edited_function(entry):
    return getattr(edited_module(entry), entry.function)


def as_variant(entry):
    """The whole submission: the reference with this entry's edits."""
    breaks = (REGISTRY[entry.function].grade_id,) if isinstance(entry, Bug) else ()
    return Variant(f"{entry.function}: {entry.description}", "reference",
                   tuple(Edit(entry.file, old, new) for old, new in entry.edits), breaks=breaks)


def _collect():
    from . import n01_activations, n02_preprocessing, n03_initialization, n04_normalization  # noqa: F401
    from . import n05_babysitting, n06_hyperopt, n07_optimization  # noqa: F401
    modules = (n01_activations, n02_preprocessing, n03_initialization, n04_normalization, n05_babysitting,
               n06_hyperopt, n07_optimization)
    bugs = [b for m in modules for b in m.BUGS]
    correct = [c for m in modules for c in m.CORRECT]
    return bugs, correct


BUGS, CORRECT = _collect()


def entry_id(entry):
    return f"{entry.function}-{entry.description[:40]}"
