"""The similarity pages: the ranked pairs, one side-by-side view per pair, and similarity.csv.

    <course>/report/similarity.html         flagged pairs, most similar first
    <course>/report/similarity/<pair>.html  the two modules side by side, shared passages marked
    <course>/report/similarity.csv          student_a,student_b,module,similarity

Student code and ids are hostile text: every piece of them goes into a page
through grading/gradebook/sanitize.py's ``html_text``, between our own
``<mark>`` tags, never as markup. A pair's page is named by a digest of
its ids and module, so no student text becomes a file name.
"""
import csv
import hashlib

from grading.classwide.similarity import Settings, find_similar, module_texts, shared_slices
from grading.gradebook.sanitize import html_text
from grading.release.layout import CourseLayout

NOTICE = ("A review aid, not a verdict: similar code is a reason to look, and no score comes from "
          "this page. Code the course gives (the released stubs) and passages most of the class "
          "shares are left out before comparing.")
STYLE = """body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}
.notice{background:#fff4d6;border:1px solid #d9b44a;padding:.5em 1em}
.sides{display:flex;gap:1em}.side{flex:1;min-width:0}
pre{white-space:pre-wrap;word-break:break-word;font-size:12px;background:#f7f7f7;padding:.5em}
mark{background:#ffd27a}"""


def pair_name(pair):
    """The file name of a pair's page (a digest: no student text in a path)."""
    key = "\0".join((pair.student_a, pair.student_b, pair.module)).encode()
    return hashlib.sha256(key).hexdigest()[:16] + ".html"


def highlighted(code, slices):
    """``code`` as escaped HTML with each (start, end) slice in <mark>."""
    parts, cursor = [], 0
    for start, end in sorted(slices):
        start = max(start, cursor)
        if end <= start:
            continue
        parts += [html_text(code[cursor:start]), "<mark>", html_text(code[start:end]), "</mark>"]
        cursor = end
    parts.append(html_text(code[cursor:]))
    return "".join(parts)


def _page(title, body):
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def pair_page(layout, result, pair, settings):
    """The side-by-side HTML of one flagged pair."""
    kept = (result.own[pair.module][pair.student_a] & result.own[pair.module][pair.student_b]) \
        - result.common[pair.module]
    sides = []
    for student in (pair.student_a, pair.student_b):
        code = module_texts(layout, student, [pair.module]).get(pair.module, "")
        sides.append(f'<div class="side"><h2>{html_text(student)}</h2>'
                     f"<pre>{highlighted(code, shared_slices(code, kept, settings))}</pre></div>")
    head = (f"<h1>{html_text(pair.module)}: {html_text(pair.student_a)} and {html_text(pair.student_b)}</h1>"
            f'<p class="notice">{NOTICE}</p><p>similarity {pair.similarity:.0%} ({pair.shared} shared '
            f"fingerprints); marked: the passages both submissions have. "
            f'<a href="../similarity.html">all pairs</a></p>')
    return _page("Similar code", head + f'<div class="sides">{"".join(sides)}</div>')


def table_rows(pairs, prefix=""):
    """<tr> rows of flagged pairs, each linking to its side-by-side page."""
    return "".join(
        f"<tr><td>{p.similarity:.0%}</td><td>{html_text(p.student_a)}</td><td>{html_text(p.student_b)}</td>"
        f"<td>{html_text(p.module)}</td><td>{p.shared}</td>"
        f'<td><a href="{prefix}similarity/{pair_name(p)}">side by side</a></td></tr>' for p in pairs)


TABLE_HEAD = ("<tr><th>similarity</th><th>student</th><th>student</th><th>module</th>"
              "<th>shared fingerprints</th><th></th></tr>")


def write_similarity(course_dir, settings=Settings(), workers=1):
    """Write similarity.html, a side-by-side page per flagged pair and similarity.csv.

    Parameters
    ----------
    course_dir : path
        The course directory; the pages go to its ``CourseLayout.report_dir``.
    settings : Settings
        What counts as similar (the threshold is printed on the page).
    workers : int
        Processes that fingerprint the submissions.

    Returns
    -------
    Result
        As ``find_similar``: its ``pairs`` are the flagged ones.
    """
    layout = CourseLayout(course_dir)
    result = find_similar(course_dir, settings, workers=workers)
    folder = layout.report_dir
    (folder / "similarity").mkdir(parents=True, exist_ok=True)
    for old in (folder / "similarity").glob("*.html"):
        old.unlink()            # pages of pairs no longer flagged must not linger
    for pair in result.pairs:
        (folder / "similarity" / pair_name(pair)).write_text(pair_page(layout, result, pair, settings))
    with open(folder / "similarity.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_a", "student_b", "module", "similarity"])
        for p in result.pairs:
            writer.writerow([p.student_a, p.student_b, p.module, f"{p.similarity:.4f}"])
    rows = table_rows(result.pairs) or "<tr><td colspan=6>no pair above the threshold</td></tr>"
    body = (f"<h1>Similar code: {len(result.pairs)} flagged pair(s) among {len(result.students)} submissions</h1>"
            f'<p class="notice">{NOTICE}</p>'
            f"<p>Flagged: similarity at least {settings.threshold:.0%} and at least {settings.min_shared} "
            f"shared fingerprints (<code>--threshold</code> changes it). Similarity: the shared share of "
            f"the smaller of the two students' own code in that module. "
            f'Also as <a href="similarity.csv">similarity.csv</a>.</p><table>{TABLE_HEAD}{rows}</table>')
    (folder / "similarity.html").write_text(_page("Similar code", body))
    return result
