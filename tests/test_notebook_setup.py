"""The setup cell: one cell, the same in every notebook, that pins the BLAS threads (quick tests)."""
import json
import os
import subprocess
import sys
from pathlib import Path

from grading.release.course import notebook_files

ROOT = Path(__file__).resolve().parent.parent


def setup_cells():
    return {nb.name: "".join(json.loads(nb.read_text())["cells"][1]["source"]) for nb in notebook_files()}


def test_every_notebook_has_the_same_one_call_setup_cell():
    cells = setup_cells()
    assert len(cells) == 7
    assert len(set(cells.values())) == 1, {k: v[:200] for k, v in cells.items()}
    code = [line for line in next(iter(cells.values())).splitlines() if not line.startswith("#")]
    assert code[-1] == "from cs231n_lite.notebook_setup import *; RUN_TRAINING, QUICK = setup_notebook()"
    assert len(code) == 2 and code[0].startswith("import os, sys; sys.path.insert(0")
    assert "Setup: import" in next(iter(cells.values()))           # the browser test finds it by this


def run_setup(cwd, extra_env=None, code=""):
    """Run the setup cell's code in a fresh interpreter with no thread variable set."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NBGRADER_EXECUTION",
                        "CS231N_LITE_QUICK", "PYTEST_CURRENT_TEST")}
    env.update(extra_env or {})
    env["MPLBACKEND"] = "Agg"
    script = next(iter(setup_cells().values())) + "\n" + code
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)


def test_setup_pins_every_thread_pool_without_any_environment_variable():
    proc = run_setup(ROOT / "notebooks", code=(
        "from threadpoolctl import threadpool_info\n"
        "info = threadpool_info()\n"
        "print('POOLS', len(info), sorted({p['num_threads'] for p in info}))\n"
        "print('FLAGS', RUN_TRAINING, QUICK)\n"))
    assert proc.returncode == 0, proc.stderr
    pools = next(line for line in proc.stdout.splitlines() if line.startswith("POOLS")).split(maxsplit=2)
    assert int(pools[1]) >= 1 and pools[2] == "[1]", proc.stdout       # numpy's BLAS was limited to 1
    assert "FLAGS True False" in proc.stdout
    assert "BLAS threads: 1" in proc.stdout


def test_quick_flag_under_pytest_and_nbgrader_validate():
    from cs231n_lite.notebook_setup import quick_mode
    assert quick_mode({}) == (True, False)
    assert quick_mode({"PYTEST_CURRENT_TEST": "t.py::x (call)"}) == (True, True)
    assert quick_mode({"CS231N_LITE_QUICK": "1"}) == (True, True)
    assert quick_mode({"NBGRADER_EXECUTION": "validate"}) == (False, True)


def test_setup_refuses_a_cs231n_lite_that_is_not_next_to_the_notebook(tmp_path):
    """A notebook opened in a folder without cs231n_lite/ must not silently use the repository's."""
    elsewhere = tmp_path / "somewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    proc = run_setup(elsewhere, {"PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0 and "restart the kernel in the folder" in proc.stderr, proc.stderr


def test_the_grade_cells_find_every_test_in_the_shared_namespace():
    from cs231n_lite.notebook_setup import tests
    from cs231n_lite.selfcheck import REGISTRY
    assert sorted(vars(tests)) == sorted(f"test_{name}" for name in REGISTRY)
