"""environment.yml and pyproject.toml list the same dependencies; fixtures are current."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalize(spec):
    name, constraint = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower().replace("_", "-"), constraint.replace(" ", "")


def pyproject_deps():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(normalize(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])


def environment_deps():
    deps, inside = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            inside = True
        elif inside and re.match(r"^\s+-\s", line):
            name, constraint = normalize(line.split("-", 1)[1].split("#")[0])
            deps[name] = constraint
        elif inside and line and not line.startswith((" ", "#")):
            inside = False
    return deps


def test_environment_matches_pyproject():
    env = environment_deps()
    assert env.pop("python") == "=3.11"
    assert env == pyproject_deps()


def test_environment_uses_conda_forge():
    assert "  - conda-forge" in (ROOT / "environment.yml").read_text().splitlines()


def test_nbgrader_is_pinned_to_0_9():
    assert pyproject_deps()["nbgrader"].endswith("<0.10")


def test_committed_fixtures_match_a_fresh_regeneration():
    proc = subprocess.run([sys.executable, str(ROOT / "grading" / "make_fixtures.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fixtures are up to date" in proc.stdout


def test_fixtures_are_float64_with_full_precision():
    import numpy as np
    with np.load(ROOT / "cs231n_lite" / "selfcheck" / "fixtures" / "activations.npz") as f:
        floats = [f[k] for k in f.files if f[k].dtype.kind == "f"]
    assert floats and all(a.dtype == np.float64 for a in floats)
