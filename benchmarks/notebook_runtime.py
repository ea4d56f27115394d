"""Wall time of each source notebook, executed top to bottom on the reference build.

The budget is 60 s per notebook on a loaded 2-core machine (without
NBGRADER_EXECUTION, i.e. with every training experiment). The kernels run with
one BLAS/OpenMP thread, as the notebooks' setup cells also pin it.

    python benchmarks/notebook_runtime.py [name-prefix ...]   # e.g. 01 03
"""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from grading.release.course import notebook_files  # noqa: E402


def main():
    os.environ["MPLBACKEND"] = "Agg"
    os.environ.pop("NBGRADER_EXECUTION", None)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    wanted = sys.argv[1:]
    for path in notebook_files():
        if wanted and not any(path.name.startswith(w) for w in wanted):
            continue
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
        total = time.perf_counter() - start
        slowest = sorted(((c.metadata.get("execution", {}), i) for i, c in enumerate(nb.cells)
                          if c.cell_type == "code"), key=lambda t: -_seconds(t[0]))[:3]
        detail = ", ".join(f"cell {i}: {_seconds(e):.1f} s" for e, i in slowest)
        print(f"{path.name}: {total:.1f} s (budget 60 s); slowest {detail}")


def _seconds(execution):
    from datetime import datetime
    try:
        start = datetime.fromisoformat(execution["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(execution["shell.execute_reply"].replace("Z", "+00:00"))
        return (end - start).total_seconds()
    except (KeyError, ValueError):
        return 0.0


if __name__ == "__main__":
    main()
