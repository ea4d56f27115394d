"""How the similarity report scales: 50, 200 and 1,000 synthetic submissions, copies planted.

    python benchmarks/similarity_scaling.py [--sizes 50 200 1000] [--workers 2] [--keep DIR]

Each synthetic student's graded modules are the reference with a random
share of the bank's variants (tests/bank: correct and one-bug) applied and,
in every solution block, one statement of their own (a helper value with
its own constants: the part of a real submission nobody else writes). One
student in ten is a copier: from an earlier student (not a copier) they copy one to three
modules (of those with 3 graded functions or more), whole or three quarters
of the functions, then disguise the copy
(tests/copies.py: names renamed, respaced, comments, functions reordered).

Printed per size: the time (wall and CPU, the machine may be busy) and
peak memory (the main process plus its largest worker) of a cold run (nothing cached),
a warm run (everything cached), a regrade of 5 students (only their files
fingerprinted again), the recall of the planted copies, and the pairs of
the inverted index against comparing all pairs (time and recall). Each run is a
fresh process, so its peak memory is its own. No timed assertion: figures.
"""
import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bank import BUGS, CORRECT  # noqa: E402
from copies import disguise, reference, stub_module  # noqa: E402
from grading.release.course import graded_module_files  # noqa: E402
from grading.release.layout import CourseLayout  # noqa: E402
from grading.release.strip import BEGIN, END, solution_blocks  # noqa: E402

TEMPLATES = ("_scale{i} = {a}.{b} * {c}", "_shape{i} = np.shape({arg})[:{c}] + ({a},)", "_limits{i} = ({a}, {b}, {c})",
             "_guard{i} = min({a}, max({b}, {c}))", "_steps{i} = [k * {a} for k in range({c})]",
             "_tol{i} = {a}e-{c} + {b}")


def own_statement(rng):
    """One statement only this student writes (its constants are theirs)."""
    return rng.choice(TEMPLATES).format(i=rng.randrange(1000), a=rng.randrange(1, 999), b=rng.randrange(999),
                                        c=rng.randrange(2, 9), arg="0")


def student_module(rel, rng):
    """Marked text (solution markers kept, so copies can swap blocks) of one synthetic student."""
    text = reference(rel)
    for entry in CORRECT + BUGS:
        if entry.file == rel and rng.random() < 0.3:
            if all(text.count(old) == 1 for old, _ in entry.edits):
                for old, new in entry.edits:
                    text = text.replace(old, new)
    lines = text.splitlines()
    for begin, _, indent, _ in reversed(solution_blocks(text, rel)):
        lines.insert(begin, indent + own_statement(rng))
    return "\n".join(lines) + "\n"


def blocks(text, rel):
    lines = text.splitlines()
    return {f: lines[b:e - 1] for b, e, _, f in solution_blocks(text, rel)}


def with_blocks(text, rel, replacement):
    """``text`` with the blocks named in ``replacement`` ({function: lines}) swapped in."""
    lines = text.splitlines()
    for begin, end, _, function in reversed(solution_blocks(text, rel)):
        if function in replacement:
            lines[begin:end - 1] = replacement[function]
    return "\n".join(lines) + "\n"


def unmarked(text):
    return "\n".join(line for line in text.splitlines() if not (BEGIN.match(line) or END.match(line))) + "\n"


