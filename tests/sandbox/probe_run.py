"""Run the hostile probe in a sandboxed worker and print what it saw (JSON): as whoever runs this.

    python tests/sandbox/probe_run.py < plan.json

The plan is {"package": folder to put the hostile package in, "sessions": [plan, ...]}:
each plan runs in a worker of its own, one after the other, while a second
package (another student's) is alive in the same zygote. Prints
{"seen": [result, ...], "other": the other package's id}.
"""
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    request = json.load(sys.stdin)
    from grading.judge.intake import read_tree
    from grading.judge.session import Session
    from grading.sandbox.host import Limits, SharedPackage

    folder = Path(request["package"])
    pkg = folder / "cs231n_lite"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    shutil.copy(HERE / "hostile_layers.py", pkg / "layers.py")
    other_files = {"cs231n_lite/__init__.py": b"", "cs231n_lite/layers.py": b"SECRET_OF_ANOTHER_STUDENT = 1\n"}
    limits = Limits(wall=20.0, startup=10.0)
    seen = []
    with SharedPackage(other_files) as other, SharedPackage(read_tree(pkg, prefix="cs231n_lite").files) as mine:
        for plan in request["sessions"]:
            plan = json.loads(json.dumps(plan).replace("OTHER_ID", other.id))
            with Session(mine, "layers", "relu_forward", limits=limits) as session:
                if session.failure:
                    raise SystemExit(session.failure)
                seen.append(session.function(plan))
        json.dump({"seen": seen, "other": other.id, "mode": mine.zygote.mode}, sys.stdout)


if __name__ == "__main__":
    main()
