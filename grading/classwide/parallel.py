"""Grading a class in parallel: trusted verdicts computed by many workers, recorded by one.

The expensive part of grading a submission is the trusted grader's work
(one sandboxed worker process per graded function). It needs only the
submission's package, the course secret and the student id, so it is a
pure job: ``grade_package(student, files, secret, skipped) -> verdicts``
(grading/gradebook/verdicts.py, the same path nbgrader's own autograde
takes). Jobs run in a local process pool (``workers``) or on a Dask cluster
(``scheduler``); this process alone writes their results, first to
``instructor/verdicts/<student>.json`` (atomically, one file per student, so
an interrupted run resumes where it stopped), then into nbgrader's
gradebook through ``nbgrader autograde`` runs on batches of students
(grading/gradebook/recorder.py, one run at a time, while the next verdicts
are computed). SQLite is never written by two processes.

No submission can stop the others: a job that raises, or whose process
dies (the pool then breaks and is rebuilt for the rest), is retried once on
its own and then stored as a *failed* verdict that says why (zero code points, listed
for the instructor); only the grader's own trouble (no sandbox on this
machine) stops the run.
"""
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from grading.gradebook.verdicts import (clear_verdicts, fingerprint, load_verdicts, package_files,  # noqa: F401
                                        save_verdicts, secret_tag, verdict_path, verdicts_of)
from grading.sandbox.errors import SandboxUnavailable

# Dask's nanny puts MALLOC_TRIM_THRESHOLD_=65536 into its workers' environment
# (distributed.nanny.pre-spawn-environ). glibc then gives freed memory back at
# once and maps every allocation above 128 kB afresh: a submission's verdicts
# took 4 times the page faults and about 20% more CPU in such a worker than in
# a pool process (measured). Grading clusters leave the variable unset.
DASK_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def grade_package(student, files, secret, skipped=()):
    """The job run in a pool process or on a Dask worker (grading/gradebook/verdicts.py)."""
    return verdicts_of(student, files, secret, skipped)


def failed_verdicts(student, files, secret, reason):
    """What is stored for a submission the grader could not grade: why, and no points."""
    from grading.judge.trusted import graded_functions
    message = (f"your submission could not be graded ({reason}); the instructor has been told. "
               "This is not a verdict on your code.")
    notebooks = {}
    for spec in graded_functions():
        notebooks.setdefault(spec.notebook, {})[spec.grade_id] = {
            "name": spec.name, "notebook": spec.notebook, "points": spec.points, "score": 0,
            "message": message, "seconds": 0.0}
    return {"student": student, "fingerprint": fingerprint(files), "secret": secret_tag(secret),
            "failed": reason, "skipped": [], "notebooks": notebooks}


def local_cluster(workers):
    """A Dask LocalCluster of single-threaded worker processes set up as DASK_CONFIG says."""
    import dask
    from distributed import LocalCluster
    with dask.config.set(DASK_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _malloc_trim_threshold():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def trimming_workers_note(client):
    """A note for the instructor if the cluster's workers trim malloc's heap (DASK_CONFIG), else None."""
    trimming = [worker for worker, value in client.run(_malloc_trim_threshold).items() if value is not None]
    if not trimming:
        return None
    return (f"note: {len(trimming)} of the Dask workers run with MALLOC_TRIM_THRESHOLD_ set (Dask's "
            "default), which costs about 20% more CPU per submission; start them with the Dask setting "
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null (see README).")


def _pool_initializer():
    """Each pool process holds its own sandbox slot (so its own uid) and starts its own zygote."""
    from grading.sandbox import host, zygote
    host._slot = None
    zygote.reset()


def _describe_failure(exc):
    if isinstance(exc, BrokenProcessPool):
        return "the grading process running it died (out of memory, or killed)"
    return f"the grader failed on it: {type(exc).__name__}: {str(exc)[:300]}"


def compute_verdicts(course_dir, students, secret, workers=None, scheduler=None, progress=None,
                     on_ready=None):
    """Grade the students' packages in parallel; store each result as it arrives.

    Submissions whose stored verdicts match their package are not graded
    again (a resumed run). Returns the number of packages graded now.
    - workers: local processes (default: the machine's cores)
    - scheduler: a Dask scheduler address ('tcp://host:8786'); then the
      jobs run on that cluster instead
    - progress: callable(done, total) called before the first job (0) and after each stored result
    - on_ready: callable(student) called once per student whose verdicts
      are stored (at once for those found stored already)
    """
    ready = on_ready or (lambda student: None)
    jobs = {}
    for student in students:
        files, skipped = package_files(course_dir, student)
        if load_verdicts(course_dir, student, fingerprint(files), secret) is None:
            jobs[student] = (files, skipped)
        else:
            ready(student)
    total, done = len(jobs), 0
    if not jobs:
        return 0
    progress and progress(0, total)     # the count shows from the first second, not at the first verdict

    def store(verdicts):
        nonlocal done
        save_verdicts(course_dir, verdicts)
        done += 1
        progress and progress(done, total)
        ready(verdicts["student"])
    if scheduler:
        _on_dask(scheduler, jobs, secret, store)
    else:
        _on_pool(workers or os.cpu_count() or 1, jobs, secret, store)
    return total


def _on_pool(workers, jobs, secret, store):
    """Run the jobs in process pools; the jobs in flight when a pool's process died are retried alone."""
    queue, suspects = list(jobs), []
    while queue:
        suspects += _pool_run(workers, queue, jobs, secret, store)
    for student in suspects:             # alone, each in a pool of its own: only the culprit fails again
        if _pool_run(1, [student], jobs, secret, store):
            store(failed_verdicts(student, jobs[student][0], secret, _describe_failure(BrokenProcessPool())))


def _pool_run(workers, queue, jobs, secret, store):
    """Take jobs from queue, at most ``workers`` in flight; returns those in flight if the pool broke."""
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_pool_initializer) as pool:
        inflight = {}

        def submit():
            while queue and len(inflight) < workers:
                student = queue.pop(0)
                files, skipped = jobs[student]
                inflight[pool.submit(grade_package, student, files, secret, skipped)] = student
        submit()
        while inflight:
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for future in finished:
                student = inflight.pop(future)
                try:
                    verdicts = future.result()
                except SandboxUnavailable:
                    raise
                except BrokenProcessPool:
                    return [student, *inflight.values()]
                except Exception as exc:     # noqa: B902  (one submission's trouble, not the class's)
                    verdicts = failed_verdicts(student, jobs[student][0], secret, _describe_failure(exc))
                store(verdicts)
            submit()
    return []


def _on_dask(scheduler, jobs, secret, store):
    from distributed import Client, as_completed as dask_completed
    with Client(scheduler) as client:
        note = trimming_workers_note(client)
        if note:
            print(note, file=sys.stderr)
        futures = {client.submit(grade_package, s, f, secret, k, key=f"grade-{s}-{fingerprint(f)[:12]}",
                                 pure=False, retries=1): s for s, (f, k) in jobs.items()}
        for future in dask_completed(futures):
            student = futures[future]
            try:
                verdicts = future.result()
            except SandboxUnavailable:
                raise
            except Exception as exc:         # noqa: B902  (a worker died twice on it, or it raised)
                verdicts = failed_verdicts(student, jobs[student][0], secret, _describe_failure(exc))
            store(verdicts)
