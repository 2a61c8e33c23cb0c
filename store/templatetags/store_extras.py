"""Template helpers: sanitised Markdown, star strings, query-string edits."""

from __future__ import annotations

import markdown as md
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@register.filter
def markdown(text: str | None) -> str:
    """Publishers' Markdown as HTML through an allow-list: no scripts, styles, images, events.

    Headings are shifted down (# -> h3) so a description cannot out-shout the page title.
    """
    html = md.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    for level in range(6, 0, -1):
        new = min(level + 2, 6)
        html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )
    return mark_safe(clean)  # sanitised by nh3 just above


@register.filter
def stars(value) -> str:
    """4.3 -> "★★★★☆" (rounded to the nearest whole star)."""
    try:
        n = max(0, min(5, round(float(value))))
    except (TypeError, ValueError):
        n = 0
    return "★" * n + "☆" * (5 - n)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    query.pop("part", None)
    return "?" + query.urlencode() if query else "?"
