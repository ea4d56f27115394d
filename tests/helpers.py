"""Helpers shared by the test modules."""
import numpy as np
import pytest

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading.sandbox.limits import Limits

FAST = Limits(wall=5.0, startup=5.0, cpu=10)


def package(tmp_path, source, name="layers"):
    """A cs231n_lite package under tmp_path whose module ``name`` has the given source."""
    pkg = tmp_path / "cs231n_lite"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / f"{name}.py").write_text("import numpy as np\n" + source)
    return pkg


def failure_message(test, wrong, case="visible"):
    """The CheckFailed message a test gives a wrong implementation (fails if none is raised)."""
    with pytest.raises(CheckFailed) as info:
        with np.errstate(all="ignore"):
            test(wrong, case=case)
    return str(info.value)
