"""The student release: stubs only, nothing secret, notebooks at the top level."""
import re
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from cs231n_lite.selfcheck import REGISTRY
from grading.release.course import ROOT, graded_module_files, notebook_files
from grading.release.leakcheck import find_leaks, secret_lines
from grading.release.strip import StripError, strip_solutions


@pytest.mark.nbgrader
def test_release_has_no_solution_line_or_marker(release_dir):
    assert find_leaks(release_dir) == []


@pytest.mark.nbgrader
def test_release_layout(release_dir):
    assert (release_dir / "01_activation_functions.ipynb").exists()
    assert (release_dir / "cs231n_lite" / "layers.py").exists()
    assert (release_dir / "cs231n_lite" / "selfcheck" / "fixtures" / "activations.npz").exists()
    assert (release_dir / "datasets" / "fashion_mnist_small.npz").exists()
    assert not (release_dir / "grading").exists()
    assert not list(release_dir.rglob("hidden_fixtures"))
    assert not list(release_dir.rglob("hidden.py"))       # the grader's per-student input source


@pytest.mark.nbgrader
def test_release_cannot_run_hidden_tests(release_dir):
    # hidden inputs come only from a source the grader installs: the release has none to find
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, ".")
        from cs231n_lite.selfcheck.fixtures import load
        try:
            load("activations", "relu_forward", "hidden")
        except RuntimeError as exc:
            print(exc)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=release_dir, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "CS231N_LITE_HIDDEN_FIXTURES": str(ROOT / "grading")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("hidden tests run only in the grader")


@pytest.mark.nbgrader
def test_leak_check_catches_planted_leaks(release_dir, tmp_path):
    planted = tmp_path / "release"
    shutil.copytree(release_dir, planted)
    solution_line = "dx = dout * (x > 0)"
    assert solution_line in secret_lines()
    with open(planted / "cs231n_lite" / "vis.py", "a") as f:
        f.write(f"\n# {'BEGIN'} SOLUTION\n    {solution_line}\n")
    leaks = find_leaks(planted)
    assert any("marker text" in leak for leak in leaks)
    assert any(solution_line in leak for leak in leaks)


@pytest.mark.nbgrader
def test_every_graded_function_is_a_stub_naming_its_notebook(release_dir):
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, ".")
        import cs231n_lite
        assert cs231n_lite.__file__.startswith(sys.argv[1]), cs231n_lite.__file__
        from cs231n_lite.selfcheck import REGISTRY, CheckFailed
        import importlib
        for name, spec in REGISTRY.items():
            fn = getattr(importlib.import_module("cs231n_lite." + spec.module), name)
            try:
                spec.test(fn)
            except CheckFailed as exc:
                print(exc)
            else:
                print("PASSED", name)
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(release_dir)], cwd=release_dir,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(REGISTRY) >= 39
    for name, line in zip(REGISTRY, lines):
        spec = REGISTRY[name]     # every test builds its caches itself: each stub speaks for itself
        assert line == (f"{name} is not implemented yet: write it in cs231n_lite/{spec.module}.py; "
                        f"{spec.notebook} tests it.")


@pytest.mark.nbgrader
@pytest.mark.parametrize("notebook", [nb.name for nb in notebook_files()])
def test_release_notebook_has_stubs_and_no_answers(release_dir, notebook):
    nb = json.loads((release_dir / notebook).read_text())
    solutions = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    answers = [c for c in solutions if c["cell_type"] == "markdown"]
    experiments = [c for c in solutions if c["cell_type"] == "code"]
    assert len(answers) >= 3 and len(experiments) >= 1     # questions, and an experiment to write
    assert all("".join(c["source"]).strip() == "YOUR ANSWER HERE" for c in answers)
    for cell in experiments:
        source = "".join(cell["source"])
        assert "raise NotImplementedError()" in source and "BEGIN SOLUTION" not in source, source


