"""Celery interface to the run services: thin, idempotent tasks with stable names."""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from celery.signals import celeryd_after_setup, task_postrun, worker_init, worker_shutdown
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import services

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)


@shared_task(
    name="tools.run_execute",
    bind=True,
    acks_late=True,  # a worker killed mid-run leaves the message to be redelivered
    reject_on_worker_lost=True,
    ignore_result=True,
    # Enforced by prefork pools; the thread pool relies on the engine deadline (the soft
    # limit, passed as deadline_s) and on the reconciler for the hard one.
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    autoretry_for=TRANSIENT,
    max_retries=3,
    retry_backoff=1,
    retry_backoff_max=10,
)
def run_execute(self, run_id: str) -> None:
    # Idempotent: a run already final, or held by a live worker, is skipped by the claim.
    services.run_execute(run_id=run_id, task_id=self.request.id or "")


@shared_task(name="tools.run_reconcile", ignore_result=True)
def run_reconcile() -> dict:
    return services.run_reconcile()


def _consumes_inference(sender) -> bool:
    try:
        return any(q.startswith("inference") for q in sender.app.amqp.queues.consume_from)
    except (AttributeError, TypeError):
        return False


@celeryd_after_setup.connect
def _model_queues(sender=None, instance=None, **kwargs) -> None:
    """An inference worker (one that consumes `inference`) also consumes the queue of each
    model it serves (GPTSTORE_WORKER_MODELS), so its command line stays the same whatever
    the models; `inference` itself only holds messages sent before per-model queues, which
    run_execute forwards."""
    if instance is None or not _consumes_inference(instance):
        return
    from .registry import worker_models

    for spec in worker_models():
        instance.app.amqp.queues.select_add(spec.queue)


@worker_init.connect
def _warm_up(sender=None, **kwargs) -> None:
    """Build the engine before the worker consumes anything.

    Synchronous on purpose: loading two models at once in one process is not safe in
    transformers (its empty-weights loading patches torch globally), and the default queue's
    tasks may load the search embedding model. Failure is logged; the first run reports it.
    """
    if not settings.GPTSTORE_ENGINE_WARMUP or not _consumes_inference(sender):
        return
    from .registry import worker_models
    from .worker import supervisor
    from .worker.engine import get_engine

    for spec in worker_models():
        try:
            get_engine(spec.id)
        except Exception:
            log.exception("engine warm-up failed for %s", spec.id)
    supervisor.start()
    supervisor.write_metrics()


@worker_shutdown.connect
def _close_engine(**kwargs) -> None:
    from .worker import supervisor
    from .worker.engine import close_engine

    supervisor.stop()
    close_engine()


@task_postrun.connect
def _release_openmp_pool(**kwargs) -> None:
    """Runs in the task's pool thread. A task that used torch there (search embeddings on the
    default queue) leaves an OpenMP pool behind, and a second pool throttles the engine's
    (inference/threads.py): after one tool was saved, a single stream in the worker fell from
    ~50 to ~29 tokens/s."""
    from inference.threads import release_thread_pool

    release_thread_pool()
