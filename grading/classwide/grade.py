"""Grade the new and changed submissions of a class, record them, export grades.csv.

    autograde(course_dir, workers=2)      # what `python -m grading autograde` and `make grade` do

The trusted verdicts are computed in parallel (``workers`` local processes,
or a Dask cluster at ``scheduler``; grading/classwide/parallel.py) and
recorded in batches, one nbgrader autograde run at a time, while the next
verdicts are computed (grading/gradebook/recorder.py). Hand-entered grades
survive: a regraded submission gets back every manual score, and its
reviewed state where the answer text did not change
(grading/gradebook/grades.py). Nothing else here is special: the course's
nbgrader_config.py puts the trusted grader into nbgrader's autograde
(grading/gradebook/nbgrader_plugin.py).
"""
from pathlib import Path

from grading.classwide.parallel import clear_verdicts, compute_verdicts
from grading.gradebook.grades import export, recording_hooks, submissions, to_grade
from grading.gradebook.recorder import GradebookWriter
from grading.judge.hidden import read_secret
from grading.release.course import counter, notebook_files
from grading.release.layout import CourseLayout


def autograde(course_dir, regrade=(), log=None, workers=None, scheduler=None, progress=None,
              phase=lambda line: None, recording=None):
    """Grade new and changed submissions (and those in regrade), then export the grades.

    regrade: student ids to grade again anyway, or ("all",); phase(line) is
    told what starts, before each long step; progress(done, total) counts the
    submissions whose verdicts are in, recording(done, total) the notebooks
    nbgrader has started recording. Returns the students graded.
    """
    course_dir = Path(course_dir).resolve()
    phase("checking which submissions are new or changed ...")
    students = to_grade(course_dir, tuple(regrade))
    if not students:
        phase("nothing new to grade; exporting grades with nbgrader export ...")
        export(course_dir, log=log)
        return students
    phase(f"grading {len(students)} submission(s): computing verdicts in the sandbox and recording them "
          f"with nbgrader autograde ...")
    clear_verdicts(course_dir, submissions(course_dir) if "all" in regrade else
                   [s for s in regrade if s in students])
    before_batch, after_batch = recording_hooks(course_dir)
    writer = GradebookWriter(course_dir, submissions(course_dir), before_batch, after_batch, log=log,
                             min_batch=min(24, max(1, len(students) // 10)),
                             on_notebook=counter(len(students) * len(notebook_files()), recording))
    try:
        compute_verdicts(course_dir, students, read_secret(CourseLayout(course_dir).secret),
                         workers=workers, scheduler=scheduler, progress=progress, on_ready=writer.add)
    finally:
        try:
            if writer.pending or writer.running:
                phase("recording the last verdicts in nbgrader's gradebook ...")
            writer.close()   # verdicts already stored are recorded even if computing stopped
        finally:
            phase("exporting grades with nbgrader export ...")
            export(course_dir, log=log)     # grades.csv is written whatever happened
    return students
