"""A graded class for the report without nbgrader: scores, verdicts and submissions written directly.

``fake_class(root, monkeypatch, n)`` gives a CourseLayout whose gradebook
scores (report.collect_scores, patched) and verdicts agree: every function
of the registry is graded for every student; a few functions are missed
by some students (a named mistake each), some tests are stopped by a limit
or by the grader's trouble; two students copied layers.py from a third.
Returns (layout, plan) where plan = {grade_id: (failed ids, stopped ids)}.
"""
import json

from copies import disguise, reference, write_course
from cs231n_lite.selfcheck import REGISTRY
from grading.gradebook.grades import Score

MISSED = {"relu_backward": ("gradient at x == 0", 7), "batchnorm_backward": ("dgamma summed over the wrong axis", 5),
          "adam": ("bias correction before incrementing t", 9), "he_init": ("factor 2 missing", 3)}
STOPPED = {"lsuv_init": ("limit:cpu", 2), "fit_pca": ("overloaded", 1), "maxout_forward": ("limit:memory", 1)}


def fake_class(root, monkeypatch, n=40, hostile_id="<img src=x onerror=alert(1)>"):
    import grading.classwide.report as report

    students = [f"s{i:03d}" for i in range(n - 1)] + [hostile_id]
    plan = {}
    for name, (_, count) in MISSED.items():
        plan[REGISTRY[name].grade_id] = (students[-count:], [])
    for name, (_, count) in STOPPED.items():
        plan[REGISTRY[name].grade_id] = ([], students[:count])
    layers = "cs231n_lite/layers.py"
    layout = write_course(root, {s: {} for s in students} | {
        "s001": {layers: reference(layers)}, "s002": {layers: disguise(reference(layers), 1)},
        "s003": {layers: disguise(reference(layers), 2)}})
    layout.verdicts_dir.mkdir(parents=True, exist_ok=True)
    scores = {}
    for student in students:
        rows, notebooks = [], {}
        for name, spec in REGISTRY.items():
            failed, stopped = plan.get(spec.grade_id, ([], []))
            lost = student in failed or student in stopped
            rows.append(Score(spec.notebook.removesuffix(".ipynb"), spec.grade_id, "code", float(spec.points),
                              0.0 if lost else float(spec.points), False))
            reason = STOPPED[name][0] if student in stopped else ""
            mistake = MISSED[name][0] if student in failed else ""
            notebooks.setdefault(spec.notebook.removesuffix(".ipynb"), {})[spec.grade_id] = {
                "score": 0 if lost else spec.points, "points": spec.points, "reason": reason, "mistake": mistake,
                "message": f"{name}: {'stopped' if reason else 'wrong'} ({student})" if lost else "passed"}
        scores[student] = rows
        layout.verdict(student).write_text(
            json.dumps({"student": student, "notebooks": notebooks}))
    monkeypatch.setattr(report, "collect_scores", lambda _: scores)
    return layout, plan
