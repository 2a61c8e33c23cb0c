"""Reads for tools and runs, split by sub-domain; this package's names are its public face."""

from .access import (
    aqueue_position,
    close_connection,
    queue_position,
    release_connection,
    runs_of,
    runs_readable_by,
    tools_listed,
    tools_visible_to,
)
from .run_stats import (
    DASHBOARD_DAYS,
    MedianSeconds,
    run_figures,
    runs_per_day,
    tools_of_author,
    version_run_figures,
)
from .usage import (
    USAGE_DAYS,
    BudgetStatus,
    budget_reset_at,
    budget_status,
    daily_budget,
    tokens_used_today,
    top_tools,
    top_users,
    usage_by_tool,
    usage_per_day,
)

__all__ = [
    "aqueue_position",
    "release_connection",
    "DASHBOARD_DAYS",
    "MedianSeconds",
    "close_connection",
    "queue_position",
    "run_figures",
    "runs_of",
    "runs_per_day",
    "runs_readable_by",
    "tools_listed",
    "tools_of_author",
    "tools_visible_to",
    "version_run_figures",
    "USAGE_DAYS",
    "BudgetStatus",
    "budget_reset_at",
    "budget_status",
    "daily_budget",
    "tokens_used_today",
    "top_tools",
    "top_users",
    "usage_by_tool",
    "usage_per_day",
]
