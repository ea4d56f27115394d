"""Auto-grade every submission, export grades and feedback, print the table."""
from dataclasses import dataclass
from pathlib import Path

from grading.course import ASSIGNMENT, COURSE_ID, run_nbgrader


@dataclass(frozen=True)
class Score:
    notebook: str
    grade_id: str
    kind: str            # 'code' (auto-graded test) or 'written' (manual answer)
    points: float        # max score
    score: float         # current score (0 until a written answer is graded)
    needs_manual: bool


def autograde(course_dir, log=None):
    """Run nbgrader autograde, generate_feedback and export on every submission.

    Nothing here is special to this command: the course's nbgrader_config.py
    puts the trusted grader into nbgrader's autograde (grading/nbgrader_plugin.py).
    """
    course_dir = Path(course_dir).resolve()
    run_nbgrader(course_dir, "autograde", ASSIGNMENT, "--force", log=log)
    run_nbgrader(course_dir, "generate_feedback", ASSIGNMENT, "--force", log=log)
    run_nbgrader(course_dir, "export", "--to", str(course_dir / "grades.csv"), log=log)
    return collect_scores(course_dir)


def collect_scores(course_dir):
    """{student: [Score, ...]} from the gradebook, in notebook and cell order."""
    from nbgrader.api import Gradebook

    db_url = f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"
    results = {}
    with Gradebook(db_url, COURSE_ID) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        order = {}
        for nb in assignment.notebooks:
            for i, cell in enumerate(nb.grade_cells):
                order[(nb.name, cell.name)] = (nb.name, i)
        for submission in assignment.submissions:
            scores = []
            for nb in submission.notebooks:
                for grade in nb.grades:
                    kind = "code" if grade.cell.cell_type == "code" else "written"
                    scores.append(Score(nb.name, grade.name, kind, float(grade.max_score),
                                        float(grade.score), bool(grade.needs_manual_grade)))
            scores.sort(key=lambda s: order.get((s.notebook, s.grade_id), (s.notebook, 0)))
            results[submission.student.id] = scores
    return results


def format_table(results):
    """A per-test, per-student table of scores, with totals."""
    students = sorted(results)
    if not students:
        return "no submissions graded"
    rows = results[students[0]]
    width = max(len(s.grade_id) for s in rows) + 2
    col = max(10, *(len(s) + 2 for s in students))
    lines = [f"{'test':<{width}}{'points':>7}" + "".join(f"{s:>{col}}" for s in students)]
    notebook = None
    for i, row in enumerate(rows):
        if row.notebook != notebook:
            notebook = row.notebook
            lines.append(notebook)
        cells = []
        for s in students:
            score = results[s][i]
            cells.append("manual" if score.kind == "written" and score.needs_manual else f"{score.score:g}")
        lines.append(f"  {row.grade_id:<{width - 2}}{row.points:>7g}" + "".join(f"{c:>{col}}" for c in cells))
    code_max = sum(r.points for r in rows if r.kind == "code")
    written_max = sum(r.points for r in rows if r.kind == "written")
    totals = [sum(x.score for x in results[s] if x.kind == "code") for s in students]
    lines.append(f"{'auto-graded total':<{width}}{code_max:>7g}" + "".join(f"{t:>{col}g}" for t in totals))
    lines.append(f"written answers: {written_max:g} points per student, graded by hand in formgrader")
    return "\n".join(lines)
