"""Token usage: what a user spent per UTC day, their budget, and the heaviest users and tools.

A run counts on the UTC day it was queued. A finished run counts its prompt + completion
tokens as the worker measured them; a run still queued or running counts what it may still
spend (its prompt estimate + `max_new_tokens`), so admission never lets concurrent runs
overspend a budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ..models import DeletedUsage, Run, Tool, UsageBudget
from ..prompt_tokens import count_prompt_tokens

USAGE_DAYS = 30
MESSAGE_OVERHEAD = 4  # per chat message, as run_create_base estimates a chat prompt

SPENT = Coalesce(F("prompt_tokens"), Value(0)) + Coalesce(F("completion_tokens"), Value(0))


def utc_day_start(now: datetime | None = None) -> datetime:
    """00:00 UTC of the current budget day."""
    now = (now or timezone.now()).astimezone(UTC)
    return datetime.combine(now.date(), time.min, tzinfo=UTC)


def budget_reset_at(now: datetime | None = None) -> datetime:
    """When today's budget starts again: the next 00:00 UTC."""
    return utc_day_start(now) + timedelta(days=1)


def daily_budget(user) -> int:
    """Tokens `user` may spend per UTC day; 0 = unlimited. Their own figure beats the default."""
    own = UsageBudget.objects.filter(user=user).values_list("tokens_per_day", flat=True).first()
    return settings.GPTSTORE_DAILY_TOKEN_BUDGET if own is None else own


def run_prompt_estimate(*, system_prompt: str, prompt: str, messages: list | None) -> int:
    """The web side's prompt-token estimate of a run, as run_create counts it: its chat
    messages when it has them (the OpenAI-compatible API, follow-ups), else its system
    prompt and prompt."""
    if messages:
        text = "\n\n".join(str(m.get("content", "")) for m in messages)
        return count_prompt_tokens("", text) + MESSAGE_OVERHEAD * len(messages)
    return count_prompt_tokens(system_prompt or "", prompt or "")


def run_reservation(run: Run) -> int:
    """Tokens a live run may still spend: its prompt estimate + max_new_tokens."""
    estimate = run.prompt_tokens or run_prompt_estimate(
        system_prompt=run.system_prompt, prompt=run.prompt, messages=run.messages
    )
    limit = int((run.sampling or {}).get("max_new_tokens") or 0)
    return max(estimate + limit, (run.prompt_tokens or 0) + (run.completion_tokens or 0))


def tokens_used_today(user, *, now: datetime | None = None) -> int:
    """Tokens `user` spent today (UTC), counting runs in flight at their reservation."""
    today = Run.objects.filter(user=user, queued_at__gte=utc_day_start(now)).order_by()
    spent = today.exclude(state__in=Run.LIVE_STATES).aggregate(n=Sum(SPENT))["n"] or 0
    live = today.filter(state__in=Run.LIVE_STATES).only(
        "system_prompt", "prompt", "messages", "sampling", "prompt_tokens", "completion_tokens"
    )
    deleted = DeletedUsage.objects.filter(user=user, day=utc_day_start(now).date())
    kept = deleted.values_list("tokens", flat=True).first() or 0
    return spent + kept + sum(run_reservation(run) for run in live)


@dataclass(frozen=True)
class BudgetStatus:
    budget: int  # 0 = unlimited
    used: int
    reset_at: datetime

    @property
    def unlimited(self) -> bool:
        return self.budget == 0

    @property
    def left(self) -> int | None:
        return None if self.unlimited else max(self.budget - self.used, 0)

    @property
    def percent_used(self) -> int | None:
        return None if self.unlimited else min(100, round(100 * self.used / self.budget))


def budget_status(user, *, now: datetime | None = None) -> BudgetStatus:
    return BudgetStatus(
        budget=daily_budget(user),
        used=tokens_used_today(user, now=now),
        reset_at=budget_reset_at(now),
    )


def _window(days: int, now: datetime | None) -> datetime:
    return utc_day_start(now) - timedelta(days=days - 1)


def _counted(qs: QuerySet) -> QuerySet:
    """Finished runs count what they spent; live runs count 0 here (they show as runs)."""
    return qs.annotate(
        spent=Coalesce(
            Sum(SPENT, filter=~Q(state__in=Run.LIVE_STATES)), Value(0), output_field=IntegerField()
        ),
        n_runs=Count("pk"),
    )


def usage_per_day(user, *, days: int = USAGE_DAYS, now: datetime | None = None) -> list[dict]:
    """[{day, tokens, runs}] for each of the last `days` UTC days, newest first."""
    start = _window(days, now)
    rows = _counted(
        Run.objects.filter(user=user, queued_at__gte=start)
        .annotate(day=TruncDate("queued_at", tzinfo=UTC))
        .order_by()
        .values("day")
    )
    by_day = {row["day"]: row for row in rows}
    deleted = dict(
        DeletedUsage.objects.filter(user=user, day__gte=start.date()).values_list("day", "tokens")
    )
    out = []
    for i in range(days - 1, -1, -1):
        day = (start + timedelta(days=i)).date()
        row = by_day.get(day, {})
        tokens = row.get("spent", 0) + deleted.get(day, 0)
        out.append({"day": day, "tokens": tokens, "runs": row.get("n_runs", 0)})
    return out


def usage_by_tool(user, *, days: int = USAGE_DAYS, now: datetime | None = None) -> list[dict]:
    """[{tool, tokens, runs}] over the last `days` UTC days, most tokens first; `tool` is
    None for runs of the base model itself (the OpenAI-compatible API)."""
    rows = _counted(
        Run.objects.filter(user=user, queued_at__gte=_window(days, now)).order_by().values("tool")
    ).order_by("-spent", "-n_runs")
    tools = Tool.objects.in_bulk([r["tool"] for r in rows if r["tool"] is not None])
    return [{"tool": tools.get(r["tool"]), "tokens": r["spent"], "runs": r["n_runs"]} for r in rows]


def top_users(*, days: int, limit: int = 20, now: datetime | None = None) -> list[dict]:
    """[{user, tokens, runs, budget}] of the users who spent most over the last `days` days."""
    rows = list(
        _counted(
            Run.objects.filter(queued_at__gte=_window(days, now)).order_by().values("user")
        ).order_by("-spent", "-n_runs")[:limit]
    )
    users = get_user_model().objects.in_bulk([r["user"] for r in rows])
    own = dict(UsageBudget.objects.filter(user__in=users).values_list("user_id", "tokens_per_day"))
    default = settings.GPTSTORE_DAILY_TOKEN_BUDGET
    return [
        {
            "user": users[r["user"]],
            "tokens": r["spent"],
            "runs": r["n_runs"],
            "budget": own.get(r["user"], default),
        }
        for r in rows
    ]


def top_tools(*, days: int, limit: int = 20, now: datetime | None = None) -> list[dict]:
    """[{tool, tokens, runs}] of the tools whose runs spent most over the last `days` days
    (runs of the base model itself are one row with `tool` None)."""
    rows = list(
        _counted(
            Run.objects.filter(queued_at__gte=_window(days, now)).order_by().values("tool")
        ).order_by("-spent", "-n_runs")[:limit]
    )
    tools = Tool.objects.in_bulk([r["tool"] for r in rows if r["tool"] is not None])
    return [{"tool": tools.get(r["tool"]), "tokens": r["spent"], "runs": r["n_runs"]} for r in rows]