@pytest.mark.nbgrader
def test_exclude_overwriting_lists_every_graded_file(course_dir):
    config = (course_dir / "nbgrader_config_generated.py").read_text()
    files = graded_module_files()
    assert files == sorted(f"cs231n_lite/{m}.py" for m in {s.module for s in REGISTRY.values()})
    assert f"c.Autograde.exclude_overwriting = {{'part1': {files!r}}}" in config
    for setting in ("c.OverwriteCells.add_missing_cells = True", "grading.gradebook.nbgrader_plugin.TrustedGrades",
                    "grading.gradebook.nbgrader_plugin.SanitizeSubmission", "c.TrustedGrades.secret_file"):
        assert setting in config
    assert "nbgrader.preprocessors.Execute" not in config   # submitted notebooks are never run


def test_grade_cells_are_generated_from_the_registry(tmp_path):
    from grading.release.course import notebook_files
    from grading.release.gradecells import sync
    for nb in notebook_files():
        copy = tmp_path / nb.name
        shutil.copy(nb, copy)
        assert sync(copy) == [], f"{nb.name}: run `python -m grading cells`"


NOTEBOOK_OF = {"f": "01_x.ipynb", "g": "01_x.ipynb"}


def test_strip_replaces_each_block_with_a_named_stub():
    source = textwrap.dedent("""\
        def f(x):
            \"\"\"doc\"\"\"
            ### BEGIN SOLUTION
            y = x + 1
            ### END SOLUTION
            return y


        def g(x):
            if x:
                # BEGIN SOLUTION
                return 2
                # END SOLUTION
            return 3
        """)
    text, stubbed = strip_solutions(source, "pkg/m.py", NOTEBOOK_OF)
    assert stubbed == ["f", "g"]
    assert "y = x + 1" not in text and "return 2" not in text and "SOLUTION" not in text
    assert "    raise NotImplementedError('f is not implemented yet: write it in pkg/m.py; 01_x.ipynb tests it')" in text
    assert "        raise NotImplementedError('g is not" in text      # keeps the block's indentation
    namespace = {}
    exec(text, namespace)
    with pytest.raises(NotImplementedError, match="01_x.ipynb"):
        namespace["f"](1)
    assert namespace["g"](0) == 3


@pytest.mark.parametrize("source,error", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "without END SOLUTION"),
    ("def f():\n    ### END SOLUTION\n    pass\n", "without BEGIN SOLUTION"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n    pass\n", "inside another"),
    ("def f(:\n    pass\n", "not valid Python"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "outside any function"),
    ("def h():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "no registered test"),
    ("def f():\n    pass  # BEGIN SOLUTION here\n", "malformed marker"),
])
def test_strip_refuses_malformed_or_unregistered_blocks(source, error):
    with pytest.raises(StripError, match=error):
        strip_solutions(source, "pkg/m.py", NOTEBOOK_OF)


@pytest.mark.nbgrader
def test_release_is_self_contained(release_dir):
    readme = (release_dir / "README.md").read_text()
    for needed in ("requirements.txt", "check_all", "Submit", "01_activation_functions"):
        assert needed in readme
    pins = (release_dir / "requirements.txt").read_text()
    assert "numpy==" in pins and "matplotlib==" in pins and "nbgrader==" in pins
    datasets_readme = (release_dir / "datasets" / "README.md").read_text()
    for script in ("build_fashion_subset.py", "get_cifar10.py"):
        if script in datasets_readme:
            assert (release_dir / "datasets" / script).exists(), script


@pytest.mark.nbgrader
def test_release_notebooks_carry_the_kernels_language_info(release_dir):
    import platform
    for nb_path in release_dir.glob("*.ipynb"):
        info = json.loads(nb_path.read_text())["metadata"]["language_info"]
        assert info["version"] == platform.python_version() and info["mimetype"] == "text/x-python"
        assert info["codemirror_mode"] == {"name": "ipython", "version": 3}


