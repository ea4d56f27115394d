"""What the allowlist sandbox costs: the trusted grading of a submission, before and after, side by side.

    python benchmarks/isolation_cost.py [ROUNDS] [BEFORE]     (defaults: 3 rounds, BEFORE = 21cac0c)
    python benchmarks/isolation_cost.py [ROUNDS] bare          this tree without any sandbox

BEFORE = bare compares this tree with itself run unprotected (no bubblewrap on
PATH, CS231N_LITE_UNPROTECTED=1): the same tests, so the difference is the
whole isolation (bubblewrap, each worker's namespaces, seccomp). Against an
older commit the tests differ too (later commits check more per function).

BEFORE is the last commit with the denylist sandbox (no bubblewrap, one
mount namespace per zygote, hidden folders). Its tree is checked out in a
temporary git worktree; each round runs, in both trees, alternately (so a
busy machine slows both alike):
1. benchmarks/trusted_grading_speed.py with 3 students: the median seconds
   to grade one complete submission's code (64 functions, visible and
   hidden tests), and the CPU seconds of that whole process tree per
   submission (the grader, its zygote and every worker, start-up included);
2. the verdicts of a class of 12 mixed submissions with 2 pool workers
   (benchmarks/class_grading.py's verdict_seconds): submissions per minute.
Prints each figure before and after and the ratio.
"""
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CLASS = ("import sys, os; sys.path.insert(0, 'benchmarks'); import class_grading as c; "
         "print('SECONDS', c.verdict_seconds(12, os.urandom(16).hex().encode(), workers=2))")


# No bwrap on PATH (the interpreter is called by its full path): the grader runs bare.
BARE = {"PATH": str(Path(sys.executable).parent), "CS231N_LITE_UNPROTECTED": "1"}


def run(tree, args, extra_env=None):
    """(stdout, CPU seconds of the whole process tree) of one python run in ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, *args], cwd=tree,
                         env={**ENV, "PYTHONPATH": str(tree), **(extra_env or {})},
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(rounds=3, before="21cac0c"):
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        bare = before == "bare"
        if bare:
            old = ROOT
        else:
            subprocess.run(["git", "worktree", "add", "--detach", str(old), before], cwd=ROOT, check=True,
                           capture_output=True)
        try:
            figures = {"before": {"wall": [], "cpu": [], "class": []},
                       "after": {"wall": [], "cpu": [], "class": []}}
            for i in range(rounds):
                for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                    tree = old if name == "before" else ROOT
                    env = BARE if bare and name == "before" else None
                    out, cpu = run(tree, ["benchmarks/trusted_grading_speed.py", "3"], env)
                    figures[name]["wall"].append(float(re.search(r"median ([\d.]+) s", out).group(1)))
                    figures[name]["cpu"].append(cpu / 3)
                    out, _ = run(tree, ["-c", CLASS], env)
                    figures[name]["class"].append(12 / float(out.split("SECONDS")[1]) * 60)
                    print(f"round {i + 1} {name}: {figures[name]['wall'][-1]:.2f} s, "
                          f"{figures[name]['cpu'][-1]:.2f} CPU s, {figures[name]['class'][-1]:.1f}/min",
                          flush=True)
        finally:
            if not bare:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
    med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    print(f"\nmedians of {rounds} rounds, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:")
    for key, label, unit in (("wall", "one submission, wall", "s"), ("cpu", "one submission, CPU of all processes", "s"),
                             ("class", "class of 12, 2 workers", "/min")):
        print(f"  {label:38s} before {med['before'][key]:6.2f} {unit:4s} after {med['after'][key]:6.2f} {unit:4s} "
              f"after/before {med['after'][key] / med['before'][key]:.2f}")


if __name__ == "__main__":
    main(*(int(a) if a.isdigit() else a for a in sys.argv[1:]))
