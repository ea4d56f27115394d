"""The single writer records batches one run at a time, while more verdicts arrive."""
import sys

import pytest

from grading.gradebook.recorder import GradebookWriter


class FakeNbgrader(GradebookWriter):
    """Each run writes the students it was given (those not excluded) and takes 0.3 s."""
    command = (sys.executable, "-c", "import sys, time; time.sleep(0.3); "
               "excluded = [a.split('=', 1)[1].split(',') for a in sys.argv if 'exclude=' in a]; "
               "print('RUN', sys.argv[1:3], excluded)")


def writer(tmp_path, log, **kwargs):
    calls = []
    w = FakeNbgrader(tmp_path, ["a", "b", "c", "d", "e"],
                     before_batch=lambda batch: calls.append(("before", list(batch))) or len(batch),
                     after_batch=lambda batch, state: calls.append(("after", list(batch), state)),
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


def test_a_failed_run_stops_with_its_output(tmp_path):
    class Failing(GradebookWriter):
        command = (sys.executable, "-c", "import sys; print('broken gradebook'); sys.exit(3)")
    w = Failing(tmp_path, ["a"], lambda batch: None, lambda batch, state: None)
    w.add("a")
    with pytest.raises(RuntimeError, match="broken gradebook"):
        w.close()
