"""A course's grades in nbgrader's gradebook: what to grade, what was graded, the table, grades.csv.

Grading the class itself (verdicts, then recording) is grading/classwide/grade.py.
"""
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from grading.gradebook.export import folder_problem, valid_student_id
from grading.gradebook.intake import NOTEBOOK_MAX_BYTES, regular_file_problem
from grading.gradebook.verdicts import unfinished
from grading.judge.intake import MAX_DEPTH, MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, read_tree
from grading.release.course import COURSE_ID, run_nbgrader
from grading.release.layout import course


@dataclass(frozen=True)
class Score:
    notebook: str
    grade_id: str
    kind: str            # 'code' (auto-graded test) or 'written' (manual answer)
    points: float        # max score
    score: float         # current score (0 until a written answer is graded)
    needs_manual: bool




def _hash_files(folder):
    """One digest of a submission's files (names and bytes; read as data): its identity."""
    intake = read_tree(folder, limits=(MAX_FILES, MAX_FILE_BYTES, 16 * MAX_TOTAL_BYTES, MAX_DEPTH))
    digest = hashlib.sha256()
    for rel in sorted(intake.files):
        digest.update(rel.encode() + b"\0" + intake.files[rel] + b"\0")
    for rel, why in intake.skipped:             # a link that changes is a change too
        digest.update(f"{rel}\0{why}\0".encode())
    return digest.hexdigest()


def _answer_hashes(folder):
    """{notebook/grade_id: digest of the answer text} of a submission's written answers."""
    hashes = {}
    for nb_path in sorted(Path(folder).glob("*.ipynb")):
        if regular_file_problem(nb_path, NOTEBOOK_MAX_BYTES):
            continue
        try:
            cells = json.loads(nb_path.read_text()).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        for cell in cells if isinstance(cells, list) else []:
            meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
            if isinstance(meta, dict) and meta.get("solution") and meta.get("grade"):
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                hashes[f"{nb_path.stem}/{meta.get('grade_id')}"] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def submissions(course_dir):
    """Student ids with a submission of the assignment (real folders, ids nbgrader can take)."""
    layout = course(course_dir)
    found = []
    for folder in sorted(layout.submitted_root.glob(f"*/{layout.assignment}")):
        if folder.is_dir() and not folder.is_symlink() and not folder.parent.is_symlink() \
                and valid_student_id(folder.parent.name):
            found.append(folder.parent.name)
    return found


def _load_record(course_dir):
    path = course(course_dir).graded_record
    return json.loads(path.read_text()) if path.exists() else {}


def _save_record(course_dir, record):
    path = course(course_dir).graded_record
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


def to_grade(course_dir, regrade=()):
    """Students whose submission is new or changed since it was graded, plus those asked for.

    regrade: student ids to grade again anyway, or ("all",). A folder without
    the package is left out (export.folder_problem): its code would score 0
    for a hand-in mistake, not for the code.
    """
    record = _load_record(course_dir)
    students = [s for s in submissions(course_dir) if not folder_problem(course_dir, s)]
    if "all" in regrade:
        return students
    again = set(unfinished(course_dir, students))     # a busy machine stopped a test, or grading failed
    return [s for s in students if s in regrade or s in again
            or record.get(s, {}).get("fingerprint") != _hash_files(course(course_dir).submitted(s))]


def read_grades(course_dir, students, keep):
    """{student: [keep(notebook name, grade) ...]} for every grade of each student's submission.

    keep returns what to collect from an nbgrader Grade (read while the
    gradebook is open), or None to skip it; students without a submission
    in the gradebook are left out.
    """
    from nbgrader.api import Gradebook, MissingEntry

    out, assignment = {}, course(course_dir).assignment
    with Gradebook(_db_url(course_dir), COURSE_ID) as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            kept = (keep(nb.name, g) for nb in submission.notebooks for g in nb.grades)
            out[student] = [k for k in kept if k is not None]
    return out


def _manual_state(course_dir, students):
    """{student: {(notebook, grade_id): (manual_score, needs_manual_grade)}} of hand-graded answers."""
    keep = lambda nb, g: ((nb, g.name), (g.manual_score, g.needs_manual_grade)) \
        if g.manual_score is not None else None
    return {s: dict(pairs) for s, pairs in read_grades(course_dir, students, keep).items()}


