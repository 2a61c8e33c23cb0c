"""Reads for runs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Run


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


def queue_position(run: Run) -> int | None:
    """1 for the next queued run to start; None once the run left the queue."""
    if run.state != Run.State.QUEUED:
        return None
    ahead = Run.objects.filter(state=Run.State.QUEUED, queued_at__lt=run.queued_at).count()
    return ahead + 1


async def aqueue_position(run: Run) -> int | None:
    if run.state != Run.State.QUEUED:
        return None
    ahead = await Run.objects.filter(state=Run.State.QUEUED, queued_at__lt=run.queued_at).acount()
    return ahead + 1
