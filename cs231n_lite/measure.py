"""Report an experiment's measured numbers: readable text for the reader,
and the same numbers as JSON in the notebook output for the tests.
"""
import json

import numpy as np

MIME_TYPE = "application/vnd.cs231n-lite.measurements+json"


def _plain(value):
    """JSON-friendly copy of numbers, arrays, lists and dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        # JSON has no inf/nan: keep them readable as text
        return float(value) if np.isfinite(value) else str(float(value))
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return value


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.3g}" if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4) else f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


class Measured(dict):
    """The values report() returns: a plain dict that IPython does not echo.

    report() already showed them once; without this, a report(...) call on
    the last line of a cell would print the same numbers a second time as
    the cell's Out[] value.
    """

    def _ipython_display_(self):
        pass


def pin_blas_threads(threads=1):
    """Limit numpy's BLAS/OpenMP thread pools to `threads` (call after importing numpy).

    Timings and floating-point results (the summation order of a matrix
    product depends on the thread count) then do not depend on how many
    cores the machine has or how busy it is. Returns the number of thread
    pools limited (0 if threadpoolctl is not installed).
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return 0
    threadpool_limits(limits=threads)   # not used as a context manager: stays in force
    return len(threadpool_info())


def report(experiment, **values):
    """Print ``values`` under a heading and attach them as JSON; returns them.

    Inside IPython the output is one display item with a text/plain part
    (what a person reads) and a machine-readable part (what the tests
    read); elsewhere the text is printed. The returned dict is not echoed
    again when report() ends a cell.
    """
    values = Measured(_plain(values))
    text = "\n".join([f"[{experiment}]"] + [f"  {k}: {_fmt(v)}" for k, v in values.items()])
    try:
        from IPython import get_ipython
        from IPython.display import display
        in_ipython = get_ipython() is not None
    except ImportError:
        in_ipython = False
    if in_ipython:
        display({"text/plain": text, MIME_TYPE: {"experiment": experiment, "values": values}}, raw=True)
    else:
        print(text)
    return values


def collect(notebook):
    """All reported measurements of an executed notebook (an nbformat node or dict).

    Returns:
    - dict experiment -> dict of values (a later report of the same
      experiment name updates the earlier one)
    """
    found = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME_TYPE in data:
                payload = data[MIME_TYPE]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                found.setdefault(payload["experiment"], {}).update(payload["values"])
    return found


def smooth(values, window=20):
    """Trailing moving average, same length as values (shorter windows at the start)."""
    values = np.asarray(values, dtype=np.float64)
    csum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    start = np.maximum(idx - window, 0)
    return (csum[idx] - csum[start]) / (idx - start)


def first_below(values, threshold, window=20):
    """Iterations until the smoothed curve first drops below threshold (None if never)."""
    hits = np.flatnonzero(smooth(values, window) < threshold)
    return int(hits[0]) + 1 if hits.size else None


def check_experiment(experiment, **conditions):
    """Print PASS, or FAIL with each condition that does not hold; returns True on PASS.

    Inputs:
    - experiment: the name shown
    - conditions: description -> bool, e.g. ``elu_mean_below_relu=elu < relu``
      (underscores are shown as spaces)
    """
    failed = [name.replace("_", " ") for name, ok in conditions.items() if not bool(ok)]
    if failed:
        print(f"FAIL {experiment}: " + "; ".join(failed))
    else:
        print(f"PASS {experiment}")
    return not failed
