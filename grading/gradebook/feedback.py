"""Feedback pages for students, generated on demand (after hand-grading).

    python -m grading feedback [--course DIR] [--student ID ...] [--include-ungraded]

This module chooses the students: those whose written answers are all
graded, unless asked otherwise. The pages themselves come from nbgrader's
generate_feedback as the course's nbgrader_config.py sets it up
(grading/gradebook/feedback_export.py: pages only, ungraded answers marked, wrapping
lines, offline math), so Formgrader's button and plain `nbgrader
generate_feedback` write the same pages.
"""
from pathlib import Path

from grading.gradebook.grades import read_grades, submissions
from grading.release.course import counter, notebook_files, run_nbgrader
from grading.release.layout import CourseLayout


def ungraded_answers(course_dir, students):
    """{student: [(notebook, grade_id), ...]} of written answers still waiting for a grade."""
    return read_grades(course_dir, students, lambda nb, g: (nb, g.name) if g.needs_manual_grade else None)


def generate(course_dir, students=None, include_ungraded=False, log=None, phase=lambda line: None,
             progress=None):
    """Write feedback pages; returns (students done, {student: reason skipped}).

    The others' feedback folders are left alone (excluded from nbgrader's run);
    phase(line) is told before nbgrader starts, progress(done, total) as it
    starts each page (total: students x notebooks).
    """
    course_dir = Path(course_dir).resolve()
    layout = CourseLayout(course_dir)
    autograded = layout.autograded_root
    graded = set(p.name for p in autograded.iterdir()) if autograded.exists() else set()
    candidates = [s for s in (students or submissions(course_dir)) if s in graded]
    waiting = ungraded_answers(course_dir, candidates)
    skipped = {s: f"{len(w)} written answer(s) not graded yet" for s, w in waiting.items()
               if w and not include_ungraded}
    done = [s for s in candidates if s not in skipped]
    if not done:
        return done, skipped
    others = [s for s in submissions(course_dir) if s not in done]
    args = ["generate_feedback", layout.assignment, "--force"]
    if others:
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
    phase(f"writing feedback pages for {len(done)} student(s) with nbgrader generate_feedback ...")
    run_nbgrader(course_dir, *args, log=log, on_notebook=counter(len(done) * len(notebook_files()), progress))
    return done, skipped
