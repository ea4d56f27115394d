"""The trusted grader on whole packages, without nbgrader: reference, stubs, one-function tests."""
import shutil

import numpy as np
import pytest

from cs231n_lite.selfcheck import REGISTRY
from cs231n_lite.selfcheck.fixtures import load
from grading.release.course import ROOT, build_source
from grading.judge.hidden import HiddenSource
from grading.judge.trusted import grade_function, grade_notebook, graded_functions, hidden_inputs

SECRET = b"test-trusted-secret"


@pytest.fixture(scope="module")
def stub_package(tmp_path_factory):
    """The student release's package: every graded function a stub."""
    course = tmp_path_factory.mktemp("stubs")
    return build_source(course) / "cs231n_lite"


@pytest.fixture
def reference_copy(tmp_path):
    pkg = tmp_path / "cs231n_lite"
    shutil.copytree(ROOT / "cs231n_lite", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def test_the_reference_package_passes_every_function_for_two_students():
    for student in ("ada", "bob"):
        results = {}
        for notebook in sorted({s.notebook for s in REGISTRY.values()}):
            results.update(grade_notebook(notebook, ROOT / "cs231n_lite", SECRET, student))
        failed = {k: r.message for k, r in results.items() if not r.passed}
        assert failed == {}
        assert sum(r.score for r in results.values()) == sum(s.points for s in REGISTRY.values())


def test_stubs_score_zero_and_say_not_implemented_once(stub_package):
    results = grade_notebook("01_activation_functions", stub_package, SECRET, "ada")
    assert len(results) == len(graded_functions("01_activation_functions.ipynb"))
    for r in results.values():
        assert r.score == 0
        assert r.message.count("is not implemented yet") == 1, r.message


def edit(pkg, module, old, new):
    path = pkg / f"{module}.py"
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def test_a_batchnorm_bug_costs_only_batchnorm_forward(reference_copy):
    edit(reference_copy, "normalization", "        inv_std = 1.0 / np.sqrt(var + eps)\n",
         "        inv_std = 1.0 / np.sqrt(var + 10 * eps)\n")
    results = grade_notebook("04_batch_normalization", reference_copy, SECRET, "ada")
    assert {k for k, r in results.items() if not r.passed} == {"test_batchnorm_forward"}


def test_lsuv_keeps_its_points_when_the_layers_are_stubs(stub_package, tmp_path):
    """lsuv_init scales a model whose tanh and relu live in the grader (reference)."""
    pkg = tmp_path / "cs231n_lite"
    shutil.copytree(stub_package, pkg)
    shutil.copy(ROOT / "cs231n_lite" / "init.py", pkg / "init.py")
    source = HiddenSource(SECRET, "ada")
    result = grade_function(REGISTRY["lsuv_init"], pkg, source)
    assert result.passed, result.message


def test_printing_never_costs_points(reference_copy):
    edit(reference_copy, "layers", "    out = np.maximum(0, x)\n",
         "    import sys\n    print('debug', x)\n    print('oops', file=sys.stderr)\n"
         "    out = np.maximum(0, x)\n")
    result = grade_function(REGISTRY["relu_forward"], reference_copy, HiddenSource(SECRET, "ada"))
    assert result.passed, result.message


TABLE_CHEAT = '''
def relu_backward(dout, cache):
    """Looks the answer up in a table of another student's graded cases."""
    import os
    table = np.load(os.path.join(os.path.dirname(__file__), "answers.npz"))
    for i in range(len(table.files) // 3):
        if np.array_equal(table[f"x{i}"], cache) and np.array_equal(table[f"dout{i}"], dout):
            return table[f"dx{i}"]
    raise ValueError("this input is not in my table")
'''


def test_a_table_of_another_students_hidden_outputs_earns_nothing(reference_copy):
    cases = [load("activations", "relu_backward", "visible")]
    with hidden_inputs(HiddenSource(SECRET, "ada")):
        cases.append(load("activations", "relu_backward", "hidden"))
    np.savez(reference_copy / "answers.npz", **{f"{k}{i}": c[k] for i, c in enumerate(cases)
                                                for k in ("x", "dout", "dx")})
    (reference_copy / "layers.py").write_text((reference_copy / "layers.py").read_text() + TABLE_CHEAT)
    spec = REGISTRY["relu_backward"]
    as_ada = grade_function(spec, reference_copy, HiddenSource(SECRET, "ada"))
    as_bob = grade_function(spec, reference_copy, HiddenSource(SECRET, "bob"))
    assert as_ada.passed, as_ada.message          # the table is right for the student it came from
    assert not as_bob.passed and "not in my table" in as_bob.message and "hidden" in as_bob.message


def test_hidden_inputs_differ_between_students():
    a, b = HiddenSource(SECRET, "ada"), HiddenSource(SECRET, "bob")
    for topic, name in (("activations", "relu_backward"), ("normalization", "batchnorm_forward"),
                        ("preprocessing", "fit_pca")):
        fa, fb = a.fields(topic, name), b.fields(topic, name)
        first_input = next(k for k, v in fa.items() if np.ndim(v) >= 2)
        assert not np.array_equal(fa[first_input], fb[first_input]), (topic, name)


def test_an_in_place_function_is_caught_across_the_process_boundary(reference_copy):
    edit(reference_copy, "layers", "    out = np.maximum(0, x)\n", "    out = x\n    out[out < 0] = 0\n")
    result = grade_function(REGISTRY["relu_forward"], reference_copy, HiddenSource(SECRET, "ada"))
    assert not result.passed and "changed its input x in place" in result.message


@pytest.fixture(scope="module")
def alone_packages(tmp_path_factory):
    """For every graded function, the release's package with only that function written."""
    from grading.release.course import graded_module_files
    from grading.release.strip import strip_solutions
    root = tmp_path_factory.mktemp("alone")
    notebook_of = {name: spec.notebook for name, spec in REGISTRY.items()}
    sources = {rel: (ROOT / rel).read_text() for rel in graded_module_files()}
    packages = {}
    for name in REGISTRY:
        pkg = root / name / "cs231n_lite"
        shutil.copytree(ROOT / "cs231n_lite", pkg, ignore=shutil.ignore_patterns("__pycache__"))
        for rel, text in sources.items():
            (root / name / rel).write_text(strip_solutions(text, rel, notebook_of, keep={name})[0])
        packages[name] = pkg
    return packages


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_function_earns_its_points_alone(alone_packages, name):
    """The test of one function depends on that function alone: with every other graded
    function a stub, it passes (its declared dependencies come from the reference)."""
    result = grade_function(REGISTRY[name], alone_packages[name], HiddenSource(SECRET, "ada"))
    assert result.passed, result.message


def test_declared_dependencies_are_graded_functions_and_nothing_is_its_own():
    for name, spec in REGISTRY.items():
        assert set(spec.uses) <= set(REGISTRY) - {name}, (name, spec.uses)


SIBLING = "\ndef relu_forward(x):\n    out, _ = leaky_relu_forward(x, alpha=0.0)\n    return out, x\n"   # relu's cache is x


@pytest.mark.parametrize("sibling_written", [False, True])
def test_a_function_that_calls_an_undeclared_sibling_earns_what_the_sibling_earns(
        stub_package, tmp_path, sibling_written):
    """relu_forward written as leaky_relu_forward(x, 0): the call reaches the student's own
    leaky_relu_forward, never the grader's reference."""
    pkg = tmp_path / "cs231n_lite"
    shutil.copytree(ROOT / "cs231n_lite" if sibling_written else stub_package, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "layers.py").write_text((pkg / "layers.py").read_text() + SIBLING)
    source = HiddenSource(SECRET, "ada")
    relu = grade_function(REGISTRY["relu_forward"], pkg, source)
    leaky = grade_function(REGISTRY["leaky_relu_forward"], pkg, source)
    assert relu.passed == leaky.passed == sibling_written, (relu.message, leaky.message)
    if not sibling_written:
        assert "leaky_relu_forward is not implemented yet" in relu.message
