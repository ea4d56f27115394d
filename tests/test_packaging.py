"""environment.yml and pyproject.toml list the same dependencies, requirements.lock pins
them within pyproject's ranges and make installs from it; fixtures are current."""
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def normalize(spec):
    name, constraint = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower().replace("_", "-"), constraint.replace(" ", "")


def pyproject_specs():
    """Every dependency make installs: the runtime ones and every optional extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]


def pyproject_deps():
    return dict(normalize(s) for s in pyproject_specs())


# conda-forge names that are not PyPI's (PyPI's name on the right).
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def environment_deps():
    """{PyPI name: constraint} of environment.yml's dependencies."""
    deps, inside = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            inside = True
        elif inside and re.match(r"^\s+-\s", line):
            name, constraint = normalize(line.split("-", 1)[1].split("#")[0])
            deps[CONDA_TO_PYPI.get(name, name)] = constraint
        elif inside and line and not line.startswith((" ", "#")):
            inside = False
    return deps


def test_environment_matches_pyproject():
    env = environment_deps()
    assert env.pop("python") == "=3.11"
    assert env == pyproject_deps()


def test_environment_uses_conda_forges_names():
    names = {normalize(line.split("-", 1)[1].split("#")[0])[0] for line in
             (ROOT / "environment.yml").read_text().splitlines() if re.match(r"^\s+-\s", line)}
    assert "playwright-python" in names and "playwright" not in names


def test_the_licence_is_mit_in_spdx_form_with_its_file():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"
    assert [p for pattern in pyproject["project"]["license-files"] for p in ROOT.glob(pattern)] == [ROOT / "LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 cs231n-lite maintainers\n")
    setuptools = [Requirement(r) for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")][0]
    assert not setuptools.specifier.contains("76.9") and setuptools.specifier.contains("77.0")


def test_environment_uses_conda_forge():
    assert "  - conda-forge" in (ROOT / "environment.yml").read_text().splitlines()


def test_nbgrader_is_pinned_to_0_9():
    assert pyproject_deps()["nbgrader"].endswith("<0.10")


def direct_requirements():
    return [Requirement(s) for s in pyproject_specs()]


def make_installs():
    """The requirement names Makefile's READ_DEPS prints (what `make` installs)."""
    read_deps = re.search(r"^READ_DEPS := (.*)$", (ROOT / "Makefile").read_text(), re.M)[1]
    out = subprocess.run([sys.executable, "-c", read_deps], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return {canonicalize_name(Requirement(line).name) for line in out.splitlines()}


def test_dask_is_an_extra_that_make_installs_and_students_do_not_get():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(s).name) for s in project["dependencies"]}
    cluster = {canonicalize_name(Requirement(s).name) for s in project["optional-dependencies"]["cluster"]}
    assert cluster == {"distributed"} and "distributed" not in runtime
    assert make_installs() == {canonicalize_name(r.name) for r in direct_requirements()}
    sys.path.insert(0, str(ROOT))
    from grading.release.course import student_requirements
    students = {canonicalize_name(Requirement(line).name) for line in student_requirements().splitlines()
                if line and not line.startswith("#")}
    assert "distributed" not in students and "numpy" in students


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!]*)$")


def lock_pins(text=None):
    """{canonical name: version} of requirements.lock; fails on anything but name==version."""
    text = (ROOT / "requirements.lock").read_text() if text is None else text
    pins = {}
    for i, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements.lock:{i}: {line!r} is not an exact pin name==version"
        name = canonicalize_name(match[1])
        assert name not in pins, f"requirements.lock:{i}: {match[1]} is pinned twice"
        pins[name] = Version(match[2])
    return pins


@pytest.mark.parametrize("line", ["numpy>=2.4", "numpy==2.*", "numpy===2.4.6", "numpy", "-e .",
                                  "numpy==2.4.6; python_version < '3.12'", "numpy==2.4.6 --hash=sha256:00"])
def test_lock_reader_rejects_anything_but_exact_pins(line):
    with pytest.raises(AssertionError, match="not an exact pin"):
        lock_pins(line)


def test_lock_has_exact_pins_only_and_not_the_project():
    pins = lock_pins()
    assert len(pins) > 50                  # the whole environment, not just the direct deps
    assert "cs231n-lite" not in pins


def test_every_direct_dependency_is_pinned_within_its_range():
    pins = lock_pins()
    for req in direct_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (pyproject.toml) is not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_installs_from_the_lock_and_reinstalls_when_it_or_pyproject_changes(tmp_path):
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()

    def up_to_date(newer=None):
        os.utime(stamp, (1e9, 1e9))
        for name in ("pyproject.toml", "requirements.lock"):
            os.utime(tmp_path / name, (2e9, 2e9) if name == newer else (0, 0))
        return subprocess.run(["make", "-q", ".venv/.installed"], cwd=tmp_path).returncode == 0

    assert up_to_date()
    assert not up_to_date(newer="requirements.lock")
    assert not up_to_date(newer="pyproject.toml")
    plan = subprocess.run(["make", "-n", "-B", ".venv/.installed"], cwd=tmp_path,
                          capture_output=True, text=True, check=True).stdout
    assert "-m pip install -c requirements.lock -r .venv/requirements.txt" in plan
    assert "echo" in plan                  # says what it installs: no silent minute


def test_committed_fixtures_match_a_fresh_regeneration():
    proc = subprocess.run([sys.executable, str(ROOT / "grading" / "judge" / "make_fixtures.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fixtures are up to date" in proc.stdout


def test_fixtures_are_float64_with_full_precision():
    import numpy as np
    with np.load(ROOT / "cs231n_lite" / "selfcheck" / "fixtures" / "activations.npz") as f:
        floats = [f[k] for k in f.files if f[k].dtype.kind == "f"]
    assert floats and all(a.dtype == np.float64 for a in floats)


def test_every_locked_package_runs_on_the_oldest_python_the_project_allows():
    """pip refuses a pin whose Requires-Python excludes the interpreter: `make` would stop there."""
    from importlib.metadata import PackageNotFoundError, metadata
    from packaging.specifiers import SpecifierSet
    allowed = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    oldest = min((Version(f"3.{minor}.{patch}") for minor in range(8, 20) for patch in range(40)
                  if allowed.contains(Version(f"3.{minor}.{patch}"))))
    too_new = {}
    for name, version in lock_pins().items():
        try:
            meta = metadata(name)
        except PackageNotFoundError:
            continue
        needs = meta.get("Requires-Python")
        if needs and Version(meta["Version"]) == version and not SpecifierSet(needs).contains(oldest):
            too_new[f"{name}=={version}"] = needs
    assert not too_new, f"requires-python allows {oldest}, but the lock pins {too_new}"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_refuses_a_python_older_than_requires_python_in_one_line(tmp_path):
    for name in ("Makefile", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    text = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(re.sub(r'requires-python = ">=[0-9.]+"', 'requires-python = ">=3.99.0"',
                                                    text))
    proc = subprocess.run(["make", f"PYTHON={sys.executable}", ".venv/.installed"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and not (tmp_path / ".venv").exists()
    assert proc.stderr.splitlines()[0] == (f"cs231n-lite needs Python >=3.99.0, {sys.executable} is "
                                           f"{sys.version.split()[0]}: run make with PYTHON=/path/to/a/newer/python3")
