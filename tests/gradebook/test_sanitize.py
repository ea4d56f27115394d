"""The sanitizer (grading/gradebook/sanitize.py), one attack at a time, without a browser.

Each test first checks that the attack is real, i.e. that nbconvert, as
Formgrader and the feedback pages run it, puts the dangerous markup into the
page; then that the sanitized cell renders without it, keeps its text and
math, and is left alone by a second pass. tests/test_browser_payloads.py
shows the same payloads running, and then not, in Chromium.
"""
import base64
import json
import re
from pathlib import Path

import nbformat
import pytest

import payloads
from payloads import danger
from grading.gradebook import sanitize
from grading.gradebook.sanitize import render_markdown

ROOT = Path(__file__).resolve().parents[2]


def safe_source(source, **kw):
    new, changed = sanitize.markdown(source, **kw)
    assert sanitize.markdown(new, reserved=kw.get("reserved", frozenset())) == (new, False)  # a fixed point
    return new, changed


@pytest.mark.parametrize("label,markup", payloads.MARKDOWN_PAYLOADS, ids=[p[0] for p in payloads.MARKDOWN_PAYLOADS])
def test_each_markdown_payload_is_rendered_harmless(label, markup):
    source = f"Intro text $x<y$.\n\n{markup}\n\nClosing text."
    assert danger(render_markdown(source)), f"{label} is not an attack: nbconvert renders it harmless"
    new, changed = safe_source(source)
    shown = render_markdown(new)
    assert changed and danger(shown) == [], shown
    assert "Intro text $x&lt;y$." in shown and "Closing text." in shown        # text and math stay
    assert "removed before grading" in shown                                  # the instructor is told


def test_the_hostile_answer_keeps_its_words_links_and_math():
    new, changed = safe_source(payloads.answer_markdown())
    shown = render_markdown(new)
    assert changed and danger(shown) == []
    for text in ("a markdown link", "an html link", "a data link", "Sign in again", payloads.AFTER):
        assert text in shown
    # math is still text between its delimiters, for MathJax: $a<b$ did not become a tag
    assert "$a&lt;b$" in shown and "$$\\sum_{i=1}^{n} x_i$$" in shown and "$e^{i\\pi} + 1 = 0$" in shown


def source_markdown_cells():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                yield path.stem, cell.source


BENIGN = [
    "Plain prose with *emphasis*, **bold**, `code`, ~~struck~~ and a [link](https://cs231n.github.io).",
    "# A heading\n\n## Another one\n\n1. first\n2. second\n\n- a\n- b\n\n> a quote\n\n---",
    "| lr | loss |\n|:--|--:|\n| 1e-3 | 2.30 |\n| 1e-1 | nan |",
    "```python\nfor w in ws:\n    w -= lr * dw\n```\n\nand\n\n    indented code",
    "Inline HTML: H<sub>2</sub>O, x<sup>2</sup>, <b>bold</b>, <i>it</i>, <kbd>Ctrl</kbd>, line<br>break.",
    "Math: $a<b$, $|x| > 10$, $$\\frac{\\partial L}{\\partial w} = x^\\top \\delta$$ and \\\\(e^x\\\\); "
    "\\begin{equation}y = Wx\\end{equation}",
    "Term\n: its definition",
    "A bare URL https://example.org/page and mail to <mailto:ta@example.org>.",
    "Numbers one = 1 and on=off are prose, and so is the word javascript: here.",
]


@pytest.mark.parametrize("source", BENIGN)
def test_safe_markdown_stays_byte_identical(source):
    assert danger(render_markdown(source)) == []
    assert sanitize.markdown(source) == (source, False)


def test_every_markdown_cell_of_the_course_stays_byte_identical():
    cells = list(source_markdown_cells())
    assert len(cells) > 100
    changed = [(nb, src[:60]) for nb, src in cells if sanitize.markdown(src)[1]]
    assert changed == []


def test_an_embedded_png_stays_and_an_svg_attachment_goes():
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    kept = {"sketch.png": {"image/png": png}}
    assert sanitize.markdown("![my sketch](attachment:sketch.png)", kept) == \
        ("![my sketch](attachment:sketch.png)", False)
    svg = {"a.svg": {"image/svg+xml": payloads.ATTACHMENT}}
    rendered = render_markdown("![a](attachment:a.svg)", svg)
    assert "data:image/svg+xml" in rendered
    new, changed = safe_source("![a](attachment:a.svg)", attachments=svg)
    assert changed and "svg" not in render_markdown(new)


def test_a_missing_attachment_no_longer_breaks_the_page():
    with pytest.raises(Exception, match="missing attachment"):
        render_markdown("Look: ![x](attachment:nowhere.png)")     # Formgrader would fail on it
    new, changed = safe_source("Look: ![x](attachment:nowhere.png)")
    assert changed and "Look: ![x](attachment:nowhere.png)" in render_markdown(new)     # shown as text


