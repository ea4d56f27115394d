"""What a student wrote, made safe for the pages that show it: the one policy.

Formgrader (in the instructor's Jupyter session), the feedback pages and the
class report show text a student controls. Each kind has one function here:

* ``markdown(source, attachments, reserved_ids)``: a markdown cell (a written
  answer, or any markdown a student adds), which nbconvert renders as HTML;
* ``raw_html(source)``: a raw cell, which nbconvert may paste into the page;
* ``output(output, verdict)``: a code cell's output; ``message(text)`` for
  the trusted grader's verdicts, which quote a student's exception messages
  and file names;
* ``html_text(text)``: any other student text (ids, messages) put into a page
  of our own (the class report);
* ``notebook(nb, reserved_ids)`` applies all of them to a notebook.

Markdown is rendered first, then sanitized (nh3, the binding of the Rust
crate ammonia): nbconvert's renderer (the one Formgrader and the feedback
pages use) turns math into escaped text between its delimiters, so
``$a<b$`` survives, where a sanitizer run on the markdown source would take
``<b$`` for a tag. An answer whose rendering the sanitizer leaves as it is
stays byte-identical. Otherwise the cell's source becomes the sanitized HTML
(which markdown passes through as it is, math included), with a note saying
markup was removed; if even that could not be shown safely, the source is
shown as plain text.

The allowlist is what markdown itself produces (nbconvert's mistune with its
plugins: tables, strikethrough, definition lists, code highlighted by
pygments, heading anchors), plus a few harmless inline tags. Nothing runs
(no script, style, event handler, iframe, object, form, svg, math, meta or
base element) and nothing loads from elsewhere: links may point to http,
https, mailto or a fragment of the page (following one is the reader's
choice), images must be embedded raster images (data:image/png, jpeg, gif or
webp), as notebook attachments are. No attribute can move an element out of
its cell: style only as text-align on table cells, classes only pygments'
token classes and nbconvert's own, ids only on headings and never one the
page itself uses (Formgrader finds its score boxes by grade id).
"""
import functools
import html
import json
import re
from html.parser import HTMLParser

import nh3

# -- the allowlist ---------------------------------------------------------------------------------

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
TAGS = HEADINGS | {
    # what nbconvert's markdown renders
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "div", "span",
    # inline HTML people write in answers
    "b", "i", "u", "s", "sub", "sup", "small", "mark", "kbd", "var", "samp", "abbr", "q", "cite",
    "caption", "tfoot",
}
ATTRIBUTES = {
    **{h: {"id"} for h in HEADINGS},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
    "abbr": {"title"},
}
STYLE_PROPERTIES = {"text-align"}          # mistune's table alignment; nothing that positions
# pygments' token classes (code blocks), nbconvert's code block and heading anchor
PYGMENTS_CLASSES = {"bp", "c", "c1", "ch", "cm", "cp", "cpf", "cs", "dl", "err", "esc", "fm", "g", "gd",
                    "ge", "ges", "gh", "gi", "go", "gp", "gr", "gs", "gt", "gu", "il", "k", "kc", "kd", "kn",
                    "kp", "kr", "kt", "l", "ld", "m", "mb", "mf", "mh", "mi", "mo", "n", "na", "nb", "nc",
                    "nd", "ne", "nf", "ni", "nl", "nn", "no", "nt", "nv", "nx", "o", "ow", "p", "pm", "py",
                    "s", "s1", "s2", "sa", "sb", "sc", "sd", "se", "sh", "si", "sr", "ss", "sx", "vc", "vg",
                    "vi", "vm", "w", "x"}
CLASSES = {"span": PYGMENTS_CLASSES, "div": {"highlight"}, "a": {"anchor-link"}}
LINK = re.compile(r"(https?://|mailto:|#)", re.I)
IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
# ids of Formgrader's and the feedback page's own elements (grade ids are added per notebook)
PAGE_IDS = {"notebook", "notebook-container", "statusmessage", "toc", "top"}
# text no allowed markup can hold: seen in a rendering, the sanitizer must have a look
# (a "<" that is not a tag is escaped in a rendering, so every "<" here starts a tag)
SUSPICIOUS = re.compile(r"<\s*/?\s*(script|style|iframe|object|embed|form|svg|math|base|meta|link)\b"
                        r"|<[^>]*\son[a-z]+\s*=|<[^>]*(java|vb)script\s*:", re.I)
