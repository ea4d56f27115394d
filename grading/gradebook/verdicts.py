"""The one verdict path: a student's package read as data, graded by the judge, stored per student.

Both ways of grading go through here with the same settings: the class
command (grading/classwide/parallel.py computes ``verdicts_of`` in worker
processes or on a Dask cluster) and nbgrader's own autograde (the
TrustedGrades step of grading/gradebook/nbgrader_plugin.py uses a stored
verdict whose package and secret match, and computes it otherwise).

    files, skipped = package_files(course_dir, student)
    verdicts = verdicts_of(student, files, secret, skipped)     # plain data
    save_verdicts(course_dir, verdicts)
"""
import hashlib
import json
import os

from grading.judge.intake import read_tree
from grading.release.course import PACKAGE, graded_module_files
from grading.release.layout import CourseLayout, course



def package_files(course_dir, student, assignment=None):
    """The package a student is graded on: ({relative path: bytes}, [(path, why skipped)]).

    The submitted package's graded modules (read as data: regular files only,
    grading/judge/intake.py), with every other file of the package taken from
    the course source, exactly as nbgrader's autograde composes it
    (Autograde.exclude_overwriting keeps the graded files).
    """
    layout = CourseLayout(course_dir, assignment)
    keep = set(graded_module_files())
    submitted = read_tree(layout.submitted(student) / PACKAGE, prefix=PACKAGE)
    source = read_tree(layout.source / PACKAGE, prefix=PACKAGE)
    files = {rel: data for rel, data in source.files.items() if rel not in keep}
    files.update({rel: data for rel, data in submitted.files.items() if rel in keep})
    skipped = [(rel, why) for rel, why in submitted.skipped if rel in keep or rel == PACKAGE]
    return files, skipped


def fingerprint(files):
    """One digest of a package given as {relative path: bytes}."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return digest.hexdigest()


def secret_tag(secret):
    """Identifies the secret a verdict was computed with, without revealing it."""
    return hashlib.sha256(b"verdict-tag\0" + secret).hexdigest()[:16]


def verdicts_of(student, files, secret, skipped=()):
    """The job: trusted verdicts of every graded function for one submission (plain data).

    Runs wherever the grading package is importable (this process, a pool
    process, a Dask worker) and writes nothing but the sandbox's own folders.
    """
    from grading.judge.trusted import grade_submission

    results = grade_submission(files, secret, student, skipped=skipped)
    return {"student": student, "fingerprint": fingerprint(files), "secret": secret_tag(secret),
            "skipped": [list(s) for s in skipped],
            "notebooks": {nb: {gid: vars(r) for gid, r in rs.items()} for nb, rs in results.items()}}


def verdict_path(course_dir, student):
    return course(course_dir).verdict(student)


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
    if not final(verdicts):
        return None
    return verdicts


def final(verdicts):
    """Whether stored verdicts stand: none was stopped by a busy machine, and the grading did not fail."""
    return not verdicts.get("failed") and not any(
        r.get("reason") == "overloaded" for nb in verdicts.get("notebooks", {}).values() for r in nb.values())


def unfinished(course_dir, students):
    """The students whose stored verdicts do not stand (final() is False): they are graded again."""
    out = []
    for student in students:
        try:
            verdicts = json.loads(verdict_path(course_dir, student).read_text())
        except (OSError, ValueError):
            continue
        if not final(verdicts):
            out.append(student)
    return out


def clear_verdicts(course_dir, students):
    """Forget stored verdicts (an explicit regrade recomputes them)."""
    for student in students:
        verdict_path(course_dir, student).unlink(missing_ok=True)
