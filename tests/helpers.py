"""Helpers shared by the test modules."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite.selfcheck.feedback import CheckFailed
from grading.sandbox.limits import Limits

FAST = Limits(wall=5.0, startup=5.0, cpu=10)


def copy_course(template, dest):
    """A course at ``dest`` as build_release would make it: a copy of the session's built one.

    The built course holds no absolute path (its nbgrader_config.py finds its
    instructor folder from its own location), so a copy grades like a build
    and saves each module the ~15 s of nbgrader's generate_assignment.
    """
    shutil.copytree(template, dest, symlinks=True)
    return Path(dest)


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
