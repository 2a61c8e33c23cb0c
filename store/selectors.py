"""Reads of the catalog. Every list a visitor can see goes through `tools_visible_to`."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
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

from .models import Category, Favorite, Resource, Review, Tag, Tool

log = logging.getLogger(__name__)


def tools_listed() -> QuerySet[Tool]:
    """Published, public tools: the only ones that appear in lists, search and counts."""
    return Tool.objects.filter(
        status=Tool.Status.PUBLISHED, visibility=Tool.Visibility.PUBLIC
    ).select_related("category", "author__profile", "current_version")


def tools_visible_to(user) -> QuerySet[Tool]:
    """Tools a user may open by URL: listed and unlisted ones, plus their own."""
    qs = Tool.objects.select_related("category", "author__profile", "current_version")
    visible = Q(status=Tool.Status.PUBLISHED) & ~Q(visibility=Tool.Visibility.PRIVATE)
    if user is not None and user.is_authenticated:
        if user.is_staff:
            return qs
        visible |= Q(author=user) & ~Q(status=Tool.Status.REMOVED)
    return qs.filter(visible)


def resources_listed() -> QuerySet[Resource]:
    return Resource.objects.filter(approved=True).select_related("category")


# --- ratings --------------------------------------------------------------------------------

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


# --- home page lists ------------------------------------------------------------------------

TRENDING_DAYS = 7


def _run_model_and_time_field():
    """tools.models.Run and its creation-time field, or (None, None) while it does not exist."""
    try:
        from tools.models import Run  # noqa: PLC0415 - optional, built by the runs work
    except ImportError:
        return None, None
    names = {f.name for f in Run._meta.get_fields()}
    if "tool" not in names:
        return None, None
    for candidate in ("created", "queued_at", "created_at"):
        if candidate in names:
            return Run, candidate
    return None, None


def tools_trending(*, limit: int = 8, days: int = TRENDING_DAYS) -> list[Tool]:
    """Most runs in the last `days` days (each tool gets `recent_runs`); an author's runs of
    their own tool do not count.

    Falls back to all-time `run_count` while the runs model (tools.models.Run) is missing.
    """
    listed = tools_listed()
    run_model, time_field = _run_model_and_time_field()
    if run_model is None:
        return list(listed.filter(run_count__gt=0).order_by("-run_count", "-pk")[:limit])
    since = timezone.now() - timedelta(days=days)
    counts = (
        run_model.objects.filter(
            **{f"{time_field}__gte": since}, tool__in=listed.order_by().values("pk")
        )
        .exclude(user_id=F("tool__author_id"))
        .order_by()
        .values("tool")
        .annotate(c=Count("pk"))
        .order_by("-c", "tool")
        .values_list("tool", "c")[:limit]
    )
    try:
        with transaction.atomic():  # a missing table must not spoil the caller's transaction
            counts = list(counts)
    except DatabaseError:
        log.warning("runs table not queryable; trending falls back to run_count")
        return list(listed.filter(run_count__gt=0).order_by("-run_count", "-pk")[:limit])
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


# --- one tool -------------------------------------------------------------------------------


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


# --- people ---------------------------------------------------------------------------------


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


# --- creator dashboard ----------------------------------------------------------------------

DASHBOARD_DAYS = 30


class MedianSeconds(Aggregate):
    """PostgreSQL's median of an interval, in seconds (NULLs are skipped)."""

    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


def tools_of_author(user) -> QuerySet[Tool]:
    """The author's tools that are not deleted, newest first (the "My tools" page)."""
    return (
        Tool.objects.filter(author=user)
        .exclude(status=Tool.Status.REMOVED)
        .select_related("category", "current_version", "forked_from")
        .order_by("-updated", "-pk")
    )