def test_a_heading_cannot_take_the_id_of_a_score_box():
    """Formgrader finds each score box by its grade id: an earlier heading with that id would win."""
    reserved = sanitize.reserved_ids(["q_dead_relu"])
    assert 'id="q_dead_relu"' in render_markdown("# q_dead_relu")
    new, changed = safe_source("# q_dead_relu", reserved=reserved)
    assert changed and 'id="q_dead_relu"' not in render_markdown(new) and "q_dead_relu" in new
    assert sanitize.markdown("# q_dead_relu") == ("# q_dead_relu", False)     # no such box: kept


def test_a_raw_cell_keeps_safe_html_only():
    assert sanitize.raw_html("<b>fine</b>") == ("<b>fine</b>", False)
    new, changed = sanitize.raw_html("<img src=x onerror=\"hit('raw')\"><script>hit('raw')</script>ok")
    assert changed and danger(new) == [] and "ok" in new


def test_outputs_keep_text_and_png_only():
    kept = [sanitize.output(o) for o in payloads.hostile_outputs()]
    shown = [o for o in kept if o is not None]
    mimes = {m for o in shown for m in o.get("data", {})}
    assert mimes == {"text/plain"}                  # html, js, svg, markdown and a fake png are gone
    assert [o["output_type"] for o in shown] == ["display_data", "stream", "error", "execute_result"]
    assert all(o.get("metadata", {}) == {} for o in shown)
    png = base64.b64encode(b"\x89PNG").decode()
    image = {"output_type": "display_data", "metadata": {"image/png": {"width": "1 onload=x"}},
             "data": {"image/png": png + "\n"}}
    assert sanitize.output(image) == {"output_type": "display_data", "data": {"image/png": png + "\n"},
                                      "metadata": {}}


def test_verdict_messages_are_plain_text():
    quoted = "relu_forward raised ValueError: \x1b[8mhidden\x1b[0m <img src=x onerror=hit(1)>\r\x07"
    assert sanitize.message(quoted) == "relu_forward raised ValueError: hidden <img src=x onerror=hit(1)>"
    verdict = {"output_type": "error", "ename": "CheckFailed", "evalue": quoted, "traceback": [quoted]}
    assert "\x1b" not in json.dumps(sanitize.output(verdict, verdict=True))
    own = {"output_type": "stream", "name": "stdout", "text": "\x1b[31mred\x1b[0m\n"}
    assert sanitize.output(own) == own                       # a student's own colours are kept
    assert sanitize.html_text("<svg onload=hit(1)>\x1b[2J") == "&lt;svg onload=hit(1)&gt;"


def test_a_whole_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Fine $a<b$."),
                nbformat.v4.new_markdown_cell(payloads.API_PUT),
                nbformat.v4.new_raw_cell("<script>x()</script>"),
                nbformat.v4.new_code_cell("1", outputs=[nbformat.from_dict(o) for o in payloads.hostile_outputs()])]
    nb.cells[3].execution_count = "<img src=x onerror=hit(1)>"
    assert sanitize.notebook(nb) == 3
    assert nb.cells[0].source == "Fine $a<b$."
    assert "onerror" not in nb.cells[1].source and "<script" not in nb.cells[2].source
    assert nb.cells[3].execution_count is None and len(nb.cells[3].outputs) == 4
    assert sanitize.notebook(nb) == 0                        # nothing left to do
    nbformat.validate(nb)


def test_the_class_report_shows_ids_and_messages_as_text(tmp_path, monkeypatch):
    from grading.classwide import report

    student = "<svg onload=\"hit('student-id')\">\x1b]0;pwned\x07"
    message = f"relu_forward raised ValueError: {payloads.EXCEPTION_TEXT} \x1b[8m(hidden)\x1b[0m"
    summary = {"totals": {"overall": [0.0]}, "pass_rate": {"test_relu_forward": 0.0}, "students": 1,
               "counts": {"test_relu_forward": [0, 1, 0, 1]},
               "mistakes": [(payloads.EXCEPTION_TEXT, 1, message, [student])],
               "problems": [(student, "test_relu_forward", "import failed", message)]}
    monkeypatch.setattr(report, "class_summary", lambda course: summary)
    monkeypatch.setattr(report, "_figures", lambda summary, folder: [])
    page = report.write_report(tmp_path).read_text()
    body = page.split("<body>", 1)[1]
    body = re.sub(r'<img src="(scores|pass_rate)\.png" alt="[^"]*">', "", body)   # the report's figures
    # the report's own links and notice; an id in a link is percent-encoded, nothing else gets in
    body = re.sub(r'<a href="(\.\./feedback/[%\w.\-]+/[%\w.\-]+/|similarity\.html)">|<p class="notice">', "", body)
    assert danger(body) == [] and "\x1b" not in page and "\x07" not in page
    assert "&lt;svg onload=&quot;hit(&#x27;student-id&#x27;)&quot;&gt;" in body
