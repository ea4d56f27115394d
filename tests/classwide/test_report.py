"""The class report reads the verdicts' fields (reason, mistake), never their wording."""
import json

import grading.classwide.report as report
from grading.gradebook.grades import Score
from grading.release.layout import CourseLayout


def _verdict(result):
    return {"student": "ada", "notebooks": {"01_activations": {"test_relu_backward": result}}}


def _summary(tmp_path, monkeypatch, result):
    layout = CourseLayout(tmp_path)
    layout.verdicts_dir.mkdir(parents=True)
    layout.verdict("ada").write_text(json.dumps(_verdict(result)))
    monkeypatch.setattr(report, "collect_scores", lambda _: {
        "ada": [Score("01_activations", "test_relu_backward", "code", 3.0, 0.0, False)]})
    return report.class_summary(tmp_path)


def test_a_reworded_message_keeps_its_rows(tmp_path, monkeypatch):
    summary = _summary(tmp_path, monkeypatch, {
        "score": 0, "points": 3, "message": "anything at all, in any words",
        "reason": "limit:cpu", "mistake": ""})
    assert [p[:3] for p in summary["problems"]] == [("ada", "test_relu_backward", "time limit")]
    assert summary["mistakes"] == []


def test_a_named_mistake_is_counted_from_its_field(tmp_path, monkeypatch):
    summary = _summary(tmp_path, monkeypatch, {
        "score": 0, "points": 3, "message": "no such phrase here",
        "reason": "", "mistake": "gradient at x == 0"})
    assert [(m, n) for m, n, *_ in summary["mistakes"]] == [("gradient at x == 0", 1)]
    assert summary["problems"] == []
