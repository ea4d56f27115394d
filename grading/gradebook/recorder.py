"""The single writer: records verdicts in nbgrader's gradebook while more are computed.

One ``nbgrader autograde`` run at a time records a batch of students whose
verdicts are stored (grading/classwide/parallel.py); while it runs, the
workers compute the next verdicts, which form the next batch. Recording is
thus hidden behind the parallel part instead of following it, and SQLite
still has one writer. Around each run the hand-entered grades of the batch
are read and put back (grading/gradebook/grades.py), and the record of
what was graded is saved, so an interrupted class loses at most the batch
in flight.

No student stops the others: after each run, a student of the batch counts
as recorded only if nbgrader wrote their autograded folder during it. When
some were not (nbgrader failed on one student, or gave up on the whole
run), each of them is recorded again alone; a student whose own run fails
too is written to instructor/recording-failures.json with nbgrader's
reason, the grade table and grades.csv say so, and the class goes on.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grading.release.course import converted_notebook, tool_env
from grading.release.layout import CourseLayout


class GradebookWriter:
    """Records students in batches, one nbgrader process at a time.

    Inputs:
    - course_dir: the course directory
    - everyone: every student with a submission (the others of a batch are excluded)
    - before_batch(students) -> state, after_batch(students, state, recorded): called
      in this process around each nbgrader run (no run is in progress then);
      recorded: the students of the batch nbgrader did record
    - log: file that gets each run's output
    - min_batch: students a run waits for (until close): each run spends
      ~1.5 s starting nbgrader, which a batch of one would pay per student
    - on_notebook(path): called as nbgrader starts recording each notebook
      (seen whenever the writer is called, and every half second in close)
    """

    command = (sys.executable, "-m", "nbgrader")

    def __init__(self, course_dir, everyone, before_batch, after_batch, log=None, min_batch=1,
                 on_notebook=None):
        self.course_dir, self.everyone = Path(course_dir), list(everyone)
        self.before_batch, self.after_batch = before_batch, after_batch
        self.log, self.min_batch, self.on_notebook = log, min_batch, on_notebook
        self.pending, self.alone, self.running = [], [], None
        self.recorded, self.failed = [], {}

    def add(self, student):
        """A student's verdicts are stored: record them with the next batch."""
        self.pending.append(student)
        self.poll()

    def poll(self, min_batch=None):
        """Finish a run that has ended, and start the next run if students wait."""
        if self.running is not None:
            self._scan()
        if self.running is not None and self.running["process"].poll() is not None:
            self._finish()
        if self.running is None and self.alone:
            self._start([self.alone.pop(0)], retry=True)
        elif self.running is None and self.pending and len(self.pending) >= (min_batch or self.min_batch):
            batch, self.pending = self.pending, []
            self._start(batch)

    def close(self):
        """Record everything still pending; returns the students recorded, in order."""
        while self.running is not None or self.pending or self.alone:
            if self.running is not None:
                try:
                    self.running["process"].wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    self._scan()
                    continue
            self.poll(min_batch=1)
        self._save_failures()
        return self.recorded

    def _start(self, batch, retry=False):
        state = self.before_batch(batch)
        others = [s for s in self.everyone if s not in set(batch)]
        args = [*self.command, "autograde", CourseLayout(self.course_dir).assignment, "--force"]
        if others:
            args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
        output = tempfile.TemporaryFile(mode="w+")
        started = time.time()
        process = subprocess.Popen(args, cwd=self.course_dir, env=tool_env(), stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        self.running = {"batch": batch, "state": state, "process": process, "output": output,
                        "started": started, "retry": retry, "scanned": 0, "partial": b""}

    def _scan(self):
        """Tell on_notebook of the notebooks the running nbgrader started since the last look."""
        run = self.running
        if self.on_notebook is None:
            return
        fd = run["output"].fileno()
        new = os.pread(fd, max(0, os.fstat(fd).st_size - run["scanned"]), run["scanned"])
        run["scanned"] += len(new)
        *lines, run["partial"] = (run["partial"] + new).split(b"\n")
        for line in lines:
            path = converted_notebook(line.decode(errors="replace"))
            if path:
                self.on_notebook(path)

    def _written(self, student, since):
        """Whether nbgrader wrote this student's autograded folder after ``since``."""
        folder = CourseLayout(self.course_dir).autograded(student)
        try:
            return any(p.stat().st_mtime >= since - 1 for p in folder.glob("*.ipynb"))
        except OSError:
            return False

    def _finish(self):
        self._scan()
        run, self.running = self.running, None
        run["output"].seek(0)
        text = run["output"].read()
        run["output"].close()
        if self.log is not None:
            Path(self.log).parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a") as f:
                f.write(f"$ nbgrader autograde ({len(run['batch'])} students)\n{text}\n")
        recorded = [s for s in run["batch"] if self._written(s, run["started"])]
        missed = [s for s in run["batch"] if s not in recorded]
        try:
            self.after_batch(run["batch"], run["state"], recorded)
        except Exception as exc:        # noqa: B902  (bookkeeping of one batch: its students are told, not the class)
            for student in recorded:
                self.failed[student] = f"recorded, but the grades kept around it could not be: {exc}"[:300]
            recorded = []
        self.recorded.extend(recorded)
        for student in recorded:
            self.failed.pop(student, None)
        if run["retry"] or len(run["batch"]) == 1:
            for student in missed:
                self.failed[student] = _reason(text, student, run["process"].returncode)
        else:
            self.alone.extend(missed)          # each alone: only the one nbgrader cannot take fails

    def _save_failures(self):
        path = CourseLayout(self.course_dir).recording_failures
        known = {}
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):
            pass
        known = {s: why for s, why in known.items() if s not in self.recorded}
        known.update(self.failed)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        os.replace(tmp, path)


def _reason(text, student, returncode):
    """nbgrader's own words on why it failed, in one line."""
    errors = [line.split("]", 1)[-1].strip() for line in text.splitlines()
              if "[AutogradeApp | ERROR]" in line or "Error:" in line]
    errors = [e for e in errors if e and "Please see the" not in e and "There was an error" not in e]
    last = errors[-1] if errors else f"nbgrader autograde exited with status {returncode}"
    return re.sub(r"\s+", " ", last)[:300]
