"""grading/'s wings import only downward, the untrusted side nothing of grading, and no module imports in a circle.

Order, top to bottom: the command line (grading/__main__.py), classwide/,
gradebook/, release/, judge/, sandbox/, sandbox/untrusted/ (docs/wings.md).
"""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["__main__", "classwide", "gradebook", "release", "judge", "sandbox", "sandbox.untrusted"]


def wing(module):
    parts = module.split(".")[1:]
    if parts[:2] == ["sandbox", "untrusted"]:
        return "sandbox.untrusted"
    return parts[0] if parts else "__init__"


def imports():
    """{module: set of grading modules (and top-level packages) it imports}."""
    found = {}
    for path in sorted((ROOT / "grading").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:        # relative: within its own package
                    base = module.rsplit(".", node.level - (path.name == "__init__.py"))[0]
                    names.add(f"{base}.{node.module}" if node.module else base)
                elif node.module:
                    names.add(node.module)
                    names |= {f"{node.module}.{a.name}" for a in node.names}
        found[module] = names
    return found


GRAPH = imports()


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if wing(m) in ORDER))
def test_a_module_imports_only_its_own_wing_or_wings_below(module):
    mine = ORDER.index(wing(module))
    for name in GRAPH[module]:
        if name.startswith("grading.") and name in GRAPH and wing(name) in ORDER:
            assert ORDER.index(wing(name)) >= mine, f"{module} imports {name}, above it"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if wing(m) == "sandbox.untrusted"))
def test_the_untrusted_side_imports_only_the_standard_library_numpy_and_itself(module):
    for name in GRAPH[module]:
        top = name.split(".")[0]
        own = name.startswith("grading.sandbox.untrusted") or top in {"wire", "protocol", "confine", "rngstate"}
        assert own or top == "numpy" or top in sys.stdlib_module_names, f"{module} imports {name}"


def test_no_module_imports_in_a_circle():
    modules = {m: {n for n in names if n in GRAPH and n != m} for m, names in GRAPH.items()}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", " -> ".join(path + [m])
        state[m] = "open"
        for n in sorted(modules[m]):
            visit(n, path + [m])
        state[m] = "done"
    for m in sorted(modules):
        visit(m, [])
