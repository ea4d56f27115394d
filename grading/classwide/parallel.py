"""Grading a class in parallel: trusted verdicts computed by many workers, recorded by one.

The expensive part of grading a submission is the trusted grader's work
(one sandboxed worker process per graded function). It needs only the
submission's package, the course secret and the student id, so it is a
pure job: ``grade_package(student, files, secret) -> verdicts``. Jobs run
in a local process pool (``workers``) or on a Dask cluster (``scheduler``);
this process alone writes their results, first to
``instructor/verdicts/<student>.json`` (atomically, one file per student, so
an interrupted run resumes where it stopped), then into nbgrader's
gradebook through ``nbgrader autograde`` runs on batches of students
(grading/gradebook/recorder.py, one run at a time, while the next verdicts are
computed), whose TrustedGrades step
uses a verdict when its package fingerprint matches and grades itself
otherwise. SQLite is never written by two processes.
"""
import hashlib
import json
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from grading.release.course import ASSIGNMENT, PACKAGE, graded_module_files

VERDICTS = Path("instructor") / "verdicts"

# Dask's nanny puts MALLOC_TRIM_THRESHOLD_=65536 into its workers' environment
# (distributed.nanny.pre-spawn-environ). glibc then gives freed memory back at
# once and maps every allocation above 128 kB afresh: a submission's verdicts
# took 4 times the page faults and about 20% more CPU in such a worker than in
# a pool process (measured). Grading clusters leave the variable unset.
DASK_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def package_files(course_dir, student):
    """The package nbgrader's autograde builds for a student: {relative path: bytes}.

    The submitted package, with every file that is not a graded module
    replaced by (or added from) the course source, exactly as autograde
    copies them (Autograde.exclude_overwriting keeps the graded files).
    """
    course_dir = Path(course_dir)
    keep = set(graded_module_files())
    files = {}
    for root, overlay in ((course_dir / "submitted" / student / ASSIGNMENT, False),
                          (course_dir / "source" / ASSIGNMENT, True)):
        for path in sorted((root / PACKAGE).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if not path.is_file() or "__pycache__" in rel or rel.endswith(".pyc"):
                continue
            if overlay and rel in keep:
                continue
            files[rel] = path.read_bytes()
    return files


def fingerprint(files):
    """One digest of a package given as {relative path: bytes}."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return digest.hexdigest()


def fingerprint_dir(package_dir):
    """The fingerprint of a package folder (same as fingerprint of its files)."""
    package_dir = Path(package_dir)
    files = {}
    for path in sorted(package_dir.rglob("*")):
        rel = (Path(PACKAGE) / path.relative_to(package_dir)).as_posix()
        if path.is_file() and "__pycache__" not in rel and not rel.endswith(".pyc"):
            files[rel] = path.read_bytes()
    return fingerprint(files)


def secret_tag(secret):
    """Identifies the secret a verdict was computed with, without revealing it."""
    return hashlib.sha256(b"verdict-tag\0" + secret).hexdigest()[:16]


def grade_package(student, files, secret):
    """The job: trusted verdicts of every graded function for one submission (plain data).

    Runs wherever the grading package is importable (a pool process, a
    Dask worker); writes only to a temporary folder of its own.
    """
    from grading.judge.trusted import grade_notebook, graded_functions

    with tempfile.TemporaryDirectory(prefix="cs231n-lite-job-") as tmp:
        for rel, data in files.items():
            target = Path(tmp) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        notebooks = sorted({spec.notebook for spec in graded_functions()})
        verdicts = {}
        for notebook in notebooks:
            results = grade_notebook(notebook, Path(tmp) / PACKAGE, secret, student)
            verdicts[notebook] = {gid: vars(r) for gid, r in results.items()}
    return {"student": student, "fingerprint": fingerprint(files), "secret": secret_tag(secret),
            "notebooks": verdicts}


def verdict_path(course_dir, student):
    return Path(course_dir) / VERDICTS / f"{student}.json"


def save_verdicts(course_dir, verdicts):
    path = verdict_path(course_dir, verdicts["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(verdicts))
    os.replace(tmp, path)   # atomic: a killed run leaves whole files only


def load_verdicts(course_dir, student, fingerprint_value, secret):
    """The stored verdicts of a student if they belong to this package and secret, else None."""
    path = verdict_path(course_dir, student)
    if not path.exists():
        return None
    try:
        verdicts = json.loads(path.read_text())
    except ValueError:
        return None
    if verdicts.get("fingerprint") != fingerprint_value or verdicts.get("secret") != secret_tag(secret):
        return None
    return verdicts


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
    """Each pool process holds its own sandbox slot (so its own uid)."""
    from grading.sandbox import host as sandbox
    sandbox._slot = None


def compute_verdicts(course_dir, students, secret, workers=None, scheduler=None, progress=None,
                     on_ready=None):
    """Grade the students' packages in parallel; store each result as it arrives.

    Submissions whose stored verdicts match their package are not graded
    again (a resumed run). Returns the number of packages graded now.
    - workers: local processes (default: the machine's cores)
    - scheduler: a Dask scheduler address ('tcp://host:8786'); then the
      jobs run on that cluster instead
    - progress: callable(done, total) called after each stored result
    - on_ready: callable(student) called once per student whose verdicts
      are stored (at once for those found stored already)
    """
    ready = on_ready or (lambda student: None)
    jobs = {}
    for student in students:
        files = package_files(course_dir, student)
        if load_verdicts(course_dir, student, fingerprint(files), secret) is None:
            jobs[student] = files
        else:
            ready(student)
    total, done = len(jobs), 0
    if not jobs:
        return 0

    def store(verdicts):
        nonlocal done
        save_verdicts(course_dir, verdicts)
        done += 1
        progress and progress(done, total)
        ready(verdicts["student"])
    if scheduler:
        from distributed import Client, as_completed as dask_completed
        with Client(scheduler) as client:
            note = trimming_workers_note(client)
            if note:
                print(note, file=sys.stderr)
            futures = [client.submit(grade_package, s, f, secret, key=f"grade-{s}-{fingerprint(f)[:12]}",
                                     pure=False) for s, f in jobs.items()]
            for future in dask_completed(futures):
                store(future.result())
        return total
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_pool_initializer) as pool:
        futures = [pool.submit(grade_package, s, f, secret) for s, f in jobs.items()]
        for future in as_completed(futures):
            store(future.result())
    return total


def clear_verdicts(course_dir, students):
    """Forget stored verdicts (an explicit regrade recomputes them)."""
    for student in students:
        verdict_path(course_dir, student).unlink(missing_ok=True)
