"""The class report reads the verdicts' fields (reason, mistake), never their wording."""
import json
import struct

from fake_class import fake_class

import grading.classwide.report as report
from grading.gradebook.grades import Score
from grading.gradebook.sanitize import html_text
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


def png_width(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", header[16:20])[0]


def test_pass_rates_list_the_missed_functions_worst_first_stopped_apart(tmp_path, monkeypatch):
    layout, plan = fake_class(tmp_path / "course", monkeypatch, n=20)
    summary = report.class_summary(layout.root)
    below = report.below_full(summary)
    assert {g for g, _ in below} == set(plan)
    rates = [c[0] / c[3] for _, c in below]
    assert rates == sorted(rates)
    for grade_id, (passed, failed, stopped, graded) in below:
        assert (failed, stopped, graded) == (len(plan[grade_id][0]), len(plan[grade_id][1]), 20)
        assert passed == graded - failed - stopped


def test_the_page_fits_and_links_each_misconception_to_its_students(tmp_path, monkeypatch):
    layout, plan = fake_class(tmp_path / "course", monkeypatch, n=30)
    page = report.write_report(layout.root).read_text()
    for name in ("scores.png", "pass_rate.png"):
        assert png_width(layout.report_dir / name) <= report.FIGURE_PX
    row = next(r for r in page.split("<tr>") if "gradient at x == 0" in r)
    failed = plan["test_relu_backward"][0]
    assert all(f">{html_text(s)}</a>" in row for s in failed) and "s000<" not in row
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    stopped_part = page.split("stopped by a limit")[1].split("failed to grade")[0]
    assert "memory" in stopped_part and "overloaded" in stopped_part
    assert "s001" in page.split("Similar code")[1] and "review aid" in page


def test_the_stopped_reasons_are_the_graders_reasons():
    from grading.judge.trusted import REASONS
    assert report.STOPPED <= set(REASONS) and "" not in report.STOPPED
    assert {"import", "worker", "intake"}.isdisjoint(report.STOPPED)      # the student's own doing
