"""The class report and the similarity pages in Chromium at 1200 px, offline: nothing overflows.

Debian's /usr/bin/chromium driven by playwright (as tests/test_browser.py
does); the pages are opened as file:// URLs and every request that is not
local is refused. Screenshots are saved in the test's tmp folder.
"""
import pytest

from fake_class import fake_class
from grading.classwide import report
from test_browser import browser  # noqa: F401  (the module's Chromium, as a fixture)

pytestmark = pytest.mark.browser

WIDTH = 1200
# what a page must satisfy: no horizontal scroll, every image loaded and within the window
MEASURE = """() => ({
  scroll: document.documentElement.scrollWidth,
  images: [...document.images].map(i => ({src: i.src, complete: i.complete, natural: i.naturalWidth,
                                          right: i.getBoundingClientRect().right})),
  scripts: document.scripts.length,
})"""


def test_the_report_fits_1200_px_and_runs_nothing(browser, tmp_path, monkeypatch):
    layout, _ = fake_class(tmp_path / "course", monkeypatch, n=60)
    index = report.write_report(layout.root)
    pair_pages = sorted((layout.report_dir / "similarity").glob("*.html"))
    assert pair_pages, "the planted copies must give side-by-side pages"
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    refused, dialogs = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
               else (refused.append(r.request.url), r.abort()))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for i, path in enumerate([index, layout.report_dir / "similarity.html", pair_pages[0]]):
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        found = page.evaluate(MEASURE)
        assert found["scroll"] <= WIDTH, (path.name, found["scroll"])
        assert found["scripts"] == 0 and dialogs == [] and refused == []
        for image in found["images"]:
            assert image["complete"] and 0 < image["natural"] <= WIDTH and image["right"] <= WIDTH, image
        page.screenshot(path=str(tmp_path / f"page{i}.png"), full_page=True)
    assert len(page.evaluate(MEASURE)["images"]) == 0          # the pair page shows code, no image
    page.goto(index.as_uri())
    assert len(page.evaluate(MEASURE)["images"]) == 2
    assert page.locator("a", has_text="side by side").count() >= 3
    context.close()
    assert (tmp_path / "page0.png").stat().st_size > 10_000
