"""README's "Adding a graded function" holds: a toy function added in the places it lists is graded.

In a copy of the project the test writes a new graded function `toy_double`
in cs231n_lite/layers.py (place 1), its test in cs231n_lite/selfcheck/
activations.py (place 2; it needs no fixtures, so no case builder, place 3),
the README's points for notebook 01 (place 5; no bank entries: the bank's
own tests are not run here, place 4), and runs `python -m grading cells`.
Nothing else is edited: the release builder strips it and names its
notebook, the notebook gets its grade cell, and the trusted grader grades
it (points from the registry), full marks for the solution, zero for the
stub.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nbgrader
ROOT = Path(__file__).resolve().parent.parent

FUNCTION = '''

def toy_double(x):
    """Twice x.

    Inputs:
    - x: array of any shape

    Returns:
    - out: array of the same shape, 2 * x
    """
    ### BEGIN SOLUTION
    out = 2 * x
    ### END SOLUTION
    return out
'''
TEST = '''

@SUITE.graded("toy_double", points=1)
def test_toy_double(toy_double, case="visible"):
    """toy_double doubles its input."""
    x = np.arange(6.0).reshape(2, 3) - (2.5 if case == "hidden" else 0.0)
    out, _ = call(toy_double, "toy_double", x)
    expect_array("toy_double", "out", out, 2 * x, 1e-12)
'''
SCRIPT = '''
import sys
from pathlib import Path
from grading.judge.trusted import grade_submission
from grading.release.course import build_release
release = build_release(Path(sys.argv[1]))
reference = grade_submission(Path("cs231n_lite"), b"toy", "ada", ["01_activation_functions"])
stub = grade_submission(release / "cs231n_lite", b"toy", "ada", ["01_activation_functions"])
nb = "01_activation_functions.ipynb"
print(reference[nb]["test_toy_double"].score, stub[nb]["test_toy_double"].score,
      stub[nb]["test_toy_double"].message)
'''


def test_a_toy_graded_function_added_in_the_readmes_places_is_graded(tmp_path):
    tree = tmp_path / "project"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", "build", "workspace",
                                                              "__pycache__", ".pytest_cache"))
    layers = tree / "cs231n_lite" / "layers.py"
    layers.write_text(layers.read_text() + FUNCTION)
    topic = tree / "cs231n_lite" / "selfcheck" / "activations.py"
    text = topic.read_text()
    assert "from .feedback import" in text and "expect_array" in text and "call" in text
    topic.write_text(text + TEST)
    readme = tree / "README.md"
    readme.write_text(re.sub(r"(\| `01_activation_functions` \|[^|]*\()(\d+)(\) \|)",
                             lambda m: f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}", readme.read_text()))
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": str(tree),
           "OPENBLAS_NUM_THREADS": "1", "HOME": str(tmp_path)}
    cells = subprocess.run([sys.executable, "-m", "grading", "cells"], cwd=tree, env=env,
                           capture_output=True, text=True)
    assert cells.returncode == 0, cells.stderr[-2000:]
    assert "01_activation_functions.ipynb: 1 grade cell(s) rewritten" in cells.stdout
    nb = json.loads((tree / "notebooks" / "01_activation_functions.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_toy_double")
    assert cell["metadata"]["nbgrader"]["points"] == 1 and 'grade("toy_double")' in "".join(cell["source"])
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "course")], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    full, zero, message = proc.stdout.strip().splitlines()[-1].split(" ", 2)
    assert (full, zero) == ("1", "0") and "toy_double is not implemented yet" in message
    assert "01_activation_functions.ipynb tests it" in message
    stripped = (tmp_path / "course" / "release" / "part1" / "cs231n_lite" / "layers.py").read_text()
    assert "out = 2 * x" not in stripped and "def toy_double(x):" in stripped
    release_nb = json.loads((tmp_path / "course" / "release" / "part1" / "01_activation_functions.ipynb").read_text())
    assert any(c["metadata"].get("nbgrader", {}).get("grade_id") == "test_toy_double" for c in release_nb["cells"])
