"""The class report: what the class got right and wrong, for tomorrow's lecture.

    python -m grading report [--course DIR]     -> <course>/report/index.html (+ PNG figures)

Every figure is drawn at most FIGURE_PX wide (the page is 1100 px), with
labels of at least 9 pt, so it fits a 1200 px window and stays legible on
paper. Tests stopped by a limit or by the grader's own trouble (STOPPED,
keys of grading/judge/trusted.py's REASONS) are counted apart from the
students' failures. The similar-code section (classwide/similarity.py) is
a review aid: no score comes from it.

Scores come from nbgrader's gradebook; the messages (and so the named
misconceptions and the limits hit) from the trusted verdicts stored with
the course (instructor/verdicts/). Student ids and messages (which quote
students' exceptions and file names) go into the page as text
(grading/gradebook/sanitize.py's html_text).
"""
import json
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

from urllib.parse import quote

from grading.classwide.similarity import Settings
from grading.classwide.similarity_page import TABLE_HEAD, table_rows, write_similarity
from grading.gradebook.grades import collect_scores
from grading.gradebook.sanitize import html_text
from grading.release.layout import CourseLayout

FIGURE_PX, DPI = 1000, 100
# A test stopped by one of these did not fail on its own output: a limit or the grader's trouble.
STOPPED = {"limit:time", "limit:cpu", "limit:wall", "limit:memory", "budget", "overloaded"}

# The report's words for the verdicts' reasons (grading/judge/trusted.py's REASONS): read as
# data, so rewording a message never drops a row.
PROBLEMS = {"limit:time": "time limit", "limit:cpu": "time limit", "limit:wall": "time limit (waiting)",
            "limit:memory": "memory", "import": "import failed", "protocol": "protocol",
            "worker": "exited", "budget": "budget", "overloaded": "overloaded (graded again next run)",
            "intake": "refused file"}


def class_summary(course_dir):
    """Counts for the report, as plain data.

    Returns a dict with:
    - totals: {notebook: [code score per student]}, and 'overall'
    - pass_rate: {grade_id: fraction of students with full points}
    - counts: {grade_id: [passed, failed, stopped, graded]} (stopped: a STOPPED reason)
    - mistakes: [(explanation, count, example message, students)] most frequent first
    - problems: [(student, grade_id, kind, message)] limits hit or failures to grade
    """
    course_dir = Path(course_dir)
    scores = collect_scores(course_dir)
    totals, passed, seen = defaultdict(list), Counter(), Counter()
    for student, rows in scores.items():
        per_notebook = Counter()
        for s in rows:
            if s.kind == "code":
                per_notebook[s.notebook] += s.score
                seen[s.grade_id] += 1
                passed[s.grade_id] += s.score == s.points
        for notebook in sorted({s.notebook for s in rows}):
            totals[notebook].append(per_notebook[notebook])
        totals["overall"].append(sum(per_notebook.values()))
    mistakes, examples, problems, who, stopped = Counter(), {}, [], defaultdict(set), Counter()
    layout = CourseLayout(course_dir)
    for path in sorted(layout.verdicts_dir.glob("*.json")):
        verdicts = json.loads(path.read_text())
        student = verdicts["student"]
        if student not in scores:
            continue
        named = set()
        for results in verdicts["notebooks"].values():
            for grade_id, r in results.items():
                if r["score"] == r["points"]:
                    continue
                if r.get("mistake"):
                    named.add(r["mistake"])
                    who[r["mistake"]].add(student)
                    examples.setdefault(r["mistake"], r["message"])
                stopped[grade_id] += r.get("reason") in STOPPED
                if r.get("reason"):
                    problems.append((student, grade_id, PROBLEMS.get(r["reason"], r["reason"]), r["message"]))
        mistakes.update(named)   # a student counts once per misconception
    ungraded = sorted(set(p.parent.name for p in layout.submitted_root.glob(f"*/{layout.assignment}")) - set(scores))
    problems += [(s, "-", "not graded", "no grades in the gradebook (autograde failed?)") for s in ungraded]
    return {"totals": dict(totals),
            "pass_rate": {g: passed[g] / seen[g] for g in seen},
            "counts": {g: [passed[g], seen[g] - passed[g] - min(stopped[g], seen[g] - passed[g]),
                           min(stopped[g], seen[g] - passed[g]), seen[g]] for g in seen},
            "mistakes": [(m, n, examples[m], sorted(who[m])) for m, n in mistakes.most_common()],
            "problems": problems, "students": len(scores)}


def below_full(summary):
    """[(grade_id, [passed, failed, stopped, graded])] of the functions below 100%, worst first.

    A full bar per function says nothing: only the ones some students missed.
    """
    return sorted(((g, c) for g, c in summary["counts"].items() if c[0] < c[3]),
                  key=lambda gc: (gc[1][0] / gc[1][3], gc[0]))


