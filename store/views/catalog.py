"""Browsing the catalog: the home page, categories, tags, an author's tools, resources."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.ratelimit import rate_limited
from tools import selectors as tool_selectors
from tools.models import Category

from .. import search as search_mod
from .. import selectors
from ..models import Resource
from ._common import PAGE_SIZE


@require_GET
def home(request):
    return render(
        request,
        "store/home.html",
        {
            "featured": selectors.tools_featured(limit=6),
            "trending": selectors.tools_trending(limit=6),
            "top_rated": selectors.tools_top_rated(limit=6),
            "newest": selectors.tools_newest(limit=6),
            "categories": selectors.categories_with_counts(),
        },
    )


def _tool_list_page(request, *, title: str, intro: str, qs, extra: dict | None = None):
    sort = request.GET.get("sort", "rating")
    sort = sort if sort in search_mod.SORTS and sort != "relevance" else "rating"
    ordered = search_mod.ordered(qs, sort, search_mod.KIND_TOOLS)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    sorts = {k: v for k, v in search_mod.SORTS.items() if k != "relevance"}
    context = {
        "title": title,
        "intro": intro,
        "page": page,
        "tools": page.object_list,
        "sort": sort,
        "sorts": sorts,
        **(extra or {}),
    }
    return render(request, "store/tool_list.html", context)


@require_GET
def category(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    return _tool_list_page(
        request,
        title=cat.name,
        intro=cat.description,
        qs=tool_selectors.tools_listed().filter(category=cat),
        extra={"category": cat, "search_category": cat.slug},
    )


@require_GET
def tag(request, slug):
    tag_obj = get_object_or_404(selectors.tags_visible(), slug=slug)
    return _tool_list_page(
        request,
        title=f"#{tag_obj.name}",
        intro=f"Tools tagged “{tag_obj.name}”.",
        qs=tool_selectors.tools_listed().filter(tags=tag_obj),
        extra={"tag": tag_obj},
    )


@require_GET
def categories(request):
    return render(
        request,
        "store/categories.html",
        {"categories": selectors.categories_with_counts(), "tags": selectors.tags_with_counts()},
    )


@require_GET
@rate_limited("pages")
def author(request, username):
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    tools = tool_selectors.tools_listed().filter(author=person)
    ordered = selectors.with_bayesian_rating(tools).order_by("-bayes", "-run_count", "-pk")
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "store/author.html",
        {
            "person": person,
            "page": page,
            "tools": page.object_list,
            "stats": selectors.author_stats(person),
        },
    )


@require_GET
def resources(request):
    kinds = Resource.Kind
    kind = request.GET.get("kind", "")
    qs = selectors.resources_listed()
    if kind in kinds.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    counts = dict(
        selectors.resources_listed()
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kind_list = [(value, label, counts.get(value, 0)) for value, label in kinds.choices]
    return render(
        request,
        "store/resources.html",
        {"page": page, "resources": page.object_list, "kind": kind, "kinds": kind_list},
    )


@require_GET
def resource_detail(request, slug):
    res = get_object_or_404(selectors.resources_listed().prefetch_related("tags"), slug=slug)
    return render(request, "store/resource_detail.html", {"resource": res})
