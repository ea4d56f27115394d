"""A hostile submission in Formgrader and in its feedback page, in Chromium: nothing runs.

One course, two submissions (a correct one and tests/payloads.py's hostile one:
HTML and JavaScript in a written answer, in cells the student added, in
outputs, in an exception message and in a file name), graded once with the
project's own command. Each payload would call hit('<label>'), which the page
records, or ask a host other than 127.0.0.1 for something, which the page
refuses and records. The answer must still be readable and its math typeset.
"""
import json
import re
import subprocess
import sys
import time

import nbformat
import pytest

import payloads
import test_browser as tb
from grading.gradebook.sanitize import render_markdown
from grading.release.course import ASSIGNMENT, ROOT, tool_env
from payloads import danger
from helpers import copy_course

pytestmark = pytest.mark.browser

browser = tb.browser
STUDENT = "mallory"


@pytest.fixture(scope="module")
def hostile_course(release_template, tmp_path_factory):
    from grading.release.samples import VARIANTS, make_submissions

    course = copy_course(release_template, tmp_path_factory.mktemp("payloads") / "course")
    made = make_submissions(course, {"ada": VARIANTS["reference"], STUDENT: payloads.HOSTILE})
    payloads.write_payloads(made[STUDENT])
    payloads.write_hostile_files(made[STUDENT])
    for command in (["autograde"], ["feedback", "--student", STUDENT, "--include-ungraded"]):
        done = subprocess.run([sys.executable, "-m", "grading", *command, "--course", str(course)],
                              cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return course


@pytest.fixture
def page(browser):
    """A page that records every hit() a payload makes and every request it sends."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.hits = []
    context.expose_function("hit", lambda label: context.hits.append(label))
    page = context.new_page()
    page.hits, page.blocked, page.local = context.hits, [], []

    def route(r):
        if tb._local(r.request.url):
            page.local.append((r.request.method, r.request.url))
            r.continue_()
        else:
            page.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    yield page
    context.close()


def answer_cell(page, root):
    """The hostile written answer's cell, located by its score box (present in both pages)."""
    return page.locator(f"{root} .nbgrader_cell", has=page.locator(f"#{payloads.ANSWER_ID}, "
                                                                    f"a[name='{payloads.ANSWER_ID}']"))


def click_links(page, cell):
    """Click every link of the answer that stays on the page, as an instructor might.

    A javascript: link runs on click (MathJax's \\href makes links too); links to
    other sites are left alone (following one is the reader's choice).
    """
    for link in cell.locator("[href]").all():
        if not re.match(r"\s*(https?:|mailto:)", link.get_attribute("href") or ""):
            link.evaluate("el => el.click ? el.click() : el.dispatchEvent(new MouseEvent('click'))")
    page.wait_for_timeout(500)


DANGEROUS = ("script:not([type^='math/tex'])", "iframe", "object", "embed", "form", "input:not(.tabbable)",
             "style", "link", "meta", "base", "svg", "math")


def markup_inside(page, root):
    """What the rendered submission holds that a student should not be able to put there."""
    return page.evaluate("""([root, dangerous]) => {
        const area = document.querySelector(root);
        const found = [];
        for (const sel of dangerous) {
            for (const el of area.querySelectorAll(sel)) {
                if (!el.closest('.MathJax, .MathJax_Display, .MathJax_MathML')) found.push(sel);
            }
        }
        for (const el of area.querySelectorAll('*')) {
            for (const attr of el.attributes) {
                if (/^on/i.test(attr.name)) found.push(el.tagName + ' ' + attr.name);
                if (/^\\s*(javascript|data|vbscript):/i.test(attr.value) && attr.name !== 'src')
                    found.push(el.tagName + ' ' + attr.name + '=' + attr.value.slice(0, 30));
            }
            // MathJax lays formulas out with absolute positions inside its own boxes
            const position = getComputedStyle(el).position;
            if (position === 'fixed' || position === 'absolute' && !el.closest('.MathJax, .MathJax_Display'))
                found.push(el.tagName + ' position ' + position + (el.id ? ' #' + el.id : ''));
        }
        for (const box of document.querySelectorAll('input.score')) {     // Formgrader finds them by id
            if (document.querySelectorAll('[id="' + box.id + '"]').length !== 1) found.push('id ' + box.id);
        }
        return found;
    }""", [root, list(DANGEROUS)])


def typeset(page, cell):
    """The TeX of the formulas MathJax found in the cell (it keeps each in a math/tex script)."""
    return cell.locator("script[type^='math/tex']").evaluate_all("els => els.map(e => e.textContent)")


def report(page, course, root, cell):
    """Print what the page shows before asserting it (one run lists every payload that worked)."""
    found = {"hits": sorted(set(page.hits)), "blocked": page.blocked,
             "writes": [(m, u) for m, u in page.local if m not in ("GET", "HEAD") and "/api/contents" in u],
             "file written": (course / payloads.PUT_FILE).exists()}
    try:
        found["markup"] = markup_inside(page, root)
        found["typeset"] = typeset(page, cell)
    except Exception as exc:        # the page went away (a payload navigated it)
        found["page"] = repr(exc)[:300]
    print(json.dumps(found, indent=1))


def assert_answer_readable(cell):
    text = cell.inner_text()
    assert "Before the payloads: the slope is" in text and payloads.AFTER in text, text[:2000]
    assert "$" not in text and "\\(" not in text, text[:2000]          # every formula was typeset
    for words in ("a markdown link", "an html link", "a data link", "Sign in again"):
        assert words in text


def test_formgrader_shows_the_hostile_submission_safely(page, hostile_course, tmp_path):
    start = time.time()
    notebook_id = tb.gradebook_grade(hostile_course, payloads.ANSWER_ID, STUDENT)[0]
    with tb.jupyter_lab(hostile_course, tmp_path / "home") as (base, token, log):
        page.context.set_extra_http_headers({"Authorization": f"token {token}"})
        page.goto(f"{base}/formgrader/submissions/{notebook_id}/")
        page.locator(f"input.score#{payloads.ANSWER_ID}").wait_for(timeout=60_000, state="attached")
        page.wait_for_function("window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0",
                               timeout=30_000)
        page.wait_for_load_state("networkidle")
        cell = answer_cell(page, "#notebook-container")
        click_links(page, cell)
        page.wait_for_timeout(4_500)            # longer than the payload's <meta http-equiv=refresh>
        page.screenshot(path=str(tmp_path / "formgrader-payloads.png"), full_page=False)
        report(page, hostile_course, "#notebook-container", cell)
        assert page.hits == [], page.hits
        assert page.blocked == [], page.blocked
        writes = [(m, u) for m, u in page.local if m not in ("GET", "HEAD") and "/api/contents" in u]
        assert writes == [], writes
        assert not (hostile_course / payloads.PUT_FILE).exists()
        assert markup_inside(page, "#notebook-container") == []
        assert typeset(page, cell) == payloads.TEX + [t for _, t in payloads.TEX_PAYLOADS]
        assert_answer_readable(cell)
        box = page.locator(f"input.score#{payloads.ANSWER_ID}")
        box.scroll_into_view_if_needed()
        assert box.evaluate("el => { const r = el.getBoundingClientRect();"
                            " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el; }")
        messages = page.locator("#notebook-container .output_error").all_inner_texts()
        assert any("hit('exception-message')" in m for m in messages)         # shown, as text
        assert any(f"cs231n_lite.{payloads.HOSTILE_MODULE}" in m for m in messages)
        print(f"formgrader: {len(page.local)} local requests, {len(page.blocked)} blocked, "
              f"{page.locator('.MathJax, .MathJax_Display').count()} formulas typeset on the page")
    assert not re.search(r"^\[E ", log.read_text(), re.M), log.read_text()[-3000:]
    print(f"formgrader payload test: {time.time() - start:.0f} s")


def test_feedback_page_of_the_hostile_submission_is_safe(page, hostile_course, tmp_path):
    html_page = hostile_course / "feedback" / STUDENT / ASSIGNMENT / f"{payloads.NOTEBOOK}.html"
    page.goto(html_page.as_uri())
    page.wait_for_function("window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0 && "
                           "document.querySelectorAll('.MathJax_MathML').length > 0", timeout=30_000)
    cell = answer_cell(page, "#notebook-container")
    click_links(page, cell)
    page.wait_for_timeout(4_500)
    page.screenshot(path=str(tmp_path / "feedback-payloads.png"))
    report(page, hostile_course, "#notebook-container", cell)
    assert page.hits == [], page.hits
    assert page.blocked == [], page.blocked
    assert markup_inside(page, "#notebook-container") == []
    assert typeset(page, cell) == payloads.TEX + [t for _, t in payloads.TEX_PAYLOADS]
    assert cell.locator(".MathJax_MathML math").count() == len(payloads.TEX) + len(payloads.TEX_PAYLOADS)
    assert_answer_readable(cell)
    messages = page.locator(".output_error").all_inner_texts()
    assert any(f"cs231n_lite.{payloads.HOSTILE_MODULE}" in m for m in messages)
    assert page.locator("#toc a", has_text="Test of relu_forward").count() == 1     # tests are named
    print(f"feedback: {page.locator('.MathJax_MathML math').count()} formulas typeset, "
          f"{len(page.blocked)} requests blocked")


def _sanitized_parts(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.get("attachments"), c.get("outputs")) for c in nb.cells]


@pytest.mark.nbgrader
def test_plain_nbgrader_autograde_sanitizes_alike(hostile_course):
    """The course config, not the project's command, applies the sanitizer."""
    graded = hostile_course / "autograded" / STUDENT / ASSIGNMENT / f"{payloads.NOTEBOOK}.ipynb"
    before = _sanitized_parts(graded)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", STUDENT,
                           "--force"], cwd=hostile_course, capture_output=True, text=True,
                          env=tool_env())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert _sanitized_parts(graded) == before
    answer = next(src for kind, src, _, _ in before if "Before the payloads" in src)
    shown = render_markdown(answer)
    assert danger(shown) == [] and "$a&lt;b$" in shown
