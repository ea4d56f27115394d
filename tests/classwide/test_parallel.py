"""Grading a whole class: parallel = sequential, a Dask cluster, resuming, the class report."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from grading.classwide.grade import autograde
from grading.gradebook.grades import collect_scores
from grading.release.course import ROOT
from grading.classwide.parallel import local_cluster, trimming_workers_note, verdict_path
from grading.classwide.report import class_summary, write_report
from grading.release.samples import make_submissions

from helpers import copy_course
from variants import ALL_VARIANTS

pytestmark = pytest.mark.nbgrader
CLASS = ("reference", "untouched", "seeded_bug", "bug_he_init", "exits_at_import")


def new_course(release_template, tmp_path_factory, name):
    course = copy_course(release_template, tmp_path_factory.mktemp(name) / "course")
    make_submissions(course, {s: ALL_VARIANTS[s] for s in CLASS})
    return course


def verdicts(course):
    """Every stored verdict without its timing."""
    out = {}
    for student in CLASS:
        data = json.loads(verdict_path(course, student).read_text())
        out[student] = {nb: {g: (r["score"], r["message"]) for g, r in results.items()}
                        for nb, results in data["notebooks"].items()}
    return out


def code_scores(course):
    return {s: {x.grade_id: x.score for x in rows if x.kind == "code"} for s, rows in collect_scores(course).items()}


@pytest.fixture(scope="module")
def sequential(release_template, tmp_path_factory):
    course = new_course(release_template, tmp_path_factory, "sequential")
    autograde(course, workers=1)
    return course


def test_two_workers_give_the_sequential_grades(sequential, release_template, tmp_path_factory):
    course = new_course(release_template, tmp_path_factory, "parallel")
    (course / "instructor" / "secret").write_bytes((sequential / "instructor" / "secret").read_bytes())
    autograde(course, workers=2)
    assert verdicts(course) == verdicts(sequential)
    assert code_scores(course) == code_scores(sequential)


def test_a_dask_cluster_gives_the_sequential_grades(sequential, release_template, tmp_path_factory, capsys):
    course = new_course(release_template, tmp_path_factory, "dask")
    (course / "instructor" / "secret").write_bytes((sequential / "instructor" / "secret").read_bytes())
    with local_cluster(2) as cluster:
        autograde(course, scheduler=cluster.scheduler_address)
    assert code_scores(course) == code_scores(sequential)
    assert "MALLOC_TRIM_THRESHOLD_" not in capsys.readouterr().err   # local_cluster leaves it unset


def test_workers_that_trim_the_heap_at_every_free_are_pointed_out():
    class Client:            # client.run(f) -> {worker address: f() there}
        def __init__(self, values):
            self.values = values

        def run(self, function):
            assert function() == os.environ.get("MALLOC_TRIM_THRESHOLD_")
            return self.values
    assert trimming_workers_note(Client({"tcp://a": None, "tcp://b": None})) is None
    note = trimming_workers_note(Client({"tcp://a": "65536", "tcp://b": None}))
    assert "1 of the Dask workers" in note and "pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null" in note


def test_an_interrupted_run_resumes_and_loses_nothing(sequential, release_template, tmp_path_factory):
    course = new_course(release_template, tmp_path_factory, "resume")
    (course / "instructor" / "secret").write_bytes((sequential / "instructor" / "secret").read_bytes())
    run = [sys.executable, "-m", "grading", "autograde", "--course", str(course), "--workers", "1"]
    proc = subprocess.Popen(run, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    first = verdict_path(course, CLASS[0]).parent
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(first.glob("*.json"))) < 2:
        time.sleep(0.2)
    import os
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in first.glob("*.json")}
    assert 2 <= len(kept) < len(CLASS), kept
    subprocess.run(run, cwd=ROOT, check=True, capture_output=True)
    assert {p.name: p.stat().st_mtime_ns for p in first.glob("*.json") if p.name in kept} == kept
    assert code_scores(course) == code_scores(sequential)
    subprocess.run(run, cwd=ROOT, check=True, capture_output=True)      # twice: same grades
    assert code_scores(course) == code_scores(sequential)


def test_the_class_report_matches_the_gradebook(sequential):
    summary = class_summary(sequential)
    scores = code_scores(sequential)
    assert summary["students"] == len(CLASS)
    assert sorted(summary["totals"]["overall"]) == sorted(sum(v.values()) for v in scores.values())
    points = {x.grade_id: x.points for x in collect_scores(sequential)["reference"]}   # one gradebook read
    for grade_id, rate in summary["pass_rate"].items():
        full = sum(1 for s in CLASS if scores[s][grade_id] == points[grade_id])
        assert rate == pytest.approx(full / len(CLASS)), grade_id
    mistakes = {m: n for m, n, *_ in summary["mistakes"]}
    assert any("x == 0" in m for m in mistakes)                    # seeded_bug's relu_backward
    assert any(k == "exited" and s == "exits_at_import" for s, _, k, _ in summary["problems"])
    page = write_report(sequential)
    assert (page.parent / "scores.png").stat().st_size > 1000 and (page.parent / "pass_rate.png").exists()
    assert "exits_at_import" in page.read_text()