REMOVED_NOTE = ("<p><em>[Some HTML of this cell was removed before grading: pages show markdown "
                "and simple formatting only.]</em></p>")


def reserved_ids(grade_ids):
    """Element ids a student's heading must not take on a page showing these grade cells."""
    ids = set(PAGE_IDS)
    for gid in grade_ids:
        ids |= {gid, f"{gid}-comment", f"{gid}_extra_credit", f"comment-{gid}"}
    return frozenset(ids)


def _attribute_filter(reserved):
    def keep(tag, attribute, value):
        if attribute == "href":
            return value if LINK.match(value.strip()) else None
        if attribute == "src":
            return value if IMAGE.match(value.strip()) else None
        if attribute == "id":
            return value if value not in reserved else None
        return value
    return keep


def clean_html(markup, reserved=frozenset()):
    """nh3 with the allowlist above: the HTML a browser may be given."""
    return nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES,
                     filter_style_properties=STYLE_PROPERTIES, attribute_filter=_attribute_filter(reserved),
                     url_schemes={"http", "https", "mailto", "data"},
                     url_relative=lambda url: url if url.startswith("#") else None,
                     link_rel=None, strip_comments=True)


# -- comparing markup ------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Events(HTMLParser):
    """The tags, attributes and text of some HTML, as Python's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events = []

    def _text(self, data):
        if self.events and self.events[-1][0] == "text":     # the parser may split a text run
            self.events[-1] = ("text", self.events[-1][1] + data)
        else:
            self.events.append(("text", data))

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(sorted((k, v or "") for k, v in attrs))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.events.append(("end", tag))

    def handle_data(self, data):
        self._text(data)

    def handle_comment(self, data):
        self.events.append(("comment", data))

    def handle_decl(self, decl):
        self.events.append(("decl", decl))

    def handle_pi(self, data):
        self.events.append(("pi", data))

    def unknown_decl(self, data):
        self.events.append(("decl", data))


def _events(markup):
    """What a page would hold, ignoring how it is written down and where whitespace goes."""
    parser = _Events()
    parser.feed(markup)
    parser.close()
    events = []
    for event in parser.events:
        if event[0] == "text":
            event = ("text", " ".join(event[1].split()))
            if event[1] == "":
                continue
        events.append(event)
    return events


def is_clean(markup, reserved=frozenset()):
    """True if the sanitizer leaves this HTML as it is (up to how it is written down)."""
    if SUSPICIOUS.search(markup):
        return False
    return _events(markup) == _events(clean_html(markup, reserved))


# -- markdown and raw cells ------------------------------------------------------------------------

def render_markdown(source, attachments=None):
    """The HTML nbconvert makes of a markdown cell, as Formgrader and the feedback pages do."""
    from nbconvert.filters import strip_files_prefix
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=dict(attachments or {}))
    return strip_files_prefix(MarkdownWithMath(renderer=renderer).render(source))


def _html_block(markup):
    """Markup that markdown passes through unchanged: one HTML block with no blank line.

    A blank line would end the block (and what follows would be markdown
    again); the newline that starts one is written as &#10; instead, which
    is the same character once parsed, also inside <pre> and attributes.
    """
    return "<div>\n" + re.sub(r"\n(?=[ \t]*(\n|$))", "&#10;", markup.strip("\n")) + "\n</div>"


def _renders_clean(source, reserved):
    try:
        return is_clean(render_markdown(source), reserved)
    except Exception:
        return False


EMPTY_IMAGE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _as_text(source):
    """The last resort: the source shown as it is, as text."""
    return "<pre>" + html.escape(source) + "</pre>"


def markdown(source, attachments=None, reserved=frozenset()):
    """(source, changed): a markdown cell's source that renders safely in a browser."""
    return _markdown(source, json.dumps(attachments or {}, sort_keys=True), frozenset(reserved))


