"""Pairs of submissions whose own code is alike, module by module: a review aid, never a score.

    python -m grading similarity [--course DIR] [--threshold 0.5]
        -> <course>/report/similarity.html, similarity.csv, similarity/<pair>.html

Each graded module of each submission becomes a set of fingerprints:
copydetect's tokenizer (pygments) turns the code into a filtered string
in which every name is ``V`` and every string ``S``, and comments and
whitespace are gone, so renaming, reformatting and comments change
nothing; its winnowing keeps a few of the hashes of the string's k-grams
(``k`` filtered characters, the noise threshold), which are local, so
reordering functions changes only the k-grams across their joins. What
is left out of a student's *own* code:

* boilerplate: every k-gram of the released module (stubs, docstrings,
  the code the course gives);
* common passages: a fingerprint shared by more than
  ``max(common_floor, common * class size)`` submissions is what most of
  the class writes for a short answer (``out = np.maximum(0, x)``), not
  a copy.

Two submissions' similarity in a module is the number of own fingerprints
they share over the smaller of their own counts (1.0: one's own code is
all in the other's). Candidates come from an inverted index (fingerprint
-> submissions), so only pairs that share a fingerprint are looked at;
the result is exactly that of comparing all pairs (``all_pairs``), at a
cost that grows with the shared fingerprints, not with the pairs.

Fingerprints are cached per student under the instructor's folder
(``CourseLayout.similarity_cache``) keyed by each file's SHA-256, so a
regrade of a few students fingerprints only their changed files.
"""
import hashlib
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, winnow

from grading.judge.intake import read_tree
from grading.release.course import graded_module_files
from grading.release.layout import PACKAGE, ROOT, CourseLayout

CACHE_VERSION = 1
MAX_MODULE_BYTES = 256 * 1024        # 20 times the largest reference module
_BASE = np.uint64(1_000_003)


@dataclass(frozen=True)
class Settings:
    """What counts as similar.

    threshold: flag a pair at or above this similarity (0..1);
    min_shared: and only if they share at least this many fingerprints;
    k: the noise threshold (filtered characters per k-gram);
    window: winnowing window (a match of k + window - 1 characters is always seen);
    common, common_floor: a fingerprint in more than max(common_floor, common * N)
    submissions is common, not own code.
    """
    threshold: float = 0.5
    min_shared: int = 15
    k: int = 30
    window: int = 8
    common: float = 0.1
    common_floor: int = 10

    def common_limit(self, n):
        return max(self.common_floor, int(self.common * n))


@dataclass(frozen=True)
class Pair:
    student_a: str
    student_b: str
    module: str
    similarity: float
    shared: int


@dataclass
class Result:
    pairs: list                                     # flagged Pairs, most similar first
    students: list
    computed: int = 0                               # fingerprints computed (not from the cache)
    own: dict = field(default_factory=dict)         # {module: {student: set of own hashes}}
    common: dict = field(default_factory=dict)      # {module: set of common hashes}


