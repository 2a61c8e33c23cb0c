"""Deleting a conversation from a user's history: the user's own data, all its turns."""

from __future__ import annotations

import uuid
from datetime import UTC

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import TruncDate

from ..models import DeletedUsage, Run
from ..selectors.usage import SPENT
from .runs import RunError


class ThreadLive(RunError):
    """A turn of the thread is still queued or running."""

    code = "thread_live"
    status = 409


def thread_delete(*, user, thread: uuid.UUID) -> int:
    """Delete every turn of `user`'s thread `thread`; returns how many runs went.

    Anyone else's thread, or none, deletes nothing (0). A thread with a turn still queued or
    running is refused (ThreadLive) rather than cancelled here: a running turn's worker
    writes its answer when it ends, so the user cancels it (or lets it finish) first. The
    turns are locked while they are checked, so a worker cannot claim one in between.
    """
    if user is None or not user.is_authenticated:
        return 0
    with transaction.atomic():
        turns = list(
            Run.objects.select_for_update().filter(user=user, thread=thread).only("pk", "state")
        )
        if not turns:
            return 0
        if any(turn.state in Run.LIVE_STATES for turn in turns):
            raise ThreadLive(
                "This conversation is still running. Open it and cancel it, or wait for the "
                "answer, then delete it."
            )
        doomed = Run.objects.filter(pk__in=[t.pk for t in turns])
        _keep_usage(user=user, runs=doomed)
        _, by_model = doomed.delete()
    return by_model.get(Run._meta.label, 0)


def _keep_usage(*, user, runs) -> None:
    """Carry the deleted runs' tokens into DeletedUsage, per UTC day they were queued."""
    per_day = (
        runs.annotate(day=TruncDate("queued_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(tokens=Sum(SPENT))
    )
    for row in per_day:
        if not row["tokens"]:
            continue
        kept, _ = DeletedUsage.objects.get_or_create(user=user, day=row["day"])
        DeletedUsage.objects.filter(pk=kept.pk).update(tokens=F("tokens") + row["tokens"])
