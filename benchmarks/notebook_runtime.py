"""Wall time of each source notebook run top to bottom as a student's kernel runs it.

The budget is 60 s per notebook on 2 cores while another process keeps one
core busy (as on a shared machine), in full mode (no NBGRADER_EXECUTION, no
quick mode). Nothing here limits threads: the kernel gets no BLAS/OpenMP
variable from this script (they are removed from its environment), so the
only pinning is the notebook's own setup cell, as in a student's JupyterLab.
Next to the wall time it prints the kernel's CPU time: on a shared machine
other work stretches the wall time, while a single-threaded kernel that has a
core to itself (2 cores, one busy) takes about its CPU time.

    python benchmarks/notebook_runtime.py [name-prefix ...]   # e.g. 01 03
    python benchmarks/notebook_runtime.py --idle              # without the busy process of its own
"""
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from grading.release.course import notebook_files  # noqa: E402

BUDGET = 60.0
NOT_A_STUDENT = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NBGRADER_EXECUTION",
                 "CS231N_LITE_QUICK", "PYTEST_CURRENT_TEST", "MPLBACKEND")


def busy_core():
    """A child process that spins one core until it is terminated."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def run(path):
    """Wall seconds to execute one notebook (kernel start included), the kernel's CPU seconds,
    and its three slowest cells."""
    import psutil
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        kernel = psutil.Process(client.km.provisioner.pid)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        cpu = kernel.cpu_times()
    total = time.perf_counter() - start
    cells = sorted(((_seconds(c.metadata.get("execution", {})), i) for i, c in enumerate(nb.cells)
                    if c.cell_type == "code"), reverse=True)[:3]
    return total, cpu.user + cpu.system, cells


def main(argv):
    idle = "--idle" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for var in NOT_A_STUDENT:
        os.environ.pop(var, None)
    spinner = None if idle else busy_core()
    try:
        print(f"{os.cpu_count()} cores, " + ("none kept busy by this benchmark" if idle else
                                             f"one kept busy by this benchmark (pid {spinner.pid})")
              + f"; load average {os.getloadavg()[0]:.2f} at the start")
        over = []
        for path in notebook_files():
            if wanted and not any(path.name.startswith(w) for w in wanted):
                continue
            total, cpu, cells = run(path)
            detail = ", ".join(f"cell {i}: {s:.1f} s" for s, i in cells)
            print(f"{path.name}: {total:.1f} s (budget {BUDGET:.0f} s), kernel CPU {cpu:.1f} s; slowest {detail}",
                  flush=True)
            if total > BUDGET:
                over.append(path.name)
        print(f"load average {os.getloadavg()[0]:.2f} at the end"
              + (f"; over budget: {', '.join(over)}" if over else ""))
    finally:
        if spinner is not None:
            spinner.terminate()
            spinner.wait()


def _seconds(execution):
    try:
        start = datetime.fromisoformat(execution["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(execution["shell.execute_reply"].replace("Z", "+00:00"))
        return (end - start).total_seconds()
    except (KeyError, ValueError):
        return 0.0


if __name__ == "__main__":
    main(sys.argv[1:])