@functools.lru_cache(maxsize=2048)       # the notebooks' own cells are the same in every submission
def _markdown(source, attachments_json, reserved):
    try:
        rendered = render_markdown(source, json.loads(attachments_json))
    except Exception:                    # e.g. a missing attachment: nbconvert would fail on the page
        rendered = None
    if rendered is not None:
        if is_clean(rendered, reserved):
            return source, False
        kept = EMPTY_IMAGE.sub("", clean_html(rendered, reserved))   # an image whose source went
        candidate = _html_block(kept + "\n" + REMOVED_NOTE)
        if _renders_clean(candidate, reserved):
            return candidate, True
    return _as_text(source), True


def raw_html(source):
    """(source, changed): a raw cell's source, which nbconvert may put into the page as HTML."""
    if is_clean(source):
        return source, False
    return clean_html(source), True


# -- outputs and messages --------------------------------------------------------------------------

SAFE_MIME = ("text/plain", "image/png")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*$")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[@-_]")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


def message(text):
    """A verdict's message (it quotes a student's exception and file names): plain text only.

    Pages escape it (nbconvert's ansi2html, html_text); terminal escapes and
    control characters are removed so quoted student text cannot restyle or
    hide the rest of the verdict.
    """
    return CONTROL.sub("", ANSI.sub("", _text(text)))


def output(out, verdict=False):
    """A code cell's output as a page may show it, or None if nothing of it is safe.

    Kept: stream and error outputs (shown as escaped text), and of rich
    outputs only text/plain and PNG images (no HTML, JavaScript, SVG,
    markdown or LaTeX) with no display metadata. ``verdict`` marks the
    trusted grader's outputs, whose text is also made plain (message()).
    """
    clean = message if verdict else _text
    kind = out.get("output_type")
    if kind == "stream":
        return {"output_type": "stream", "name": "stderr" if out.get("name") == "stderr" else "stdout",
                "text": clean(out.get("text", ""))}
    if kind == "error":
        return {"output_type": "error", "ename": clean(out.get("ename", "")),
                "evalue": clean(out.get("evalue", "")),
                "traceback": [clean(line) for line in out.get("traceback", [])]}
    if kind in ("execute_result", "display_data"):
        data = {}
        for mime in SAFE_MIME:
            value = out.get("data", {}).get(mime)
            if value is None:
                continue
            value = _text(value)
            if mime == "image/png" and not BASE64.match(value):
                continue
            data[mime] = clean(value) if mime == "text/plain" else value
        if not data:
            return None
        safe = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = out.get("execution_count")
            safe["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        return safe
    return None


def html_text(text):
    """Student text (an id, a message) for a page of our own: escaped, no control characters."""
    return html.escape(message(text))


# -- a whole notebook ------------------------------------------------------------------------------

def notebook(nb, reserved=None):
    """Apply every rule to a notebook in place; returns the number of cells changed.

    reserved: element ids headings must not take (default: those of the
    notebook's own grade cells, see reserved_ids).
    """
    from nbformat import from_dict

    if reserved is None:
        grade_ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
        reserved = reserved_ids(g for g in grade_ids if isinstance(g, str))
    changed = 0
    for cell in nb.cells:
        before = json.dumps(cell, sort_keys=True, default=str)
        if cell.cell_type == "markdown":
            attachments = cell.get("attachments") or {}
            cell.source, rewritten = markdown(cell.source, attachments, reserved)
            if rewritten:
                cell.pop("attachments", None)    # what is shown is in the new source
        elif cell.cell_type == "raw":
            cell.source = raw_html(cell.source)[0]
        elif cell.cell_type == "code":
            verdict = bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))
            kept = (output(o, verdict) for o in cell.get("outputs", []))
            cell.outputs = [from_dict(o) for o in kept if o is not None]
            count = cell.get("execution_count")
            if not (count is None or isinstance(count, int) and not isinstance(count, bool)):
                cell.execution_count = None
        changed += json.dumps(cell, sort_keys=True, default=str) != before
    return changed
