"""A run's answer as safe HTML: Markdown rendered server-side, then sanitised.

Model output is untrusted, so there are two walls. The parser (markdown-it-py, CommonMark
with tables and strikethrough; bare http(s) URLs become links) has raw HTML turned off, so
`<script>` in an answer is text, and accepts only http, https and mailto links. Its HTML
then goes through nh3 with an explicit allowlist of tags, attributes, classes and URL
schemes, so a bug in the first wall still cannot put a script, an event handler, a style or
a remote image on the page.

Images are never loaded: a remote image would tell its host who read the answer (and the
site's CSP blocks it anyway), so `![alt](url)` becomes a link labelled with its alt text.
Fenced code is highlighted here with Pygments (class-based; static/css/pygments.css).
"""

from __future__ import annotations

import re
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# Past this many characters an answer is shown as plain text. Rendering is linear in the
# length, ~10 us a character on the worst inputs tried (50,000 "[" or "*a", a 10,000-row
# table: about 0.5 s on a shared CPU; ordinary prose is ten times faster), so the cap bounds
# one page's cost. A run's answer is bounded by GPTSTORE_MAX_NEW_TOKENS (512 tokens by
# default, ~2,500 characters), far below it.
MAX_MARKDOWN_CHARS = 50_000
# Larger code blocks are shown unhighlighted; some lexers backtrack on odd input.
MAX_HIGHLIGHT_CHARS = 20_000
# An answer's top heading level becomes h3, the rest follow: the page has its h1 (the tool)
# and h2 ("Answer") above the answer, and an answer that starts at "##" would skip a level.
TOP_HEADING = 3

SAFE_URL = re.compile(r"^(?:https?:|mailto:)", re.IGNORECASE)
ALIGN_CLASSES = {"text-align:left": "align-left", "text-align:center": "align-center",
                 "text-align:right": "align-right"}  # fmt: skip
IMAGE_CLASS = "md-image"

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "pre": {"data-lang"}}
# Classes are checked value by value: Pygments' short token classes on spans, the table
# alignments, the image-link marker. Nothing else survives.
ALLOWED_CLASSES = {
    "span": {c for c in STANDARD_TYPES.values() if c},
    "th": set(ALIGN_CLASSES.values()),
    "td": set(ALIGN_CLASSES.values()),
    "a": {IMAGE_CLASS},
}
LINK_REL = "nofollow noopener noreferrer ugc"

_formatter = HtmlFormatter(nowrap=True)
# The element whose code the stylesheet colours: a <pre> inside a rendered answer.
CODE_SCOPE = ".answer-md pre"


def _safe_link(url: str) -> bool:
    return bool(SAFE_URL.match(url.strip()))


def _fence(self, tokens: list[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    code, name = token.content, ""
    body = escape(code, quote=False)
    if lang and len(code) <= MAX_HIGHLIGHT_CHARS:
        try:
            lexer = get_lexer_by_name(lang.lower())
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            body = highlight(code, lexer, _formatter)
            name = lexer.aliases[0] if lexer.aliases else lexer.name
    data = f' data-lang="{escape(name)}"' if name else ""
    return f"<pre{data}><code>{body}</code></pre>\n"


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    # Only URLs with a scheme become links: fuzzy matching would link "main.py" (.py is a
    # country's domain) and every "e.g." lookalike in a code-heavy answer.
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    md.validateLink = _safe_link  # images too: a data: or javascript: URL stays as text
    md.add_render_rule("fence", _fence)
    return md


_md = _parser()


def _image_as_link(image: Token, *, inside_link: bool) -> list[Token]:
    alt = _md.renderer.renderInlineAsText(image.children or [], _md.options, {})
    label = Token("text", "", 0, content=f"Image: {alt}" if alt.strip() else "Image")
    if inside_link:  # a link cannot hold another: the outer link keeps the place
        return [label]
    attrs = {"href": str(image.attrGet("src") or ""), "class": IMAGE_CLASS}
    if image.attrGet("title"):
        attrs["title"] = str(image.attrGet("title"))
    return [Token("link_open", "a", 1, attrs=attrs), label, Token("link_close", "a", -1)]


def _inline_images(children: list[Token]) -> list[Token]:
    out, depth = [], 0
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        if child.type == "image":
            out.extend(_image_as_link(child, inside_link=depth > 0))
        else:
            out.append(child)
    return out


def _rewrite(tokens: list[Token]) -> None:
    """Headings shifted down, alignment as classes (the CSP forbids style attributes),
    images turned into links."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = TOP_HEADING - min(levels, default=1)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if style in ALIGN_CLASSES:
                token.attrSet("class", ALIGN_CLASSES[style])
        elif token.type == "inline" and token.children:
            token.children = _inline_images(token.children)


def _keep_safe_urls(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and not _safe_link(value):
        return None
    return value


def sanitize(html: str) -> str:
    """The second wall: only the allowlisted tags, attributes, classes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_keep_safe_urls,
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """`text` (untrusted Markdown) as sanitised HTML, safe to put on a page as it is."""
    text = text or ""
    if len(text) > MAX_MARKDOWN_CHARS:
        return f'<p class="md-plain">{escape(text, quote=False)}</p>'
    env: dict = {}
    tokens = _md.parse(text, env)
    _rewrite(tokens)
    return sanitize(_md.renderer.render(tokens, _md.options, env))


def plain_text(text: str) -> str:
    """The words of `text` (Markdown) without its marks, blocks joined by spaces: headings,
    paragraphs, list items, table cells and code as text, images as their alt text."""
    parts: list[str] = []
    for token in _md.parse(text or ""):
        if token.type == "inline":
            parts.append(_md.renderer.renderInlineAsText(token.children or [], _md.options, {}))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return " ".join(" ".join(parts).split())


def pygments_css() -> str:
    """static/css/pygments.css, as checked in (a test keeps the two equal)."""
    formatter = HtmlFormatter(style="default")
    rules = [
        *formatter.get_background_style_defs(CODE_SCOPE),
        *formatter.get_token_style_defs(CODE_SCOPE),
    ]
    head = (
        "/* Code colours of rendered answers (tools/answers.py), generated by Pygments:\n"
        "   python -c 'from tools.answers import pygments_css; print(pygments_css(), end=\"\")'\n"
        '   Style "default": its colours keep 4.5:1 contrast on its own #f8f8f8 background. */\n'
    )
    return head + "\n".join(rules) + "\n"