def _restore_manual_state(course_dir, before, old_answers, new_answers):
    """Put back hand-entered grades, and their reviewed state where the answer is unchanged."""
    from nbgrader.api import Gradebook, MissingEntry

    assignment = course(course_dir).assignment
    with Gradebook(_db_url(course_dir), COURSE_ID) as gb:
        for student, grades in before.items():
            for (notebook, grade_id), (manual, needs) in grades.items():
                try:
                    grade = gb.find_grade(grade_id, notebook, assignment, student)
                except MissingEntry:
                    continue
                key = f"{notebook}/{grade_id}"
                unchanged = old_answers.get(student, {}).get(key) == new_answers[student].get(key)
                grade.manual_score = manual
                grade.needs_manual_grade = needs if unchanged else True
        gb.db.commit()


def _db_url(course_dir):
    return course(course_dir).db_url


def recording_hooks(course_dir):
    """(before_batch, after_batch) for the recorder: hand-entered grades survive every batch.

    before_batch(students) reads their manual grades; after_batch(batch,
    before, recorded) puts them back (with their reviewed state where the
    answer text did not change) and records what was graded, for the
    students nbgrader did record.
    """
    course_dir, layout = Path(course_dir), course(course_dir)
    record = _load_record(course_dir)

    def after_batch(batch, before, recorded):
        new_answers = {s: _answer_hashes(layout.submitted(s)) for s in batch}
        _restore_manual_state(course_dir, before,
                              {s: record.get(s, {}).get("answers", {}) for s in batch}, new_answers)
        for s in recorded:      # one nbgrader could not record is tried again next time
            record[s] = {"fingerprint": _hash_files(layout.submitted(s)), "answers": new_answers[s]}
        _save_record(course_dir, record)

    return (lambda batch: _manual_state(course_dir, batch)), after_batch


def export(course_dir, log=None):
    """grades.csv, grades_by_test.csv and grades_canvas.csv from the gradebook (quick: nothing is graded)."""
    run_nbgrader(course(course_dir).root, "export", "--to", str(course(course_dir).grades_csv),
                 log=log)


def collect_scores(course_dir):
    """{student: [Score, ...]} from the gradebook, in notebook and cell order."""
    from nbgrader.api import Gradebook

    db_url = course(course_dir).db_url
    results = {}
    with Gradebook(db_url, COURSE_ID) as gb:
        assignment = gb.find_assignment(course(course_dir).assignment)
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


def format_table(results, not_graded=()):
    """A per-test, per-student table of scores, with totals.

    not_graded: students with a submission folder but no grades, shown as
    columns of '-' whose total says "not graded".
    """
    students = sorted(results)
    if not students:
        return "no submissions graded" + (f" (not graded: {', '.join(not_graded)})" if not_graded else "")
    rows = results[students[0]]
    missing = sorted(set(not_graded) - set(results))
    width = max(len(s.grade_id) for s in rows) + 2
    col = max(12 if missing else 10, *(len(s) + 2 for s in students + missing))   # 'not graded' fits
    lines = [f"{'test':<{width}}{'points':>7}" + "".join(f"{s:>{col}}" for s in students + missing)]
    notebook = None
    for i, row in enumerate(rows):
        if row.notebook != notebook:
            notebook = row.notebook
            lines.append(notebook)
        cells = []
        for s in students:
            score = results[s][i]
            cells.append("manual" if score.kind == "written" and score.needs_manual else f"{score.score:g}")
        cells += ["-"] * len(missing)
        lines.append(f"  {row.grade_id:<{width - 2}}{row.points:>7g}" + "".join(f"{c:>{col}}" for c in cells))
    code_max = sum(r.points for r in rows if r.kind == "code")
    written_max = sum(r.points for r in rows if r.kind == "written")
    totals = [sum(x.score for x in results[s] if x.kind == "code") for s in students]
    lines.append(f"{'auto-graded total':<{width}}{code_max:>7g}" + "".join(f"{t:>{col}g}" for t in totals)
                 + "".join(f"{'not graded':>{col}}" for _ in missing))
    lines.append(f"written answers: {written_max:g} points per student, graded by hand in formgrader")
    return "\n".join(lines)
