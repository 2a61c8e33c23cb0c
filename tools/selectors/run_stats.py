"""Which runs count, and figures about runs for a tool's author: per tool, per version, per
day."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Run, Tool

DASHBOARD_DAYS = 30

# The one definition of a counted run, behind every run count the store shows: the stored
# `Tool.run_count` (cards, the tool page, the REST API, "Most used"), Trending and the
# creator dashboard. A failed, cancelled or unfinished run says nothing about whether people
# find a tool useful, and an author trying their own tool would let anyone make theirs
# popular. A run of the base model (no tool) is never counted, and a conversation counts
# once, by its first turn: chatting on with follow-ups says no more than the first answer did.
COUNTED_RUN = Q(state=Run.State.SUCCEEDED, tool__isnull=False, parent__isnull=True) & ~Q(
    user_id=F("tool__author_id")
)
# A run the tool's author started: their tests in the builder and their tries of the tool.
AUTHOR_RUN = Q(tool__isnull=False, user_id=F("tool__author_id"))


def runs_counted() -> QuerySet[Run]:
    """Every counted run (COUNTED_RUN), of every tool."""
    return Run.objects.filter(COUNTED_RUN)


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


def run_figures(qs) -> dict:
    """Runs (all of `qs`), counted runs, success rate, median time to first token and tokens
    of a Run queryset."""
    ttft = ExpressionWrapper(F("first_token_at") - F("queued_at"), output_field=DurationField())
    agg = qs.aggregate(
        runs=Count("pk"),
        counted=Count("pk", filter=COUNTED_RUN),
        finished=Count("pk", filter=Q(state__in=Run.FINAL_STATES)),
        succeeded=Count("pk", filter=Q(state=Run.State.SUCCEEDED)),
        tokens=Sum("completion_tokens"),
        median_ttft=MedianSeconds(ttft),
    )
    finished = agg["finished"]
    return {
        "runs": agg["runs"],
        "counted": agg["counted"],
        "success_rate": round(100 * agg["succeeded"] / finished) if finished else None,
        "median_ttft": None if agg["median_ttft"] is None else round(agg["median_ttft"], 2),
        "tokens": agg["tokens"] or 0,
    }


def first_day(*, days: int = DASHBOARD_DAYS, today=None):
    """The first of the last `days` days, today included (local dates)."""
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def runs_per_day(runs: QuerySet[Run], *, days: int = DASHBOARD_DAYS, today=None) -> list[dict]:
    """[{day, count}] of `runs` for each of the last `days` days (oldest first, today last)."""
    start = first_day(days=days, today=today)
    counts = dict(
        runs.filter(queued_at__date__gte=start)
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


def version_run_figures(tool: Tool, *, runs: QuerySet[Run] | None = None) -> list[dict]:
    """`run_figures` of each version of `tool` (over `runs`, by default all the tool's runs),
    newest version first."""
    runs = Run.objects.filter(tool=tool) if runs is None else runs
    return [
        {"version": version, **run_figures(runs.filter(version=version))}
        for version in tool.versions.order_by("-number")
    ]