def kgram_hashes(filtered, k):
    """Hashes of every k-gram of a filtered string, the same in every process.

    copydetect hashes with Python's ``hash``, which is salted per process; a
    cache on disk needs a hash that is not, so a polynomial one in uint64.
    """
    codes = np.frombuffer(filtered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        return np.zeros(0, dtype=np.uint64)
    powers = _BASE ** np.arange(k - 1, -1, -1, dtype=np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    return (windows * powers).sum(axis=1, dtype=np.uint64)


def fingerprint(code, settings):
    """(hashes, positions, filtered code, offsets) of one module's source text."""
    filtered, offsets = filter_code(code, "module.py", "python")
    hashes = kgram_hashes(filtered, settings.k)
    if len(hashes) == 0:
        return hashes, np.zeros(0, dtype=int), filtered, offsets
    selected, idx = winnow(hashes, settings.window, remove_duplicates=False)
    return selected, idx, filtered, offsets


def boilerplate(layout, rel, settings):
    """Every k-gram hash of the released module (not winnowed: any of them may be selected).

    A course without its release folder gets the same text from the stripping rule.
    """
    path = layout.release / rel
    if path.is_file():
        text = path.read_text(errors="replace")
    else:
        from cs231n_lite.selfcheck.registry import REGISTRY
        from grading.release.strip import strip_solutions
        text, _ = strip_solutions((ROOT / rel).read_text(), rel, {n: s.notebook for n, s in REGISTRY.items()})
    filtered, _ = filter_code(text, "module.py", "python")
    return set(kgram_hashes(filtered, settings.k).tolist())


def students_of(layout):
    return sorted(p.parent.name for p in layout.submitted_root.glob(f"*/{layout.assignment}") if p.is_dir())


def module_texts(layout, student, modules):
    """{module: source text} of the student's graded modules (regular files only, judge.intake).

    Only the first MAX_MODULE_BYTES of a module are compared: a module padded
    to megabytes must not make the class's run take hours (the tokenizer
    costs about 3 ms per kB).
    """
    intake = read_tree(layout.submitted(student) / PACKAGE, prefix=PACKAGE)
    return {rel: intake.files[rel][:MAX_MODULE_BYTES].decode("utf-8", errors="replace")
            for rel in modules if rel in intake.files}


def _cached_fingerprints(layout, student, modules, settings):
    """({module: winnowed hashes as a set}, number computed); the cache is rewritten if anything changed."""
    path = layout.similarity_cache / f"{student}.json"
    params = [CACHE_VERSION, settings.k, settings.window]
    try:
        cache = json.loads(path.read_text())
        if cache.get("params") != params:
            cache = {}
    except (OSError, ValueError):
        cache = {}
    stored = cache.get("modules", {})
    fresh, computed = {}, 0
    for rel, text in module_texts(layout, student, modules).items():
        digest = hashlib.sha256(text.encode()).hexdigest()
        entry = stored.get(rel)
        if not entry or entry.get("sha256") != digest:
            entry = {"sha256": digest, "hashes": sorted(set(fingerprint(text, settings)[0].tolist()))}
            computed += 1
        fresh[rel] = entry
    if computed or set(fresh) != set(stored):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"params": params, "student": student, "modules": fresh}))
        os.replace(tmp, path)      # a run stopped half-way never leaves half a cache file
    return {rel: set(e["hashes"]) for rel, e in fresh.items()}, computed


def _fingerprint_students(args):
    root, assignment, students, modules, settings = args
    layout = CourseLayout(root, assignment)
    return [(s, *_cached_fingerprints(layout, s, modules, settings)) for s in students]


def own_fingerprints(layout, settings, modules=None, students=None, workers=1):
    """({module: {student: own hashes before the common filter}}, students, fingerprints computed).

    workers > 1: students are fingerprinted in that many processes (each
    student's cache file is written by one process only).
    """
    modules = modules or graded_module_files()
    students = students if students is not None else students_of(layout)
    shared_code = {rel: boilerplate(layout, rel, settings) for rel in modules}
    jobs = [(layout.root, layout.assignment, students[i::workers], modules, settings) for i in range(workers)]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers) as pool:
            done = [row for rows in pool.map(_fingerprint_students, jobs) for row in rows]
    else:
        done = _fingerprint_students(jobs[0])
    own, computed = defaultdict(dict), 0
    for student, prints, n in sorted(done, key=lambda row: row[0]):
        computed += n
        for rel, hashes in prints.items():
            own[rel][student] = hashes - shared_code[rel]
    return dict(own), students, computed


def _common(by_student, settings):
    counts = Counter(h for hashes in by_student.values() for h in hashes)
    limit = settings.common_limit(len(by_student))
    return {h for h, n in counts.items() if n > limit}


def index_pairs(by_student, common):
    """{(a, b): shared own fingerprints} for every pair sharing one, from an inverted index."""
    postings = defaultdict(list)
    for student, hashes in by_student.items():
        for h in hashes - common:
            postings[h].append(student)
    shared = Counter()
    for holders in postings.values():
        if len(holders) > 1:
            shared.update(combinations(sorted(holders), 2))
    return shared


