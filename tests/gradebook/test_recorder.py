"""The single writer records batches one run at a time, while more verdicts arrive; no student stops it."""
import json
import os
import sys

from grading.gradebook.recorder import GradebookWriter

EVERYONE = ["a", "b", "c", "d", "e"]
# A stand-in for `nbgrader autograde`: writes autograded/<s>/part1/nb.ipynb for every student it was
# given (those not excluded), after 0.3 s. A student named "bad..." fails on its own (nbgrader goes on
# with the others); with "abort..." in the batch nbgrader gives up before writing anyone.
FAKE = """
import os, sys, time
time.sleep(0.3)
excluded = [a.split('=', 1)[1].split(',') for a in sys.argv if 'exclude=' in a]
excluded = excluded[0] if excluded else []
given = [s for s in os.environ['FAKE_EVERYONE'].split(',') if s not in excluded]
print('RUN', sys.argv[1:3], excluded)
if any(s.startswith('abort') for s in given):
    print('[AutogradeApp | ERROR] One or more notebooks use an old version of the nbgrader metadata')
    sys.exit(1)
for s in given:
    if s.startswith('bad'):
        print(f'[AutogradeApp | ERROR] No notebooks found for {s}')
        continue
    folder = os.path.join('autograded', s, 'part1')
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, 'nb.ipynb'), 'w').write('{}')
sys.exit(1 if any(s.startswith('bad') for s in given) else 0)
"""


class FakeNbgrader(GradebookWriter):
    command = (sys.executable, "-c", FAKE)


def writer(tmp_path, log, everyone=EVERYONE, **kwargs):
    os.environ["FAKE_EVERYONE"] = ",".join(everyone)
    calls = []
    w = FakeNbgrader(tmp_path, everyone,
                     before_batch=lambda batch: calls.append(("before", list(batch))) or len(batch),
                     after_batch=lambda batch, state, recorded: calls.append(("after", list(recorded), state)),
                     log=log, **kwargs)
    return w, calls


def test_batches_form_while_a_run_is_in_progress(tmp_path):
    log = tmp_path / "log"
    w, calls = writer(tmp_path, log)
    w.add("a")                      # nothing running: a run starts at once
    w.add("b")
    w.add("c")                      # these wait for the run in progress
    assert calls == [("before", ["a"])]
    w.running["process"].wait()
    w.add("d")                      # the first run has ended: b, c, d form the next batch
    assert calls[1:] == [("after", ["a"], 1), ("before", ["b", "c", "d"])]
    w.add("e")
    assert w.close() == ["a", "b", "c", "d", "e"]
    assert calls[-2:] == [("before", ["e"]), ("after", ["e"], 1)]
    runs = [line for line in log.read_text().splitlines() if line.startswith("RUN")]
    assert len(runs) == 3 and "'a', 'b', 'c', 'd'" in runs[-1]   # each run excludes the others


def test_a_minimum_batch_waits_until_close(tmp_path):
    w, calls = writer(tmp_path, None, min_batch=3)
    w.add("a")
    w.add("b")
    assert calls == []
    w.add("c")
    assert calls == [("before", ["a", "b", "c"])]
    w.add("d")
    assert w.close() == ["a", "b", "c", "d"]


def failures(tmp_path):
    return json.loads((tmp_path / "instructor" / "recording-failures.json").read_text())


def test_a_student_nbgrader_cannot_take_is_listed_and_the_others_are_recorded(tmp_path):
    w, calls = writer(tmp_path, None, everyone=["a", "bad1", "c"], min_batch=3)
    for s in ("a", "bad1", "c"):
        w.add(s)
    assert w.close() == ["a", "c"]
    assert failures(tmp_path) == {"bad1": "No notebooks found for bad1"}
    assert ("before", ["bad1"]) in calls           # tried again alone before it was given up


def test_a_run_nbgrader_gives_up_on_records_everyone_else_alone(tmp_path):
    w, calls = writer(tmp_path, None, everyone=["a", "abort1", "c", "d"], min_batch=4)
    for s in ("a", "abort1", "c", "d"):
        w.add(s)
    assert sorted(w.close()) == ["a", "c", "d"]
    assert list(failures(tmp_path)) == ["abort1"] and "old version" in failures(tmp_path)["abort1"]


def test_a_failure_is_forgotten_once_the_student_is_recorded(tmp_path):
    w, _ = writer(tmp_path, None, everyone=["bad2"])
    w.add("bad2")
    w.close()
    assert "bad2" in failures(tmp_path)
    os.environ["FAKE_EVERYONE"] = "bad2"
    fixed = FakeNbgrader(tmp_path, ["bad2"], lambda b: None, lambda b, s, r: None)
    fixed.command = (sys.executable, "-c", FAKE.replace("s.startswith('bad')", "False"))
    fixed.add("bad2")
    assert fixed.close() == ["bad2"] and failures(tmp_path) == {}