def test_the_instructors_config_is_written_once_and_kept(tmp_path):
    from grading.release.course import OLD_GENERATED_HEADER, write_config
    from grading.release.layout import course
    layout = course(tmp_path)
    layout.config.write_text(OLD_GENERATED_HEADER + "\nc = get_config()\n")     # a course from before the split
    assert write_config(tmp_path) is None
    assert "load_subconfig('nbgrader_config_generated.py'" in layout.config.read_text()
    assert "c.Autograde.exclude_overwriting" in layout.generated_config.read_text()
    mine = layout.config.read_text() + 'c.CanvasGrades.column_title = "Part I (77)"\n'
    layout.config.write_text(mine)
    assert write_config(tmp_path) is None and layout.config.read_text() == mine
    layout.config.write_text('c = get_config()\nc.CanvasGrades.column_title = "Part I (77)"\n')
    assert "does not load nbgrader_config_generated.py" in write_config(tmp_path)
    layout.config.unlink()
    for _ in range(2):      # given again, not written twice
        write_config(tmp_path, course_id="cs231n-spring")
    assert layout.config.read_text().count("c.CourseDirectory.course_id = 'cs231n-spring'") == 1


# What a student runs rather than imports: Jupyter itself, its kernel, Validate.
STUDENT_TOOLS = {"jupyterlab", "notebook", "ipykernel", "nbgrader"}


def _imports(package, texts):
    name = package.replace("-", "_")
    pattern = re.compile(rf"^\s*(import|from)\s+{name}\b|\"\s*(import|from) {name}\b", re.M)
    return any(pattern.search(text) for text in texts)


def test_the_students_requirements_hold_what_the_notebooks_use_and_no_instructor_tool():
    from grading.release.course import INSTRUCTOR_ONLY, student_requirements
    names = {line.split("==")[0] for line in student_requirements().splitlines() if not line.startswith("#")}
    assert {"numpy", "matplotlib", "nbgrader", "jupyterlab", "tqdm", "ipywidgets"} <= names
    assert names.isdisjoint(INSTRUCTOR_ONLY) and "distributed" in INSTRUCTOR_ONLY
    # what the student's side runs imports every requirement but the tools, and nothing left out
    student_side = [p.read_text() for p in (ROOT / "cs231n_lite").rglob("*.py")]
    student_side += [p.read_text() for p in notebook_files()]
    for package in INSTRUCTOR_ONLY:
        assert not _imports(package, student_side), package
    assert {n for n in names - STUDENT_TOOLS if not _imports(n, student_side)} == set()


@pytest.mark.nbgrader
def test_the_release_opens_with_its_student_config_and_a_venv_outside_it(release_dir, tmp_path):
    from grading.release.course import (STUDENT_CONFIG_DIR, STUDENT_DISABLED_PLUGINS, VALIDATOR_WIDTH,
                                        student_requirements)
    from helpers import readme_setup, readme_venv
    assert (release_dir / "requirements.txt").read_text() == student_requirements()
    config = release_dir / STUDENT_CONFIG_DIR
    page = json.loads((config / "labconfig" / "page_config.json").read_text())
    assert set(page["disabledExtensions"]) == set(STUDENT_DISABLED_PLUGINS)
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:menu"} <= set(STUDENT_DISABLED_PLUGINS)
    server = json.loads((config / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server == {"nbgrader.server_extensions.formgrader": False,
                      "nbgrader.server_extensions.assignment_list": False,
                      "nbgrader.server_extensions.course_list": False,
                      "nbgrader.server_extensions.validate_assignment": True}
    assert f"c.Validator.width = {VALIDATOR_WIDTH}" in (config / "nbgrader_config.py").read_text()

    home = tmp_path / "home"
    commands = readme_setup((release_dir / "README.md").read_text(), release_dir, home)
    venv = readme_venv(commands)
    assert venv.is_absolute() and venv.is_relative_to(home) and not venv.is_relative_to(release_dir), venv
    assert commands[1:] == [({}, [str(venv / "bin" / "pip"), "install", "-r", "requirements.txt"]),
                            ({"JUPYTER_CONFIG_DIR": str(config)}, [str(venv / "bin" / "jupyter"), "lab"])]
    # the repository's README tells students the same commands
    students = (ROOT / "README.md").read_text().split("### Students (in a course)", 1)[1]
    block = students.split("```bash\n", 1)[1].split("```", 1)[0]
    assert readme_setup("\n## Open it\n\n" + textwrap.indent(block, "    "), release_dir, home) == commands
