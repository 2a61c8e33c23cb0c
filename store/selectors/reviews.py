"""Reads of reviews: a tool's histogram and its sorted reviews."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tools.models import Tool

from ..models import Review


def tool_rating_histogram(tool: Tool) -> list[dict]:
    """[{stars: 5, count, percent}, ... down to 1]."""
    counts = dict(
        Review.objects.filter(tool=tool)
        .order_by()
        .values_list("stars")
        .annotate(n=Count("pk"))
        .values_list("stars", "n")
    )
    total = sum(counts.values())
    return [
        {
            "stars": s,
            "count": counts.get(s, 0),
            "percent": round(100 * counts.get(s, 0) / total) if total else 0,
        }
        for s in range(5, 0, -1)
    ]


REVIEW_SORTS = {"newest": "Newest", "helpful": "Most helpful"}


def tool_reviews(tool: Tool, *, sort: str = "newest") -> QuerySet[Review]:
    qs = Review.objects.filter(tool=tool).select_related("user__profile")
    if sort == "helpful":
        return qs.order_by("-helpful_count", "-created", "-pk")
    return qs.order_by("-created", "-pk")
