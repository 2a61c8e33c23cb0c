"""The search page and the as-you-type suggestions under the search box."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.ratelimit import rate_limited

from .. import search as search_mod
from .. import selectors
from ._common import with_favorites


# Each search with words embeds the query on the CPU: limited per client address.
@require_GET
@rate_limited("search")
def search(request):
    params = search_mod.params_from_query(request.GET)
    result = search_mod.search(params)
    items = result.items
    if params.kind == search_mod.KIND_TOOLS:
        items = with_favorites(request, items)
    context = {
        "result": result,
        "params": params,
        "items": items,
        "q": params.q,
        "sorts": search_mod.SORTS,
        "categories": selectors.categories_with_counts(),
        "tags": selectors.tags_with_counts(limit=20),
        "query_string": _query_without_page(request),
    }
    if not items:
        context["popular"] = selectors.tools_top_rated(limit=4) or selectors.tools_newest(limit=4)
    return render(request, "store/search.html", context)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@rate_limited("suggest")
def search_suggest(request):
    q = request.GET.get("q", "")
    tools = search_mod.suggest(q)
    return render(
        request, "store/_suggest.html", {"suggestions": tools, "q": search_mod.normalize_query(q)}
    )
