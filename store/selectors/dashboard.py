"""The creator dashboard: each of an author's tools with its runs and its rating trend."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from tools.models import Run, Tool
from tools.selectors import (
    DASHBOARD_DAYS,
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
    """Figures of one tool for its author: runs per day, rating, success, speed, tokens."""
    series = runs_per_day(tool)
    return {
        "tool": tool,
        "series": series,
        "chart": runs_chart(series),
        "last_30": sum(d["count"] for d in series),
        "average_rating": tool.average_rating,
        "trend": rating_trend(tool),
        **run_figures(Run.objects.filter(tool=tool)),
        "per_version": version_run_figures(tool),
    }


def creator_dashboard(user) -> list[dict]:
    return [tool_dashboard(tool) for tool in tools_of_author(user)]
