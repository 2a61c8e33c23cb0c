"""Helpers the store's views share."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tools.models import Tool

from .. import selectors

PAGE_SIZE = 24


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it points back into this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def with_favorites(request: HttpRequest, tools) -> list[Tool]:
    """`tools` as a list, each marked with whether the visitor starred it."""
    tools = list(tools)
    starred = selectors.favorite_ids(request.user, [t.pk for t in tools])
    for tool in tools:
        tool.is_favorite = tool.pk in starred
    return tools