def all_pairs(by_student, common):
    """The same counts by comparing every pair (the baseline the index is measured against)."""
    kept = {s: h - common for s, h in by_student.items()}
    shared = {}
    for a, b in combinations(sorted(kept), 2):
        n = len(kept[a] & kept[b])
        if n:
            shared[(a, b)] = n
    return shared


def score_pairs(own, settings, pairing=index_pairs):
    """Flag the pairs of each module.

    Parameters
    ----------
    own : dict
        {module: {student: set of fingerprint hashes, boilerplate removed}}.
    settings : Settings
    pairing : callable
        ``index_pairs`` or ``all_pairs`` (the same counts; the benchmark compares them).

    Returns
    -------
    pairs : list of Pair
        Flagged pairs, most similar first.
    common : dict
        {module: hashes too common in the class to count}.
    """
    pairs, commons = [], {}
    for rel, by_student in sorted(own.items()):
        common = commons[rel] = _common(by_student, settings)
        sizes = {s: len(h - common) for s, h in by_student.items()}
        for (a, b), n in pairing(by_student, common).items():
            similarity = n / max(1, min(sizes[a], sizes[b]))
            if n >= settings.min_shared and similarity >= settings.threshold:
                pairs.append(Pair(a, b, rel, round(similarity, 4), n))
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.module, p.student_a, p.student_b))
    return pairs, commons


def find_similar(course_dir, settings=Settings(), modules=None, students=None, workers=1):
    """The flagged pairs of a course.

    Parameters
    ----------
    course_dir : path
        The course directory (CourseLayout finds the release and submissions).
    settings : Settings
        Threshold, k-gram size, window and the common-passage limit.
    modules, students : list of str, optional
        Package paths and student ids to compare (default: the graded modules, every submission).
    workers : int
        Processes that fingerprint the submissions.

    Returns
    -------
    Result
        ``pairs`` (flagged Pairs, most similar first), ``students``,
        ``computed`` (files fingerprinted, not from the cache), ``own`` and ``common``.
    """
    layout = CourseLayout(course_dir)
    own, students, computed = own_fingerprints(layout, settings, modules, students, workers)
    pairs, commons = score_pairs(own, settings)
    return Result(pairs, students, computed, own, commons)


def shared_slices(code, hashes_kept, settings):
    """Where in ``code`` (character slices of the original text) the kept hashes are."""
    hashes, idx, _, offsets = fingerprint(code, settings)
    if len(hashes) == 0:
        return []
    keep = np.isin(hashes, np.fromiter(hashes_kept, dtype=np.uint64, count=len(hashes_kept)))
    slices = get_copied_slices(idx[keep], settings.k)
    if slices.shape[1] == 0:
        return []
    if len(offsets):
        # filtered positions back to the original text, as copydetect's compare_files does
        slices = slices + offsets[:, 1][np.clip(np.searchsorted(offsets[:, 0], slices), 0, len(offsets) - 1)]
    return _without_docstrings(code, [(int(a), int(b)) for a, b in zip(*slices)])


def _without_docstrings(code, slices):
    """The slices minus triple-quoted strings: a docstring is one token of a k-gram, not shared code.

    Code that does not tokenize keeps its slices as they are.
    """
    import io
    import tokenize
    starts = np.cumsum([0] + [len(line) for line in code.splitlines(keepends=True)])
    try:
        strings = [(starts[t.start[0] - 1] + t.start[1], starts[t.end[0] - 1] + t.end[1])
                   for t in tokenize.generate_tokens(io.StringIO(code).readline)
                   if t.type == tokenize.STRING and t.string.lstrip("rRbBuUfF").startswith(('"""', "'''"))]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return slices
    kept = []
    for a, b in slices:
        for s, e in strings:
            if s < b and e > a:             # cut the string out of this slice
                if a < s:
                    kept.append((a, s))
                a = max(a, e)
        if a < b:
            kept.append((a, b))
    return kept
