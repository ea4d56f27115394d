"""The single writer: records verdicts in nbgrader's gradebook while more are computed.

One ``nbgrader autograde`` run at a time records a batch of students whose
verdicts are stored (grading/classwide/parallel.py); while it runs, the workers
compute the next verdicts, which form the next batch. Recording is thus
hidden behind the parallel part instead of following it, and SQLite still
has one writer. Around each run the hand-entered grades of the batch are
read and put back (grading/gradebook/autograde.py), and the record of what was
graded is saved, so an interrupted class loses at most the batch in flight.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

from grading.release.course import ASSIGNMENT, tool_env


class GradebookWriter:
    """Records students in batches, one nbgrader process at a time.

    Inputs:
    - course_dir: the course directory
    - everyone: every student with a submission (the others of a batch are excluded)
    - before_batch(students) -> state, after_batch(students, state): called
      in this process around each nbgrader run (no run is in progress then)
    - log: file that gets each run's output
    - min_batch: students a run waits for (until close): each run spends
      ~1.5 s starting nbgrader, which a batch of one would pay per student
    """

    command = (sys.executable, "-m", "nbgrader")

    def __init__(self, course_dir, everyone, before_batch, after_batch, log=None, min_batch=1):
        self.course_dir, self.everyone = Path(course_dir), list(everyone)
        self.before_batch, self.after_batch = before_batch, after_batch
        self.log, self.min_batch = log, min_batch
        self.pending, self.running = [], None
        self.recorded = []

    def add(self, student):
        """A student's verdicts are stored: record them with the next batch."""
        self.pending.append(student)
        self.poll()

    def poll(self, min_batch=None):
        """Finish a run that has ended, and start the next batch if enough students wait."""
        if self.running is not None and self.running["process"].poll() is not None:
            self._finish()
        if self.running is None and self.pending and len(self.pending) >= (min_batch or self.min_batch):
            self._start()

    def close(self):
        """Record everything still pending; returns the students recorded, in order."""
        while self.running is not None or self.pending:
            if self.running is not None:
                self.running["process"].wait()
            self.poll(min_batch=1)
        return self.recorded

    def _start(self):
        batch, self.pending = self.pending, []
        state = self.before_batch(batch)
        others = [s for s in self.everyone if s not in set(batch)]
        args = [*self.command, "autograde", ASSIGNMENT, "--force"]
        if others:
            args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
        output = tempfile.TemporaryFile(mode="w+")
        process = subprocess.Popen(args, cwd=self.course_dir, env=tool_env(), stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        self.running = {"batch": batch, "state": state, "process": process, "output": output,
                        "args": args}

    def _finish(self):
        run, self.running = self.running, None
        run["output"].seek(0)
        text = run["output"].read()
        run["output"].close()
        if self.log is not None:
            Path(self.log).parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a") as f:
                f.write(f"$ nbgrader autograde ({len(run['batch'])} students)\n{text}\n")
        if run["process"].returncode != 0:
            raise RuntimeError(f"`nbgrader autograde` failed (exit {run['process'].returncode}) for "
                               f"{', '.join(run['batch'])}:\n{text[-3000:]}")
        self.after_batch(run["batch"], run["state"])
        self.recorded.extend(run["batch"])