def _run_figures(qs) -> dict:
    """Runs, success rate, median time to first token and tokens of a Run queryset."""
    from tools.models import Run  # noqa: PLC0415 - the runs app imports store

    ttft = ExpressionWrapper(F("first_token_at") - F("queued_at"), output_field=DurationField())
    agg = qs.aggregate(
        runs=Count("pk"),
        finished=Count("pk", filter=Q(state__in=Run.FINAL_STATES)),
        succeeded=Count("pk", filter=Q(state=Run.State.SUCCEEDED)),
        tokens=Sum("completion_tokens"),
        median_ttft=MedianSeconds(ttft),
    )
    finished = agg["finished"]
    return {
        "runs": agg["runs"],
        "success_rate": round(100 * agg["succeeded"] / finished) if finished else None,
        "median_ttft": None if agg["median_ttft"] is None else round(agg["median_ttft"], 2),
        "tokens": agg["tokens"] or 0,
    }


def runs_per_day(tool: Tool, *, days: int = DASHBOARD_DAYS, today=None) -> list[dict]:
    """[{day, count}] for each of the last `days` days (oldest first, today last)."""
    from django.db.models.functions import TruncDate

    from tools.models import Run  # noqa: PLC0415

    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    counts = dict(
        Run.objects.filter(tool=tool, queued_at__date__gte=start)
        .annotate(day=TruncDate("queued_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [
        {"day": start + timedelta(days=i), "count": counts.get(start + timedelta(days=i), 0)}
        for i in range(days)
    ]


CHART_W, CHART_H, CHART_PAD = 300, 80, 12


def runs_chart(series: list[dict]) -> dict:
    """Bar geometry for a server-rendered SVG: attributes only (CSP forbids inline styles)."""
    peak = max((d["count"] for d in series), default=0)
    step = CHART_W / max(len(series), 1)
    bars = []
    for i, d in enumerate(series):
        h = 0.0 if not peak else (CHART_H - CHART_PAD) * d["count"] / peak
        h = max(h, 1.0 if d["count"] else 0.0)
        bars.append(
            {
                # Formatted here: SVG attributes must not follow the page's number locale.
                "x": f"{i * step + 1:.2f}",
                "y": f"{CHART_H - h:.2f}",
                "w": f"{max(step - 2, 1):.2f}",
                "h": f"{h:.2f}",
                "day": d["day"],
                "count": d["count"],
            }
        )
    return {"bars": bars, "peak": peak, "width": CHART_W, "height": CHART_H}


def rating_trend(tool: Tool, *, days: int = DASHBOARD_DAYS, now=None) -> dict:
    """Average stars of the last `days` days against the average before them."""
    since = (now or timezone.now()) - timedelta(days=days)
    reviews = Review.objects.filter(tool=tool).order_by()
    recent = reviews.filter(created__gte=since).aggregate(s=Sum("stars"), n=Count("pk"))
    before = reviews.filter(created__lt=since).aggregate(s=Sum("stars"), n=Count("pk"))
    recent_avg = round(recent["s"] / recent["n"], 2) if recent["n"] else None
    before_avg = round(before["s"] / before["n"], 2) if before["n"] else None
    if recent_avg is None or before_avg is None:
        direction = "flat"
        delta = None
    else:
        delta = round(recent_avg - before_avg, 2)
        direction = "up" if delta > 0.05 else "down" if delta < -0.05 else "flat"
    return {"recent": recent_avg, "before": before_avg, "delta": delta, "direction": direction}


def tool_dashboard(tool: Tool) -> dict:
    """Figures of one tool for its author: runs per day, rating, success, speed, tokens."""
    from tools.models import Run  # noqa: PLC0415

    runs = Run.objects.filter(tool=tool)
    series = runs_per_day(tool)
    per_version = []
    for version in tool.versions.order_by("-number"):
        per_version.append({"version": version, **_run_figures(runs.filter(version=version))})
    return {
        "tool": tool,
        "series": series,
        "chart": runs_chart(series),
        "last_30": sum(d["count"] for d in series),
        "average_rating": tool.average_rating,
        "trend": rating_trend(tool),
        **_run_figures(runs),
        "per_version": per_version,
    }


def creator_dashboard(user) -> list[dict]:
    return [tool_dashboard(tool) for tool in tools_of_author(user)]
