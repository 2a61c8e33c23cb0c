"""Writes for token budgets: a user's own daily figure (the admin sets it)."""

from __future__ import annotations

from ..models import UsageBudget


def usage_budget_set(*, user, tokens_per_day: int, note: str = "") -> UsageBudget:
    """Give `user` their own daily token budget (0 = unlimited), replacing any earlier one."""
    if tokens_per_day < 0:
        raise ValueError("tokens_per_day must be 0 (unlimited) or more")
    budget, _ = UsageBudget.objects.update_or_create(
        user=user, defaults={"tokens_per_day": tokens_per_day, "note": note}
    )
    return budget
