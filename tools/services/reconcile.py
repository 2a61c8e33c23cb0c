"""The reconciler (Celery beat): rescue runs a dead worker, a lost message or a removed model
left behind."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .. import streams
from ..models import Run
from ..registry import models
from .execution import _lease_alive, run_fail
from .runs import run_enqueue

log = logging.getLogger(__name__)


def run_reconcile(*, now=None) -> dict[str, int]:
    """Re-enqueue queued runs whose message is lost; fail running runs whose worker died and
    queued runs whose model was removed from the registry."""
    now = now or timezone.now()
    r = streams.client()
    failed = _fail_orphans()
    requeued = _requeue_lost(now, r)
    failed += _fail_abandoned(now, r)
    if requeued or failed:
        log.info("reconciler: %d re-enqueued, %d failed", requeued, failed)
    return {"requeued": requeued, "failed": failed}


def _fail_orphans() -> int:
    """Queued for a model the operator has since removed: no worker will ever take them."""
    failed = 0
    gone = Run.objects.filter(state=Run.State.QUEUED).exclude(model_key__in=["", *models()])
    for run in gone[:1000]:
        if run_fail(
            run=run,
            error=f"The model {run.model_key} is no longer offered by this store.",
            code=Run.ErrorCode.MODEL_UNAVAILABLE,
        ):
            failed += 1
    return failed


def _requeue_lost(now, r) -> int:
    requeued = 0
    stale_queued = Run.objects.filter(
        state=Run.State.QUEUED,
        queued_at__lt=now - timedelta(seconds=settings.GPTSTORE_REQUEUE_AFTER),
    ).values_list("pk", flat=True)[:1000]
    for run_id in stale_queued:
        if not r.exists(streams.enqueued_key(run_id)):
            task_id = str(uuid.uuid4())
            # A worker may have claimed the run (and dropped its marker) since the query above;
            # the state check here is what keeps a duplicate message from being sent.
            still_queued = Run.objects.filter(pk=run_id, state=Run.State.QUEUED).update(
                task_id=task_id
            )
            if still_queued and run_enqueue(run_id=run_id, task_id=task_id):
                requeued += 1
    return requeued


def _fail_abandoned(now, r) -> int:
    """Running runs whose worker's lease lapsed (it died) or that ran past the hard limit."""
    failed = 0
    grace = timedelta(seconds=settings.GPTSTORE_RUN_LEASE_TTL * 2)
    hard = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    for run in Run.objects.filter(state=Run.State.RUNNING, started_at__lt=now - grace)[:1000]:
        too_long = run.started_at < now - hard
        if not too_long and _lease_alive(run.pk):
            continue
        msg = (
            "This run took too long and was stopped; the partial output is kept."
            if too_long
            else "The worker running this stopped unexpectedly; the partial output is kept. "
            "Please run it again."
        )
        if too_long:
            streams.request_cancel(run.pk)
        code = Run.ErrorCode.TIMEOUT if too_long else Run.ErrorCode.WORKER_LOST
        output = streams.streamed_text(run.pk, r)
        if run_fail(run=run, error=msg, code=code, output=output, only_attempt=run.attempts):
            failed += 1
    return failed
