"""Similar code: disguised copies are flagged, independent correct code and stubs are not, pages are safe.

Courses here are a release folder (the stripped modules) and submitted
packages written from the reference sources (tests/copies.py); no nbgrader.
"""
import csv
from pathlib import Path

import pytest

from bank import CORRECT, edited_source
from copies import NOTEBOOK_OF, disguise, reference, stub_module, write_course
from grading.classwide import similarity
from grading.classwide.similarity import Settings, all_pairs, find_similar, index_pairs, score_pairs
from grading.classwide.similarity_page import pair_name, write_similarity
from grading.release.course import graded_module_files
from grading.release.layout import CourseLayout
from grading.release.strip import solution_blocks, strip_solutions

MODULES = graded_module_files()
CHECKED = ["cs231n_lite/layers.py", "cs231n_lite/normalization.py", "cs231n_lite/optim.py",
           "cs231n_lite/init.py", "cs231n_lite/preprocess.py"]


def make_course(tmp_path, submissions):
    return write_course(tmp_path / "course", submissions)


def flagged(result, module=None):
    return {(p.student_a, p.student_b) for p in result.pairs if module in (None, p.module)}


@pytest.mark.parametrize("rel", CHECKED)
def test_a_disguised_copy_is_flagged_and_a_stub_is_not(tmp_path, rel):
    copy = disguise(reference(rel), seed=len(rel))
    assert copy != reference(rel)
    layout = make_course(tmp_path, {"ada": {rel: reference(rel)}, "bob": {rel: copy}, "cy": {}})
    result = find_similar(layout.root)
    pair = [p for p in result.pairs if p.module == rel]
    assert [(p.student_a, p.student_b) for p in pair] == [("ada", "bob")]
    assert pair[0].similarity >= Settings().threshold + 0.1       # with room, not by a hair
    assert result.own[rel]["cy"] == set()


def test_copying_two_thirds_of_a_module_is_flagged(tmp_path):
    rel = "cs231n_lite/layers.py"
    functions = [f for *_, f in solution_blocks(reference(rel), rel)]
    copied = functions[: 2 * len(functions) // 3]
    partial = disguise(stub_module(rel, keep=copied), seed=3)
    layout = make_course(tmp_path, {"ada": {rel: reference(rel)}, "bob": {rel: partial}})
    assert flagged(find_similar(layout.root), rel) == {("ada", "bob")}


def rewritten(rel):
    """(functions, module text): every function of ``rel`` that a bank variant writes differently.

    Kept: variants sharing at most a third of the reference block's fingerprints,
    i.e. another way of writing the function, not a one-token edit of it.
    """
    settings, text, used = Settings(), reference(rel), []
    blocks = {f: (b, e) for b, e, _, f in solution_blocks(text, rel)}

    def block(source, function):
        b, e = {f: (b, e) for b, e, _, f in solution_blocks(source, rel)}[function]
        return set(similarity.fingerprint("\n".join(source.splitlines()[b:e - 1]), settings)[0].tolist())
    for entry in CORRECT:
        if entry.file != rel or entry.function in used or entry.function not in blocks:
            continue
        candidate = text
        for old, new in entry.edits:
            candidate = candidate.replace(old, new) if candidate.count(old) == 1 else None
            if candidate is None:
                break
        if candidate is None:
            continue
        mine, theirs = block(text, entry.function), block(candidate, entry.function)
        if len(mine & theirs) <= min(len(mine), len(theirs)) / 3:
            text, used = candidate, used + [entry.function]
    return used, strip_solutions(text, rel, NOTEBOOK_OF, keep=used)[0]


@pytest.mark.parametrize("rel", CHECKED)
def test_independent_correct_implementations_are_not_flagged(tmp_path, rel):
    used, theirs = rewritten(rel)
    assert len(used) >= 3, used         # enough functions written two ways to mean something
    mine = stub_module(rel, keep=used)
    layout = make_course(tmp_path, {"ada": {rel: mine}, "bob": {rel: theirs}, "cy": {rel: disguise(mine, 1)}})
    result = find_similar(layout.root)
    assert flagged(result, rel) == {("ada", "cy")}        # the copy is, the other way of writing it is not
    assert all(p.similarity < Settings().threshold for p in result.pairs if "bob" in (p.student_a, p.student_b))


def test_stub_only_submissions_have_no_own_code(tmp_path):
    layout = make_course(tmp_path, {"ada": {}, "bob": {}, "cy": {}})
    result = find_similar(layout.root)
    assert result.pairs == []
    assert all(hashes == set() for by_student in result.own.values() for hashes in by_student.values())
    assert len(result.own) == len(MODULES)


def test_passages_most_of_the_class_writes_are_not_own_code(tmp_path):
    rel = "cs231n_lite/layers.py"
    layout = make_course(tmp_path, {s: {rel: disguise(reference(rel), i)} for i, s in enumerate("abcd")})
    assert len(flagged(find_similar(layout.root), rel)) == 6
    assert flagged(find_similar(layout.root, Settings(common=0.0, common_floor=2)), rel) == set()


def test_the_index_gives_the_pairs_of_comparing_all_pairs(tmp_path):
    subs = {"ada": {r: reference(r) for r in CHECKED}, "bob": {r: disguise(reference(r), 2) for r in CHECKED[:2]},
            "cy": {r: rewritten(r)[1] for r in CHECKED}, "dan": {CHECKED[0]: disguise(rewritten(CHECKED[0])[1], 4)}}
    result = find_similar(make_course(tmp_path, subs).root)
    by_index, _ = score_pairs(result.own, Settings(), pairing=index_pairs)
    by_all, _ = score_pairs(result.own, Settings(), pairing=all_pairs)
    assert by_index == by_all and len(by_index) >= 3


def test_csv_and_pages(tmp_path):
    rel = "cs231n_lite/optim.py"
    layout = make_course(tmp_path, {"ada": {rel: reference(rel)}, "bob": {rel: disguise(reference(rel), 5)}})
    result = write_similarity(layout.root, Settings(threshold=0.3))
    with open(layout.report_dir / "similarity.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_a"], r["student_b"], r["module"]) for r in rows] == [("ada", "bob", rel)]
    assert 0.3 <= float(rows[0]["similarity"]) <= 1.0
    page = (layout.report_dir / "similarity.html").read_text()
    assert "review aid" in page and "no score comes from" in page and "30%" in page
    side = (layout.report_dir / "similarity" / pair_name(result.pairs[0])).read_text()
    assert side.count("<mark>") >= 3


