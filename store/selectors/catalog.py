"""Reads of the catalog: shelves, ratings, categories, tags, similar tools, favorites.

Every list a visitor can see starts from `tools.selectors.tools_listed`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from pgvector.django import CosineDistance

from tools.models import Category, Tag, Tool
from tools.selectors import runs_counted, tools_listed, tools_visible_to

from ..models import Favorite, Resource


def resources_listed() -> QuerySet[Resource]:
    return Resource.objects.filter(approved=True).select_related("category")


BAYES_WEIGHT = 5  # a tool's average counts as if it had this many extra "average" reviews


DEFAULT_MEAN = 3.0


def rating_prior() -> float:
    """The mean rating over all listed tools' reviews (the Bayesian prior)."""
    agg = tools_listed().aggregate(s=Sum("rating_sum"), n=Sum("review_count"))
    return agg["s"] / agg["n"] if agg["n"] else DEFAULT_MEAN


def with_bayesian_rating(qs: QuerySet[Tool], prior: float | None = None) -> QuerySet[Tool]:
    """Annotate `bayes`: (C*m + sum of stars) / (C + reviews), so one lone 5 does not top."""
    m = rating_prior() if prior is None else prior
    return qs.annotate(
        bayes=ExpressionWrapper(
            (Value(BAYES_WEIGHT * m) + Cast("rating_sum", FloatField()))
            / (Value(float(BAYES_WEIGHT)) + Cast("review_count", FloatField())),
            output_field=FloatField(),
        )
    )


def attach_bayesian(tools: list[Tool], prior: float | None = None) -> None:
    m = rating_prior() if prior is None else prior
    for tool in tools:
        tool.bayes = (BAYES_WEIGHT * m + tool.rating_sum) / (BAYES_WEIGHT + tool.review_count)


TRENDING_DAYS = 7


def tools_trending(*, limit: int = 8, days: int = TRENDING_DAYS) -> list[Tool]:
    """Most counted runs (tools.selectors.COUNTED_RUN) started in the last `days` days; each
    tool gets `recent_runs`."""
    listed = tools_listed()
    since = timezone.now() - timedelta(days=days)
    counts = list(
        runs_counted()
        .filter(queued_at__gte=since, tool__in=listed.order_by().values("pk"))
        .order_by()
        .values("tool")
        .annotate(c=Count("pk"))
        .order_by("-c", "tool")
        .values_list("tool", "c")[:limit]
    )
    tools = listed.in_bulk([pk for pk, _ in counts])
    result = []
    for pk, c in counts:
        if pk in tools:
            tools[pk].recent_runs = c
            result.append(tools[pk])
    return result


def tools_top_rated(*, limit: int = 8) -> list[Tool]:
    m = rating_prior()
    # Rank on the narrow index (ids and counters only), then load the few winners.
    ids = list(
        with_bayesian_rating(Tool.objects.filter(_listed_filter(""), review_count__gt=0), m)
        .order_by("-bayes", "-review_count", "-pk")
        .values_list("pk", flat=True)[:limit]
    )
    tools = tools_listed().in_bulk(ids)
    result = [tools[pk] for pk in ids if pk in tools]
    attach_bayesian(result, m)
    return result


def tools_newest(*, limit: int = 8) -> list[Tool]:
    return list(tools_listed().order_by(F("published_at").desc(nulls_last=True), "-pk")[:limit])


def tools_featured(*, limit: int = 8) -> list[Tool]:
    return list(tools_listed().filter(featured=True).order_by("-run_count", "-pk")[:limit])


def _listed_filter(prefix: str) -> Q:
    return Q(**{f"{prefix}status": Tool.Status.PUBLISHED}) & Q(
        **{f"{prefix}visibility": Tool.Visibility.PUBLIC}
    )


def categories_with_counts() -> QuerySet[Category]:
    """Every category, annotated with `tool_count`: listed tools only."""
    # A correlated count per category: an index-only scan of the listed tools' category
    # index, instead of joining and de-duplicating every tool.
    per_category = (
        Tool.objects.filter(_listed_filter(""), category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(n=Count("category"))  # not Count("pk"): the index holds category_id only
        .values("n")
    )
    return Category.objects.annotate(tool_count=Coalesce(Subquery(per_category), 0))


def tags_with_counts(*, limit: int = 30) -> QuerySet[Tag]:
    """Tags used by at least one listed tool, most used first."""
    # The tag links of listed tools only (a semi-join on their ids, read from an index):
    # the wide tool rows are never read.
    listed_ids = Tool.objects.filter(_listed_filter("")).order_by().values("pk")
    return (
        Tag.objects.filter(tools__in=listed_ids)
        .annotate(tool_count=Count("tools"))
        .order_by("-tool_count", "name")[:limit]
    )


def tags_visible() -> QuerySet[Tag]:
    """Tags a visitor may learn of: used by a listed tool or an approved resource. A tag
    only on drafts, private or unlisted tools would leak what their authors are building."""
    listed_ids = Tool.objects.filter(_listed_filter("")).order_by().values("pk")
    on_tools = Tool.tags.through.objects.filter(tool_id__in=listed_ids).values("tag_id")
    on_resources = Resource.tags.through.objects.filter(resource__approved=True).values("tag_id")
    return Tag.objects.filter(Q(pk__in=on_tools) | Q(pk__in=on_resources))


def tools_similar(tool: Tool, *, limit: int = 4) -> list[Tool]:
    """Nearest listed tools by embedding; by shared category and tags when none is stored."""
    others = tools_listed().exclude(pk=tool.pk)
    found: list[Tool] = []
    if tool.embedding is not None:
        found = list(
            others.exclude(embedding=None)
            .annotate(distance=CosineDistance("embedding", tool.embedding))
            .filter(distance__lt=0.8)
            .order_by("distance", "pk")[:limit]
        )
    if len(found) < limit:
        tag_ids = list(tool.tags.values_list("pk", flat=True))
        related = Q(pk__in=Tool.tags.through.objects.filter(tag_id__in=tag_ids).values("tool_id"))
        if tool.category_id:
            related |= Q(category_id=tool.category_id)
        more = (
            others.exclude(pk__in=[t.pk for t in found])
            .filter(related)
            .annotate(shared=Count("tags", filter=Q(tags__in=tag_ids), distinct=True))
            .order_by("-shared", "-run_count", "-pk")[: limit - len(found)]
        )
        found += list(more)
    return found


def author_stats(author) -> dict:
    """Listed tools only: what visitors can see is what gets counted."""
    agg = (
        tools_listed()
        .filter(author=author)
        .aggregate(
            tools=Count("pk"), runs=Sum("run_count"), s=Sum("rating_sum"), n=Sum("review_count")
        )
    )
    return {
        "tool_count": agg["tools"] or 0,
        "total_runs": agg["runs"] or 0,
        "review_count": agg["n"] or 0,
        "average_rating": round(agg["s"] / agg["n"], 2) if agg["n"] else None,
    }


def favorites_of(user) -> QuerySet[Tool]:
    """The user's starred tools that they can still open, most recently starred first."""
    return (
        tools_visible_to(user)
        .filter(favorites__user=user)
        .annotate(starred_at=Max("favorites__created"))
        .order_by("-starred_at")
    )


def favorite_ids(user, tool_ids) -> set[int]:
    if user is None or not user.is_authenticated:
        return set()
    return set(
        Favorite.objects.filter(user=user, tool_id__in=list(tool_ids)).values_list(
            "tool_id", flat=True
        )
    )