def _figures(summary, folder):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 11})
    width = FIGURE_PX / DPI
    paths = []
    groups = list(summary["totals"].items())
    columns = min(4, max(1, len(groups)))    # rows of four: readable at a glance, not one long strip
    rows = -(-len(groups) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width, 2.7 * rows + 0.4), squeeze=False)
    for ax, (name, values) in zip(axes.flat, groups):
        ax.hist(values, bins=min(20, max(5, len(set(values)))), color="#4878a8")
        # long notebook names wrap: side by side at 250 px each they would run into each other
        ax.set_title(textwrap.fill(name.replace(".ipynb", "").replace("_", " "), 24), fontsize=11)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("code points")
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("students")
    fig.tight_layout()
    paths.append(folder / "scores.png")
    fig.savefig(paths[-1], dpi=DPI)
    plt.close(fig)

    below = below_full(summary)
    fig, ax = plt.subplots(figsize=(width, 0.32 * len(below) + 1.2))
    names = [g.replace("test_", "") for g, _ in below][::-1]
    failed = [100 * c[1] / c[3] for _, c in below][::-1]
    halted = [100 * c[2] / c[3] for _, c in below][::-1]
    ax.barh(names, [100 * c[0] / c[3] for _, c in below][::-1], color="#6a9f58", label="full points")
    ax.barh(names, failed, left=[100 * c[0] / c[3] for _, c in below][::-1], color="#c8553d",
            label="failed (the student's code)")
    ax.barh(names, halted, left=[100 * (c[0] + c[1]) / c[3] for _, c in below][::-1], color="#9a9a9a",
            label="stopped (a limit or the grader)")
    for y, (_, c) in enumerate(below[::-1]):
        ax.text(101, y, f"{c[0]}/{c[3]}" + (f", {c[2]} stopped" if c[2] else ""), va="center", fontsize=10)
    ax.set_xlabel("% of students")
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    if below:
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.5 / (0.32 * len(below) + 1.2) - 0.08),
                  ncol=3, frameon=False, fontsize=10)
    else:
        ax.text(50, 0, "every function: full points for every student", ha="center")
        ax.set_yticks([])
    fig.tight_layout()
    paths.append(folder / "pass_rate.png")
    fig.savefig(paths[-1], dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return paths


def _students(ids, assignment):
    """Each id as a link to its feedback folder (the id itself only as escaped, quoted text)."""
    return ", ".join(f'<a href="../feedback/{quote(s, safe="")}/{quote(assignment, safe="")}/">'
                     f"{html_text(s)}</a>" for s in ids)


def write_report(course_dir, similarity=Settings(), workers=1):
    """Write <course>/report/index.html, its figures and the similarity pages; returns the page's path."""
    layout = CourseLayout(course_dir)
    summary = class_summary(course_dir)
    folder = layout.report_dir
    folder.mkdir(exist_ok=True)
    _figures(summary, folder)
    similar = write_similarity(course_dir, similarity, workers)
    esc = html_text
    rows = "".join(f"<tr><td>{n:d}</td><td>{esc(m)}</td><td>{_students(ids, layout.assignment)}</td>"
                   f"<td><small>{esc(ex)}</small></td></tr>"
                   for m, n, ex, ids in summary["mistakes"]) or "<tr><td colspan=4>none named</td></tr>"
    stopped_kinds = {PROBLEMS.get(r, r) for r in STOPPED}

    def problem_rows(keep):
        return "".join(f"<tr><td>{esc(s)}</td><td>{esc(g)}</td><td>{esc(k)}</td><td><small>{esc(msg)}</small></td></tr>"
                       for s, g, k, msg in summary["problems"] if keep(k)) or "<tr><td colspan=4>none</td></tr>"
    head = "<tr><th>student</th><th>test</th><th>what</th><th>message</th></tr>"
    top = table_rows(similar.pairs[:10]) or "<tr><td colspan=6>no pair above the threshold</td></tr>"
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}}
td,th{{vertical-align:top;padding:2px 8px;text-align:left}}img{{max-width:100%;height:auto}}
small{{white-space:pre-wrap;word-break:break-word}}table{{border-collapse:collapse;max-width:100%}}
.notice{{background:#fff4d6;border:1px solid #d9b44a;padding:.5em 1em}}</style></head><body>
<h1>Class report: {summary['students']} graded submissions</h1>
<h2>Code scores</h2><img src="scores.png" alt="score distributions">
<h2>Functions some students missed</h2>
<p>Only functions below 100%, worst first; "stopped" counts tests a limit or the grader itself
ended (listed below), apart from the students' failures.</p><img src="pass_rate.png" alt="pass rates">
<h2>Misconceptions the checks named (students per mistake)</h2>
<table><tr><th>students</th><th>likely mistake</th><th>who</th><th>example message</th></tr>{rows}</table>
<h2>Tests stopped by a limit or by the grader's own trouble</h2>
<table>{head}{problem_rows(lambda k: k in stopped_kinds)}</table>
<h2>Submissions that failed to grade (import, exit, refused file, not graded)</h2>
<table>{head}{problem_rows(lambda k: k not in stopped_kinds)}</table>
<h2>Similar code (review aid)</h2>
<p class="notice">A review aid, not a verdict: no score comes from it. {len(similar.pairs)} pair(s) at or
above {similarity.threshold:.0%}; all of them on <a href="similarity.html">the similarity page</a>.</p>
<table>{TABLE_HEAD}{top}</table>
</body></html>"""
    (folder / "index.html").write_text(page)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    return folder / "index.html"