def test_hostile_code_and_ids_are_shown_as_text(tmp_path):
    rel = "cs231n_lite/layers.py"
    evil = reference(rel) + '\n# </pre><script>alert("x")</script>\nNOTE = "</pre><img src=x onerror=alert(1)>"\n'
    layout = make_course(tmp_path, {"<b>ada<b>": {rel: evil}, "bob": {rel: disguise(evil, 6)}})
    result = write_similarity(layout.root)
    pages = [(layout.report_dir / "similarity.html").read_text(),
             (layout.report_dir / "similarity" / pair_name(result.pairs[0])).read_text()]
    for page in pages:
        assert "<script>" not in page and "<img" not in page and "<b>ada" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in pages[1] and "&lt;b&gt;ada&lt;b&gt;" in pages[0]


def test_a_regrade_fingerprints_only_what_changed(tmp_path, monkeypatch):
    rel = "cs231n_lite/init.py"
    layout = make_course(tmp_path, {"ada": {rel: reference(rel)}, "bob": {rel: disguise(reference(rel), 7)},
                                    "cy": {}})
    calls = []
    real = similarity.fingerprint
    monkeypatch.setattr(similarity, "fingerprint", lambda code, s: calls.append(1) or real(code, s))
    first = find_similar(layout.root)
    assert first.computed == len(calls) == 3 * len(MODULES)
    assert sorted(p.name for p in layout.similarity_cache.iterdir()) == ["ada.json", "bob.json", "cy.json"]
    again = find_similar(layout.root)
    assert again.computed == 0 and len(calls) == 3 * len(MODULES) and again.pairs == first.pairs
    (layout.submitted("cy") / rel).write_text(disguise(reference(rel), 8))
    third = find_similar(layout.root)
    assert third.computed == 1 and len(calls) == 3 * len(MODULES) + 1
    assert {("ada", "cy"), ("bob", "cy"), ("ada", "bob")} <= flagged(third, rel)


def test_a_link_in_a_submission_is_not_read(tmp_path):
    rel = "cs231n_lite/layers.py"
    layout = make_course(tmp_path, {"ada": {rel: reference(rel)}, "bob": {}})
    target = layout.submitted("bob") / rel
    target.unlink()
    target.symlink_to(layout.submitted("ada") / rel)
    result = find_similar(layout.root)
    assert result.pairs == [] and rel not in {m for m, by in result.own.items() if "bob" in by}


def test_the_detector_is_the_instructors_dependency_not_the_students():
    from grading.release.course import student_requirements
    assert "copydetect" not in student_requirements()
    lock = (Path(__file__).resolve().parents[2] / "requirements.lock").read_text().splitlines()
    assert "copydetect==0.5.0" in lock and "numpy==" in student_requirements()


def test_fingerprinting_in_two_processes_gives_the_same_pairs(tmp_path):
    subs = {"ada": {r: reference(r) for r in CHECKED[:2]}, "bob": {r: disguise(reference(r), 9) for r in CHECKED[:2]},
            "cy": {CHECKED[0]: disguise(reference(CHECKED[0]), 10)}}
    layout = make_course(tmp_path, subs)
    two = find_similar(layout.root, workers=2)
    assert two.computed == 3 * len(MODULES) and len(two.pairs) == 4
    one = find_similar(layout.root)
    assert one.computed == 0 and one.pairs == two.pairs and one.own == two.own


def test_without_its_release_folder_a_course_still_leaves_the_stubs_out(tmp_path):
    import shutil
    layout = make_course(tmp_path, {"ada": {}, "bob": {}})
    shutil.rmtree(layout.release)
    result = find_similar(layout.root)
    assert result.pairs == [] and all(h == set() for by in result.own.values() for h in by.values())


def test_marked_passages_leave_docstrings_out():
    code = 'def f(x):\n    """Doc of f."""\n    return x + 1\n'
    pieces = similarity._without_docstrings(code, [(0, len(code))])
    assert [code[a:b] for a, b in pieces] == ["def f(x):\n    ", "\n    return x + 1\n"]
    broken = "def f(:\n    '''never closed\n"
    assert similarity._without_docstrings(broken, [(0, 5)]) == [(0, 5)]
