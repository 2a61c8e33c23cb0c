"""A user's own token usage: per day, per tool, and what is left of today's budget."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def usage(request):
    status = selectors.budget_status(request.user)
    days = selectors.usage_per_day(request.user)
    context = {
        "status": status,
        "days": days,
        "active_days": [d for d in days if d["runs"]],
        "total_tokens": sum(d["tokens"] for d in days),
        "total_runs": sum(d["runs"] for d in days),
        "by_tool": selectors.usage_by_tool(request.user),
        "window": selectors.USAGE_DAYS,
    }
    return render(request, "tools/usage.html", context)
