"""Feedback pages for students, generated on demand (after hand-grading).

    python -m grading feedback [--course DIR] [--student ID ...] [--include-ungraded]

nbgrader's generate_feedback writes one HTML page per notebook. This module
runs it only for students whose written answers are all graded (unless
asked otherwise), keeps only the pages in each feedback folder (nbgrader
copies the whole submission, package and data included), marks written
answers that are not graded yet as such instead of "Score: 0.0", and lets
long lines (a check's message) wrap instead of scrolling sideways.

Math works offline: nbconvert's pages load MathJax from a CDN; each page here
carries its own copy instead (MathJax 2.7 from the jupyter-server-mathjax
package, inlined and compressed, 170 kB per page), set to write MathML that the browser
draws itself, so no font file is needed. A student opens the pages from disk,
with or without a network.
"""
import re
from pathlib import Path

from grading.autograde import read_grades, submissions
from grading.course import ASSIGNMENT, run_nbgrader

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


def mathjax_inline():
    """<script> elements that typeset a page's TeX with no network (MathJax 2.7, inlined).

    The library (MathJax.js, its combined TeX config, the operator tables) is
    stored gzip-compressed in base64 (170 kB instead of 460 kB); the browser
    unpacks it with DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 and
    later) and runs it, then lets MathJax start (delayStartupUntil "configured").
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


def ungraded_answers(course_dir, students):
    """{student: [(notebook, grade_id), ...]} of written answers still waiting for a grade."""
    return read_grades(course_dir, students, lambda nb, g: (nb, g.name) if g.needs_manual_grade else None)


def mark_ungraded(html, grade_ids):
    """Say 'not graded yet' where the page would show a score of 0 for an ungraded answer."""
    for grade_id in grade_ids:
        gid = re.escape(grade_id)
        html = re.sub(rf'(<a href="#{gid}">[^<]*</a>) \(Score: [\d.]+ / ([\d.]+)\)',
                      r"\1 (not graded yet, \2 points)", html)
        html = re.sub(rf'(<a name="{gid}"></a>.*?)Score: [\d.]+ / ([\d.]+)',
                      r"\1Not graded yet (\2 points)", html, count=1, flags=re.S)
    return html


def generate(course_dir, students=None, include_ungraded=False, log=None):
    """Write feedback pages; returns (students done, {student: reason skipped})."""
    course_dir = Path(course_dir).resolve()
    graded = set(p.name for p in (course_dir / "autograded").iterdir()) if (course_dir / "autograded").exists() else set()
    candidates = [s for s in (students or submissions(course_dir)) if s in graded]
    waiting = ungraded_answers(course_dir, candidates)
    skipped = {s: f"{len(w)} written answer(s) not graded yet" for s, w in waiting.items()
               if w and not include_ungraded}
    done = [s for s in candidates if s not in skipped]
    if not done:
        return done, skipped
    others = [s for s in submissions(course_dir) if s not in done]
    args = ["generate_feedback", ASSIGNMENT, "--force"]
    if others:
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
    run_nbgrader(course_dir, *args, log=log)
    scripts = mathjax_inline()
    for student in done:
        folder = course_dir / "feedback" / student / ASSIGNMENT
        for path in sorted(folder.rglob("*"), reverse=True):   # files first, then emptied folders
            if path.is_file() and path.suffix != ".html":
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        for page in folder.glob("*.html"):
            ids = [gid for nb, gid in waiting.get(student, []) if nb == page.stem]
            html = mark_ungraded(page.read_text(), ids).replace("</head>", WRAP_CSS + "\n</head>", 1)
            html = offline_math(html, scripts)
            page.write_text(html)
    return done, skipped
