"""nbgrader's Validate shows a check's whole message, the likely mistake included."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import VALIDATOR_WIDTH, write_config, write_student_jupyter_config
from grading.release.gradecells import grade_cell_metadata, grade_cell_source

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
HINT = ("Likely mistake: your gradient passes through where x == 0; the subgradient used here is 0 at x == 0, "
        "so use x > 0, not x >= 0.")


def test_grade_cell_lines_fit_validate():
    for spec in REGISTRY.values():
        assert max(map(len, grade_cell_source(spec).splitlines())) <= 90 - 3 - 4, spec.name


def test_course_and_workspace_configs_raise_the_validator_width(tmp_path):
    write_config(tmp_path)
    assert f"c.Validator.width = {VALIDATOR_WIDTH}" in (tmp_path / "nbgrader_config_generated.py").read_text()
    config_dir = write_student_jupyter_config(tmp_path)
    assert f"c.Validator.width = {VALIDATOR_WIDTH}" in (config_dir / "nbgrader_config.py").read_text()


@pytest.mark.nbgrader
def test_validate_on_a_buggy_submission_shows_the_whole_hint(tmp_path):
    import nbformat
    shutil.copytree(ROOT / "cs231n_lite", tmp_path / "cs231n_lite", ignore=shutil.ignore_patterns("__pycache__"))
    layers = tmp_path / "cs231n_lite" / "layers.py"
    layers.write_text(layers.read_text().replace("    dx = dout * (x > 0)\n", "    dx = dout * (x >= 0)\n"))
    spec = REGISTRY["relu_backward"]
    cell = nbformat.v4.new_code_cell(grade_cell_source(spec))
    cell.metadata["nbgrader"] = grade_cell_metadata(spec)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os, sys\nsys.path.insert(0, os.getcwd())"),
                                         cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    # no nbgrader_config.py here: Validate's default width (90) must show the whole message too
    proc = subprocess.run([str(BIN / "nbgrader"), "validate", "nb.ipynb"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    shown = proc.stdout + proc.stderr
    assert "VALIDATION FAILED ON 1 CELL(S)" in shown, shown
    error = " ".join(shown.split("The error was:", 1)[1].split())
    assert error.startswith("CheckFailed: relu_backward: dx differs from the reference at ["), error
    assert HINT in error and "..." not in error, error
