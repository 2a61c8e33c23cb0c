"""A user's run history as conversations: one entry per thread, its latest turn first.

A thread's turns share its first turn's id (`Run.thread`); the entry links to the latest
turn and shows the first turn's inputs and answer. Tool runs are previewed and searched by
what the user typed (their inputs, their follow-ups), never by the rendered prompt, which
holds the tool's prompt template (secret unless its author shares it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.timesince import timesince

from ..answers import plain_text
from ..models import Run, Tool
from .usage import SPENT

# The tool filter's value for runs of the base model itself (the OpenAI-compatible API);
# no slug can hold "~".
API_RUNS = "~api"
MAX_QUERY_CHARS = 200
PREVIEW_CHARS = 240


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    latest: Run
    first: Run
    turns: int
    tokens: int

    @property
    def asked(self) -> str:
        """What the user asked first: their inputs for a tool, their message for the API."""
        first = self.first
        if first.tool_id is not None:
            return plain_preview(" · ".join(_input_texts(first)))
        if first.messages:
            users = [m for m in first.messages if isinstance(m, dict) and m.get("role") == "user"]
            if users:
                return plain_preview(str(users[-1].get("content", "")))
        return plain_preview(first.prompt)

    @property
    def answer(self) -> str:
        """The first answer as one line of plain text: a preview shows no Markdown marks."""
        return plain_preview(self.first.output)

    @property
    def ago(self) -> str:
        """When the latest turn was asked, e.g. "5 minutes ago"."""
        if (timezone.now() - self.latest.queued_at).total_seconds() < 60:
            return "just now"
        return timesince(self.latest.queued_at, timezone.now(), depth=1) + " ago"

    @property
    def when(self) -> datetime:
        return self.latest.queued_at


def plain_preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """`text` as one line of plain words, without Markdown's marks, cut at `limit`."""
    text = plain_text(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _input_texts(run: Run) -> list[str]:
    inputs = run.inputs if isinstance(run.inputs, dict) else {}
    schema = run.version.input_schema if run.version is not None else None
    names = [s["name"] for s in schema or [] if isinstance(s, dict) and "name" in s]
    names += [k for k in inputs if k not in names]
    values = (inputs.get(name) for name in names)
    return [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]


class InputsContain(Func):
    """True where a value of the run's inputs contains the pattern (ILIKE). Keys are not
    searched: they are the tool's field names, not what the user wrote."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        pattern, pattern_params = compiler.compile(self.source_expressions[1])
        # Only an object has values to search; anything else searches as empty.
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_each_text(CASE WHEN jsonb_typeof({column}) = 'object'"
            f" THEN {column} ELSE '{{}}'::jsonb END) AS kv"
            f" WHERE kv.value ILIKE {pattern} ESCAPE '\\')"
        )
        return sql, (*column_params, *column_params, *pattern_params)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search(runs: QuerySet[Run], q: str) -> QuerySet[Run]:
    """Runs whose answer, or whatever the user wrote for them, contains `q`."""
    own_prompt = Q(turn__gt=1) | Q(tool__isnull=True)
    typed = InputsContain(F("inputs"), Value(_like(q)))
    return runs.alias(typed=typed).filter(
        Q(output__icontains=q)
        | (own_prompt & Q(prompt__icontains=q))
        | Q(tool__isnull=False, turn=1, typed=True)
    )


def threads_of(*, user, tool: str = "", state: str = "", q: str = "") -> QuerySet[Run]:
    """The latest turn of each of `user`'s threads, newest first.

    `tool`: a tool's slug, or API_RUNS for runs of the base model; `state`: the latest turn's
    state; `q`: text somewhere in the thread's answers or in what the user wrote (any turn).
    Empty means no filter; the caller passes only values it checked."""
    if user is None or not user.is_authenticated:
        return Run.objects.none()
    mine = Run.objects.filter(user=user).order_by()
    if tool == API_RUNS:
        mine = mine.filter(tool__isnull=True)
    elif tool:
        mine = mine.filter(tool__slug=tool)
    if q:
        mine = mine.filter(thread__in=_search(Run.objects.filter(user=user), q).values("thread"))
    # DISTINCT ON keeps the first row of each thread in this order: its latest turn.
    latest = mine.order_by("thread", "-queued_at", "-turn").distinct("thread").values("pk")
    runs = Run.objects.filter(pk__in=latest)
    if state:
        runs = runs.filter(state=state)
    return runs.select_related("tool", "version").order_by("-queued_at", "-pk")


def thread_entries(runs: list[Run]) -> list[ThreadEntry]:
    """Entries for the latest turns in `runs` (a page of `threads_of`): each with its first
    turn, its number of turns and the tokens all its turns spent (prompt + completion)."""
    threads = [run.thread for run in runs]
    firsts = Run.objects.select_related("tool", "version").in_bulk(threads)
    figures = {
        row["thread"]: row
        for row in Run.objects.filter(thread__in=threads)
        .order_by()
        .values("thread")
        .annotate(turns=Count("pk"), tokens=Sum(SPENT))
    }
    return [
        ThreadEntry(
            latest=run,
            first=firsts.get(run.thread, run),
            turns=figures.get(run.thread, {}).get("turns") or 1,
            tokens=figures.get(run.thread, {}).get("tokens") or 0,
        )
        for run in runs
    ]


def history_tools(*, user) -> list[Tool]:
    """The tools `user` has run, by name: the choices of the history's tool filter."""
    if user is None or not user.is_authenticated:
        return []
    return list(Tool.objects.filter(runs__user=user).distinct().order_by("name", "pk"))


def history_has_api_runs(*, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Run.objects.filter(user=user, tool__isnull=True).exists()


def thread_of(*, user, thread) -> QuerySet[Run]:
    """The turns of one of `user`'s threads (empty for anyone else's), first turn first."""
    if user is None or not user.is_authenticated:
        return Run.objects.none()
    return (
        Run.objects.filter(user=user, thread=thread)
        .select_related("tool", "version")
        .order_by("turn", "queued_at")
    )
