"""Figures about runs for a tool's author: per tool, per version, per day."""

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
    """Runs, success rate, median time to first token and tokens of a Run queryset."""
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


def version_run_figures(tool: Tool) -> list[dict]:
    """`run_figures` of each version of `tool`, newest version first."""
    runs = Run.objects.filter(tool=tool)
    return [
        {"version": version, **run_figures(runs.filter(version=version))}
        for version in tool.versions.order_by("-number")
    ]
