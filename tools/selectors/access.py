"""Reads for tools and runs: who may see which, and a user's runs."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import connection
from django.db.models import Q, QuerySet

from ..models import Run, Tool


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


def runs_of(user) -> QuerySet[Run]:
    """A user's own runs, newest first (the history page)."""
    if user is None or not user.is_authenticated:
        return Run.objects.none()
    return Run.objects.filter(user=user).select_related("tool", "version").order_by("-queued_at")


def runs_readable_by(user) -> QuerySet[Run]:
    """Runs a user may read: their own, and anyone's shared runs."""
    visible = Q(shared=True)
    if user is not None and user.is_authenticated:
        visible |= Q(user=user)
    return Run.objects.filter(visible).select_related("tool", "version")


def _ahead(run: Run):
    # Each model has its own queue (and workers): only its runs are ahead of this one.
    return Run.objects.filter(
        state=Run.State.QUEUED, model_key=run.model_key, queued_at__lt=run.queued_at
    )


def queue_position(run: Run) -> int | None:
    """1 for the next queued run of its model to start; None once the run left the queue."""
    if run.state != Run.State.QUEUED:
        return None
    return _ahead(run).count() + 1


async def aqueue_position(run: Run) -> int | None:
    if run.state != Run.State.QUEUED:
        return None
    return await _ahead(run).acount() + 1


def close_connection() -> None:
    """Hand this thread's (or request's) database connection back to the pool before a long
    wait. Inside a transaction (a test's) it stays."""
    if not connection.in_atomic_block:
        connection.close()


async def release_connection() -> None:
    """`close_connection` for async code.

    Under ASGI every request has a connection of its own until its response ends, and an
    event stream lasts as long as its run: without this, open streams held all the pooled
    connections and the next page view waited for one (10 s, then an error).
    """
    # The connection is looked up in the sync thread, in the context that used it.
    await sync_to_async(close_connection)()


def thread_turns(run: Run) -> list[Run]:
    """The turns of `run`'s conversation up to and including it, first turn first.

    Follows `parent` links, so a branch (two follow-ups of one turn, possible through the
    API) shows only its own line."""
    by_id = {
        r.pk: r
        for r in Run.objects.filter(thread=run.thread, turn__lt=run.turn).select_related(
            "tool", "version"
        )
    }
    turns = [run]
    while turns[-1].parent_id is not None and turns[-1].parent_id in by_id:
        turns.append(by_id[turns[-1].parent_id])
    return turns[::-1]


def thread_latest(run: Run) -> Run:
    """The newest turn of `run`'s conversation (by the same user), where it goes on."""
    newest = (
        Run.objects.filter(thread=run.thread, user_id=run.user_id)
        .order_by("-turn", "-queued_at")
        .only("pk", "turn")
        .first()
    )
    return newest or run
