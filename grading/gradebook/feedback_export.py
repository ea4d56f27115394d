"""nbgrader's own generate_feedback, finished for students (named in nbgrader_config.py).

    c.GenerateFeedback.exporter_class = "grading.gradebook.feedback_export.FeedbackExporter"
    c.GenerateFeedback.post_convert_hook = "grading.gradebook.feedback_export.keep_pages_only"

The course's config sets both, so `make feedback`, plain `nbgrader
generate_feedback part1` and Formgrader's *Generate Feedback* button write
the same pages: the summary names each test's function (nbgrader writes
"Test cell" for every one), written answers not graded yet say so instead of
"Score: 0.0", long lines (a check's message) wrap instead of scrolling
sideways, and each feedback folder holds the pages only (nbgrader copies the
whole submission there, package and data included), plus the two files
nbgrader's exchange needs to release them (HAND_IN_RECORDS:
without them release_feedback stops with FileNotFoundError).

Math works offline: nbconvert's pages load MathJax from a CDN; each page here
carries its own copy instead (MathJax 2.7 from the jupyter-server-mathjax
package, inlined and compressed, 170 kB per page), set to write MathML that
the browser draws itself, so no font file is needed. A student opens the
pages from disk, with or without a network.
"""
import functools
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter

from grading.release.layout import HAND_IN_RECORDS

WRAP_CSS = ("<style>/* cs231n-lite: messages wrap */ .output_area pre, .output_subarea pre "
            "{ white-space: pre-wrap; word-break: break-word; }</style>")

CDN_MATHJAX = re.compile(r'<script[^>]*src="https://cdn[^"]*/mathjax/[^"]*"[^>]*>\s*</script>', re.I)

# Read before MathJax.js runs (a plain object as window.MathJax is its configuration).
# Startup waits until every inlined component is registered (MATHJAX_UNPACK says so).
# Output is MathML, drawn by the browser itself: no font files to load.
MATHJAX_SETTINGS = """window.MathJax = {
  delayStartupUntil: "configured",
  jax: ["input/TeX", "output/NativeMML"],
  extensions: ["tex2jax.js"],
  TeX: {extensions: ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"]},
  tex2jax: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
            processEscapes: true, processEnvironments: true},
  MMLorHTML: {prefer: "MML"},
  menuSettings: {renderer: "NativeMML"},
  "fast-preview": {disabled: true},
  messageStyle: "none",
  showMathMenu: false,
  AuthorInit: function () {
    // the bundled config picks HTML-CSS (web fonts) in Chrome: keep MathML output only
    MathJax.Hub.Register.StartupHook("End Config", function () {
      MathJax.Hub.outputJax["jax/mml"] = [MathJax.OutputJax.NativeMML];
    }, 20);
  }
};"""


# Unpacks the compressed library (%s: base64 of gzip), runs it, lets MathJax start.
MATHJAX_UNPACK = """(function () {
  if (!window.DecompressionStream) { return; }   /* very old browser: the TeX stays as written */
  var bytes = Uint8Array.from(atob("%s"), function (ch) { return ch.charCodeAt(0); });
  var text = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(text).text().then(function (code) {
    var script = document.createElement("script");
    script.text = code;
    document.head.appendChild(script);
    MathJax.Hub.Configured();
  });
})();"""


@functools.lru_cache(maxsize=1)
def mathjax_inline():
    """<script> elements that typeset a page's TeX with no network (MathJax 2.7, inlined).

    The library (MathJax.js, its combined TeX config, the operator tables) is
    stored gzip-compressed in base64 (170 kB instead of 460 kB); the browser
    unpacks it with DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 and
    later) and runs it, then lets MathJax start (delayStartupUntil "configured").
    Cached: compressing takes a moment, and every page of a run gets the same copy.
    """
    import base64
    import gzip

    import jupyter_server_mathjax
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    combined = static / "config" / "TeX-AMS-MML_HTMLorMML-full.js"
    optables = sorted((static / "jax" / "element" / "mml" / "optable").glob("*.js"))
    names = ", ".join(f'"[MathJax]/jax/element/mml/optable/{p.name}"' for p in optables)
    parts = [(static / "MathJax.js").read_text(), combined.read_text(),
             f"MathJax.Ajax.Preloading({names});", *(p.read_text() for p in optables)]
    packed = base64.b64encode(gzip.compress("\n;\n".join(parts).encode(), 9, mtime=0)).decode()
    return (f"<script>\n{MATHJAX_SETTINGS}\n</script>\n<script>\n{MATHJAX_UNPACK % packed}\n</script>")


def offline_math(html, scripts):
    """The page with nbconvert's MathJax-from-a-CDN replaced by the inlined copy."""
    return CDN_MATHJAX.sub(lambda m: scripts, html, count=1)


def mark_ungraded(html, grade_ids):
    """Say 'not graded yet' where the page would show a score of 0 for an ungraded answer."""
    for grade_id in grade_ids:
        gid = re.escape(grade_id)
        html = re.sub(rf'(<a href="#{gid}">[^<]*</a>) \(Score: [\d.]+ / ([\d.]+)\)',
                      r"\1 (not graded yet, \2 points)", html)
        html = re.sub(rf'(<a name="{gid}"></a>.*?)Score: [\d.]+ / ([\d.]+)',
                      r"\1Not graded yet (\2 points)", html, count=1, flags=re.S)
    return html


TEST_ENTRY = re.compile(r'<a href="#test_([A-Za-z_][A-Za-z0-9_]*)">Test cell</a>')


def name_tests(html):
    """Each test in the page's summary named by its function (nbgrader writes "Test cell" for all)."""
    return TEST_ENTRY.sub(r'<a href="#test_\1">Test of <code>\1</code></a>', html)


def ungraded_in_notebook(info):
    """Grade ids of one submitted notebook still waiting for a hand grade.

    info is what nbgrader puts in resources["nbgrader"] (as GetGrades reads it).
    """
    from nbgrader.api import Gradebook

    with Gradebook(info["db_url"]) as gb:
        notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        return [g.name for g in notebook.grades if g.needs_manual_grade]


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page: tests named, ungraded answers marked, wrapping lines, offline math."""

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        info = (resources or {}).get("nbgrader")
        if info and "db_url" in info:         # run by generate_feedback, not as a plain exporter
            html = mark_ungraded(html, ungraded_in_notebook(info))
        html = name_tests(html)
        html = html.replace("</head>", WRAP_CSS + "\n</head>", 1)
        return offline_math(html, mathjax_inline()), resources




def kept(path, folder):
    """Whether a file of a feedback folder stays: a top-level page or one of nbgrader's HAND_IN_RECORDS."""
    return path.parent == folder and (path.suffix == ".html" or path.name in HAND_IN_RECORDS)


def keep_pages_only(assignment, student, notebooks, **_):
    """nbgrader's post-convert hook: one student's feedback folder keeps its pages (and HAND_IN_RECORDS).

    nbgrader passes `student` as given on its command line (possibly "*"); the
    notebooks are the ones just converted, <root>/autograded/<student>/<assignment>/<nb>.ipynb
    (nbgrader's default layout, which the course keeps), so they name the folder.
    """
    for source in {Path(nb).resolve().parent for nb in notebooks}:
        root, student_id = source.parents[2], source.parent.name
        folder = root / "feedback" / student_id / source.name
        if not folder.is_dir():
            continue
        # files first, then the folders they emptied
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif not (kept(path, folder) and path.is_file() and not path.is_symlink()):
                path.unlink()