def synthetic_course(folder, n, seed=0):
    """Write a course of n students; returns the planted copies {(a, b, module)}."""
    rng, layout, modules = random.Random(seed), CourseLayout(folder), graded_module_files()
    for rel in modules:
        (layout.release / rel).parent.mkdir(parents=True, exist_ok=True)
        (layout.release / rel).write_text(stub_module(rel))
    # a module with one or two short graded functions has too little own code to tell a copy
    # (fewer fingerprints than Settings.min_shared): copies are planted in the others
    copyable = [rel for rel in modules if len(solution_blocks(reference(rel), rel)) >= 3]
    marked, planted, originals = {}, set(), []
    for i in range(n):
        student = f"s{i:04d}"
        marked[student] = {rel: student_module(rel, rng) for rel in modules}
        texts = {rel: unmarked(t) for rel, t in marked[student].items()}
        if i >= 10 and rng.random() < 0.1:
            source = rng.choice(originals)      # a copier's source wrote their own code
            for rel in rng.sample(copyable, rng.randint(1, 3)):
                theirs = blocks(marked[source][rel], rel)
                if len(theirs) > 3 and rng.random() < 0.5:       # three quarters of the functions
                    theirs = dict(rng.sample(sorted(theirs.items()), (3 * len(theirs) + 3) // 4))
                copied = unmarked(with_blocks(marked[student][rel], rel, theirs))
                texts[rel] = disguise(copied, seed=rng.randrange(10 ** 6), reorder=rng.random() < 0.5)
                planted.add((source, student, rel))
        else:
            originals.append(student)
        for rel, text in texts.items():
            path = layout.submitted(student) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return planted


def detect(course, compare_all, workers):
    """One run in this process: the figures as a dict."""
    from grading.classwide.similarity import Settings, all_pairs, find_similar, index_pairs, score_pairs
    start = time.perf_counter()
    result = find_similar(course, workers=workers)
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    out = {"seconds": time.perf_counter() - start, "computed": result.computed,
           "cpu": sum(u.ru_utime + u.ru_stime for u in used),
           "pairs": sorted([p.student_a, p.student_b, p.module] for p in result.pairs)}
    if compare_all:
        for name, pairing in (("index", index_pairs), ("all_pairs", all_pairs)):
            start = time.perf_counter()
            pairs, _ = score_pairs(result.own, Settings(), pairing=pairing)
            out[name] = {"seconds": time.perf_counter() - start,
                         "pairs": sorted([p.student_a, p.student_b, p.module] for p in pairs)}
    # this process and its fingerprinting children, each at its peak
    out["peak_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * (workers > 1)) / 1024
    return out


def run_detect(course, workers, compare_all=False):
    cmd = [sys.executable, __file__, "--detect", str(course), "--workers", str(workers)]
    cmd += ["--compare-all"] if compare_all else []
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def measure(n, folder, workers):
    start = time.perf_counter()
    planted = synthetic_course(folder, n)
    made = time.perf_counter() - start
    cold = run_detect(folder, workers, compare_all=True)
    warm = run_detect(folder, workers)
    layout, rng = CourseLayout(folder), random.Random(n)
    for i in rng.sample(range(n), 5):                       # five students hand in again
        rel = rng.choice(graded_module_files())
        path = layout.submitted(f"s{i:04d}") / rel
        path.write_text(path.read_text() + f"\n_resubmitted = {i}\n")
    regrade = run_detect(folder, workers)
    found = {tuple(p) for p in cold["pairs"]}
    hits = sum(tuple(sorted(p[:2])) + (p[2],) in found for p in planted)
    expected = {tuple(sorted(p[:2])) + (p[2],) for p in planted}
    # two copiers of one source's module copied each other's code too, through it
    expected |= {tuple(sorted((a[1], b[1]))) + (a[2],) for a in planted for b in planted
                 if a[0] == b[0] and a[2] == b[2] and a[1] != b[1]}
    print(f"n={n:5d}  made in {made:5.1f} s  planted {len(planted)}  flagged {len(found)} "
          f"(neither planted nor through a common source: {len(found - expected)})  "
          f"recall of the planted {hits / max(1, len(planted)):.1%}")
    for name, r in (("cold", cold), ("warm", warm), ("regrade 5", regrade)):
        print(f"   {name:10s} {r['seconds']:7.1f} s ({r['cpu']:6.1f} s CPU)  peak {r['peak_mb']:6.0f} MB  "
              f"fingerprinted {r['computed']}")
    if "all_pairs" in cold:
        same = set(map(tuple, cold["index"]["pairs"])) == set(map(tuple, cold["all_pairs"]["pairs"]))
        got = set(map(tuple, cold["index"]["pairs"]))
        ref = set(map(tuple, cold["all_pairs"]["pairs"]))
        print(f"   scoring: index {cold['index']['seconds']:.2f} s, all pairs {cold['all_pairs']['seconds']:.2f} s; "
              f"recall of the index against all pairs {len(got & ref) / max(1, len(ref)):.1%} "
              f"({'identical' if same else 'different'} pair lists)")
    return cold["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--keep", help="write the courses here (kept) instead of a temporary folder")
    parser.add_argument("--detect", help=argparse.SUPPRESS)
    parser.add_argument("--compare-all", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help="fingerprinting processes (default 2)")
    args = parser.parse_args()
    if args.detect:
        print(json.dumps(detect(args.detect, args.compare_all, args.workers)))
        return
    base = Path(args.keep or tempfile.mkdtemp(prefix="similarity-"))
    times = {}
    try:
        for n in args.sizes:
            folder = base / f"course-{n}"
            shutil.rmtree(folder, ignore_errors=True)
            times[n] = measure(n, folder, args.workers)
        sizes = sorted(times)
        for a, b in zip(sizes, sizes[1:]):
            print(f"growth {a} -> {b} submissions (x{b / a:.0f}): time x{times[b] / times[a]:.1f}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
