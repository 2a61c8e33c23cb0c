"""Template helpers of the builder pages (the tool page's remix links)."""

from __future__ import annotations

from django import template

from tools import selectors as tool_selectors

register = template.Library()


@register.simple_tag
def remixes_of(tool, limit: int = 10) -> list:
    """Listed remixes of `tool`: the "remixed as" links on its page (others are not shown)."""
    return list(tool_selectors.tools_listed().filter(forked_from=tool).order_by("-pk")[:limit])
