"""The creator dashboard: each of an author's tools with its runs and its rating trend."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from tools.models import Run, Tool
from tools.selectors import (
    AUTHOR_RUN,
    COUNTED_RUN,
    DASHBOARD_DAYS,
    first_day,
    run_figures,
    runs_per_day,
    tools_of_author,
    version_run_figures,
)

from ..charts import runs_chart
from ..models import Review


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
    """Figures of one tool for its author: counted runs per day (COUNTED_RUN, as everywhere in
    the store), rating, and success, speed and tokens of other people's runs; the author's own
    runs apart, never counted."""
    runs = Run.objects.filter(tool=tool)
    others = runs.exclude(AUTHOR_RUN)
    series = runs_per_day(runs.filter(COUNTED_RUN))
    return {
        "tool": tool,
        "series": series,
        "chart": runs_chart(series),
        "last_30": sum(d["count"] for d in series),
        "own_last_30": runs.filter(AUTHOR_RUN, queued_at__date__gte=first_day()).count(),
        "average_rating": tool.average_rating,
        "trend": rating_trend(tool),
        **run_figures(others),
        "per_version": version_run_figures(tool, runs=others),
    }


def creator_dashboard(user) -> list[dict]:
    return [tool_dashboard(tool) for tool in tools_of_author(user)]
