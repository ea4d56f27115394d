"""check() and grade() (selfcheck/runner.py): fresh code, one FAIL line for a broken file, unfinished dependencies named."""
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cs231n_lite.selfcheck import REGISTRY, check
from cs231n_lite.selfcheck.runner import spec_named
from grading.release.gradecells import grade_cell_source

ROOT = Path(__file__).resolve().parents[2]
STUB = "raise NotImplementedError('{f} is not implemented yet: write it in cs231n_lite/{m}.py; {nb} tests it')"


@pytest.fixture
def package(tmp_path):
    """A copy of the reference package in tmp_path, and run(script) -> stdout of a fresh Python there."""
    shutil.copytree(ROOT / "cs231n_lite", tmp_path / "cs231n_lite", ignore=shutil.ignore_patterns("__pycache__"))

    def run(script):
        code = f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + textwrap.dedent(script)
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout
    return tmp_path / "cs231n_lite", run


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def stub(name, indent="    "):
    spec = REGISTRY[name]
    return indent + STUB.format(f=name, m=spec.module, nb=spec.notebook) + "\n"


def test_check_accepts_the_grade_id(capsys):
    assert check("test_relu_backward") is True
    assert "PASS relu_backward: all visible checks passed (2 points)." in capsys.readouterr().out
    assert spec_named("test_lsuv_init") is REGISTRY["lsuv_init"]
    with pytest.raises(KeyError, match="did you mean 'relu_backward'"):
        check("relu_backwards")


def test_a_syntax_error_fails_every_check_of_the_file_with_its_line_never_passing_on_stale_code(package):
    pkg, run = package
    out = run(f"""
        from cs231n_lite import layers                 # imported while the file was fine
        from cs231n_lite.selfcheck import check, grade, CheckFailed
        open({str(pkg / 'layers.py')!r}, 'a').write('\\ndef broken(:\\n')
        print(check("relu_backward"), check("test_sigmoid_forward"), check("lsuv_init"), check("fit_mean"))
        try:
            grade("relu_backward")
        except CheckFailed as exc:
            print("RAISED", exc)
        print(layers.relu_forward.__module__)          # the notebook's module is still there
    """)
    lines = out.splitlines()
    line = len((pkg / "layers.py").read_text().splitlines())
    where = f"cs231n_lite/layers.py line {line} is not valid Python"
    for name, got in zip(("relu_backward", "sigmoid_forward", "lsuv_init"), lines[:3]):
        assert got.startswith(f"FAIL {name} cannot be checked: {where}") and "`def broken(:`" in got, got
    assert lines[3].startswith("PASS fit_mean")           # preprocess.py does not import layers.py
    assert lines[4] == "False False False True"
    assert lines[5].startswith(f"RAISED relu_backward cannot be checked: {where}")
    assert lines[6] == "cs231n_lite.layers" and "passed" not in "".join(lines[:3] + lines[5:])


def test_an_import_error_names_the_file_and_line(package):
    pkg, run = package
    edit(pkg / "init.py", "import numpy as np\n", "import numpy as np\nfrom .layers import no_such_name\n")
    out = run('from cs231n_lite.selfcheck import check\ncheck("he_init")')
    assert out.strip() == ("FAIL he_init cannot be checked: importing cs231n_lite/init.py line 9 failed with "
                           "ImportError: cannot import name 'no_such_name' from 'cs231n_lite.layers' "
                           f"({pkg / 'layers.py'}). Nothing in that file runs until it is fixed.")


def test_grade_cell_with_autoreload_fails_on_a_broken_file_instead_of_passing_stale_code(package):
    pkg, run = package
    cell = grade_cell_source(REGISTRY["relu_backward"])
    out = run(f"""
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_cell("%load_ext autoreload\\n%autoreload 2\\nfrom cs231n_lite import layers")
        shell.run_cell({cell!r})
        open({str(pkg / 'layers.py')!r}, 'a').write('\\nx = (\\n')
        result = shell.run_cell({cell!r})
        print("ERROR", type(result.error_in_exec).__name__)
    """)
    first, second = out.split("relu_backward: visible checks passed (2 points).", 1)
    assert "cannot be checked: cs231n_lite/layers.py line" in " ".join(second.split())
    assert "visible checks passed" not in second and "ERROR CheckFailed" in second


@pytest.mark.parametrize("tested,unfinished,module,old,graded_as", [
    ("random_search", "trial_status", "hyperopt", "    if losses.size == 0:\n", "the reference trial_status runs"),
    ("lsuv_init", "tanh_forward", "layers", "    out = np.tanh(x)\n", "the reference tanh_forward runs"),
    ("spatial_batchnorm_backward", "batchnorm_backward_alt", "normalization",
     "    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)\n",
     "the reference batchnorm_backward_alt runs"),
])
def test_an_unfinished_dependency_is_named_with_what_the_grader_does(package, tested, unfinished, module, old,
                                                                    graded_as):
    pkg, run = package
    edit(pkg / f"{module}.py", old, stub(unfinished, old[:len(old) - len(old.lstrip())]) + old)
    out = run(f'from cs231n_lite.selfcheck import check\ncheck("{tested}")').strip()
    assert out.startswith(f"FAIL {tested} cannot be checked yet: {unfinished} is not implemented yet (write it in "), out
    assert f"and {tested} needs it. When graded, {graded_as} in its place, so {tested} earns its points on its own" in out


def test_an_undeclared_sibling_that_is_unfinished_costs_the_caller_in_the_grader_too(package):
    pkg, run = package
    edit(pkg / "layers.py", "    out = np.maximum(0, x)\n", "    out, _ = leaky_relu_forward(x, alpha=0.0)\n")
    tail = "    ### END SOLUTION\n    cache = (x, alpha)\n    return out, cache\n\n\ndef leaky_relu_backward"
    edit(pkg / "layers.py", "    out = np.where(x > 0, x, alpha * x)\n" + tail, stub("leaky_relu_forward") + tail)
    out = run('from cs231n_lite.selfcheck import check\ncheck("relu_forward")').strip()
    assert out.startswith("FAIL relu_forward cannot be checked yet: leaky_relu_forward is not implemented yet")
    assert out.endswith("When graded, your own leaky_relu_forward runs here too.")


def test_a_failing_declared_dependency_is_noted(package):
    pkg, run = package
    edit(pkg / "hyperopt.py", "    samples = 10.0 ** exponents\n", "    samples = rng.uniform(low, high, size)\n")
    out = run('from cs231n_lite.selfcheck import check\ncheck("random_search")').strip()
    assert out.startswith("FAIL random_search: ")
    assert out.endswith("Note: random_search uses sample_config, whose own check fails; when graded, the reference "
                        "sample_config runs in its place, so fix sample_config first and check random_search again.")


def test_grade_cells_call_grade_by_name():
    for spec in REGISTRY.values():
        source = grade_cell_source(spec)
        assert source.splitlines()[-2:] == ["from cs231n_lite.selfcheck import grade", f'grade("{spec.name}")']


def test_checks_leave_the_imported_modules_in_place():
    import cs231n_lite.layers as before
    import cs231n_lite
    check("relu_forward", quiet=True)
    import cs231n_lite.layers as after
    assert before is after and cs231n_lite.layers is before and sys.modules["cs231n_lite.layers"] is before


def test_notebook_grade_cells_are_the_generated_ones():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        sources = ["".join(c["source"]) for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                   and c["cell_type"] == "code"]
        specs = [s for s in REGISTRY.values() if s.notebook == nb.name]
        assert sorted(sources) == sorted(grade_cell_source(s) for s in specs), nb.name
