"""The class report: what the class got right and wrong, for tomorrow's lecture.

    python -m grading report [--course DIR]     -> <course>/report/index.html (+ PNG figures)

Scores come from nbgrader's gradebook; the messages (and so the named
misconceptions and the limits hit) from the trusted verdicts stored with
the course (instructor/verdicts/). Student ids and messages (which quote
students' exceptions and file names) go into the page as text
(grading/gradebook/sanitize.py's html_text).
"""
import json
from collections import Counter, defaultdict
from pathlib import Path

from grading.gradebook.grades import collect_scores
from grading.gradebook.sanitize import html_text
from grading.release.layout import CourseLayout

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
    - mistakes: [(explanation, count, example message)] most frequent first
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
    mistakes, examples, problems = Counter(), {}, []
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
                    examples.setdefault(r["mistake"], r["message"])
                if r.get("reason"):
                    problems.append((student, grade_id, PROBLEMS.get(r["reason"], r["reason"]), r["message"]))
        mistakes.update(named)   # a student counts once per misconception
    ungraded = sorted(set(p.parent.name for p in layout.submitted_root.glob(f"*/{layout.assignment}")) - set(scores))
    problems += [(s, "-", "not graded", "no grades in the gradebook (autograde failed?)") for s in ungraded]
    return {"totals": dict(totals),
            "pass_rate": {g: passed[g] / seen[g] for g in seen},
            "mistakes": [(m, n, examples[m]) for m, n in mistakes.most_common()],
            "problems": problems, "students": len(scores)}


def _figures(summary, folder):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    groups = list(summary["totals"].items())
    columns = min(4, len(groups))            # rows of four: readable at a glance, not one long strip
    rows = -(-len(groups) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.6 * rows), squeeze=False)
    for ax, (name, values) in zip(axes.flat, groups):
        ax.hist(values, bins=min(20, max(5, len(set(values)))), color="#4878a8")
        ax.set_title(name.replace(".ipynb", ""), fontsize=10)
        ax.set_xlabel("code points")
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("students")
    fig.tight_layout()
    paths.append(folder / "scores.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    rates = sorted(summary["pass_rate"].items(), key=lambda kv: kv[1])
    fig, ax = plt.subplots(figsize=(7, 0.22 * len(rates) + 1))
    ax.barh([g.replace("test_", "") for g, _ in rates], [100 * r for _, r in rates], color="#6a9f58")
    ax.set_xlabel("% of students with full points")
    ax.set_xlim(0, 100)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    paths.append(folder / "pass_rate.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    return paths


def write_report(course_dir):
    """Write <course>/report/index.html and its figures; returns the page's path."""
    summary = class_summary(course_dir)
    folder = Path(course_dir) / "report"
    folder.mkdir(exist_ok=True)
    _figures(summary, folder)
    esc = html_text
    rows = "".join(f"<tr><td>{n:d}</td><td>{esc(m)}</td><td><small>{esc(ex)}</small></td></tr>"
                   for m, n, ex in summary["mistakes"]) or "<tr><td colspan=3>none named</td></tr>"
    probs = "".join(f"<tr><td>{esc(s)}</td><td>{esc(g)}</td><td>{esc(k)}</td><td><small>{esc(msg)}</small></td></tr>"
                    for s, g, k, msg in summary["problems"]) or "<tr><td colspan=4>none</td></tr>"
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td{{vertical-align:top;padding:2px 8px}}
small{{white-space:pre-wrap;word-break:break-word}}</style></head><body>
<h1>Class report: {summary['students']} graded submissions</h1>
<h2>Code scores</h2><img src="scores.png" alt="score distributions">
<h2>Pass rate per graded function</h2><img src="pass_rate.png" alt="pass rates">
<h2>Misconceptions the checks named (students per mistake)</h2>
<table><tr><th>students</th><th>likely mistake</th><th>example message</th></tr>{rows}</table>
<h2>Submissions that failed to grade or hit a limit</h2>
<table><tr><th>student</th><th>test</th><th>what</th><th>message</th></tr>{probs}</table>
</body></html>"""
    (folder / "index.html").write_text(page)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    return folder / "index.html"
