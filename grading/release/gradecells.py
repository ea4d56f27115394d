"""Grade cells are generated from the registry, never written by hand.

    python -m grading cells      # rewrite the grade cells of notebooks/*.ipynb

A grade cell runs the function's visible test (``selfcheck.grade``), so the
student sees the same feedback as ``check(name)``. Its points and grade id are the registry's;
the score itself comes from the trusted grader (grading/judge/trusted.py), which
also runs a hidden test drawn for each student, so no hidden test is in
the notebook.
"""
import json
from pathlib import Path

from cs231n_lite.selfcheck import REGISTRY


def grade_cell_source(spec):
    """The source of the grade cell of one graded function.

    ``grade`` imports the package afresh for the check, so a cell never
    passes on stale code (an edit autoreload could not load), and it fails
    with one message naming the file and line of a file that does not parse.
    """
    plural = "s" * (spec.points > 1)
    # every line fits nbgrader's Validate (it cuts lines at 87 columns, 4 of them its indent)
    return (f"# Test {spec.name} ({spec.points} point{plural}); the same feedback anywhere:\n"
            f'#   check("{spec.name}")\n'
            "# When graded, the grader runs this test and a hidden one on inputs drawn for you.\n"
            "from cs231n_lite.selfcheck import grade\n"
            f'grade("{spec.name}")')


def grade_cell_metadata(spec):
    """The registry's metadata of a function's grade cell."""
    return spec.metadata


def _place_for(cells, name):
    """Where a new grade cell goes: after the last cell that names the function in backticks
    ("Implement `relu_forward` in ..."), or at the end."""
    mentions = [i for i, cell in enumerate(cells) if f"`{name}`" in "".join(cell.get("source", []))]
    return mentions[-1] + 1 if mentions else len(cells)


def sync(path):
    """Rewrite the grade cells of one source notebook, adding those of new graded functions;
    returns the grade ids it changed."""
    path = Path(path)
    nb = json.loads(path.read_text())
    specs = {s.grade_id: s for s in REGISTRY.values() if s.notebook == path.name}
    changed, found = [], set()
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id not in specs:
            continue
        found.add(grade_id)
        source = grade_cell_source(specs[grade_id])
        if "".join(cell["source"]) != source or cell["metadata"]["nbgrader"] != grade_cell_metadata(specs[grade_id]):
            cell["source"] = source.splitlines(keepends=True)
            cell["metadata"]["nbgrader"] = grade_cell_metadata(specs[grade_id])
            changed.append(grade_id)
    for grade_id in [g for g in specs if g not in found]:     # a new graded function: its cell
        at = _place_for(nb["cells"], specs[grade_id].name)
        nb["cells"].insert(at, {"cell_type": "code", "execution_count": None, "id": grade_id.replace("_", "-"),
                                "metadata": {"nbgrader": grade_cell_metadata(specs[grade_id])}, "outputs": [],
                                "source": grade_cell_source(specs[grade_id]).splitlines(keepends=True)})
        changed.append(grade_id)
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed
