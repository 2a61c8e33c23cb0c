"""Writes for runs from the worker side: claim, execute on the engine, complete, fail,
and the reconciler that rescues runs a dead worker or a lost message left behind."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ApplicationError

from .. import streams
from ..models import Run
from ..registry import get_model
from ..sampling import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
    prompt_limit,
)
from ..selectors import close_connection
from .runs import publish_final, run_enqueue
from .tools import tool_run_count_increment

log = logging.getLogger(__name__)


def _lease_alive(run_id) -> bool:
    return bool(streams.client().exists(streams.lease_key(run_id)))


class RunFailure(ApplicationError):
    """Why the worker gave up on a run: stored on it as `error_code` and `error`."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        output: str | None = None,
        reason: str = Run.FinishReason.ERROR,
    ):
        super().__init__(message, code=code)
        self.output, self.reason = output, reason


def run_fail(
    *,
    run: Run,
    error: str,
    code: str = Run.ErrorCode.ENGINE_ERROR,
    output: str | None = None,
    only_attempt: int | None = None,
    reason: str = Run.FinishReason.ERROR,
) -> bool:
    """Mark a live run failed with a message for the user; False if it was already final."""
    qs = Run.objects.filter(pk=run.pk, state__in=Run.LIVE_STATES)
    if only_attempt is not None:
        qs = qs.filter(attempts=only_attempt)
    fields = {
        "state": Run.State.FAILED,
        "finish_reason": reason,
        "error": error[:500],
        "error_code": code,
        "finished_at": timezone.now(),
    }
    if output is not None:
        fields["output"] = output
    if not qs.update(**fields):
        return False
    run.refresh_from_db()
    publish_final(run)
    return True


def run_claim(*, run_id, task_id: str = "") -> Run | None:
    """Take a run for this worker, or None when it must be skipped (final, or held by a live
    worker). A run left `running` by a dead worker is taken over, up to the attempts cap."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            log.warning("run %s does not exist; skipping", run_id)
            return None
        if run.is_final:
            return None
        if run.state == Run.State.RUNNING and _lease_alive(run.pk):
            return None
        if run.attempts >= settings.GPTSTORE_RUN_MAX_ATTEMPTS:
            run_fail(
                run=run,
                error=f"This run was stopped after {run.attempts} attempts; please try again.",
                code=Run.ErrorCode.TOO_MANY_ATTEMPTS,
                output=streams.streamed_text(run.pk),
            )
            return None
        run.state = Run.State.RUNNING
        run.attempts = F("attempts") + 1
        run.started_at = timezone.now()
        if task_id:
            run.task_id = task_id
        run.save(update_fields=["state", "attempts", "started_at", "task_id"])
        run.refresh_from_db()
        from ..worker import supervisor

        supervisor.track(run.pk)  # the lease exists before the row lock is released
    return run


def _messages(run: Run, chat: bool) -> tuple[str | None, list[dict] | None]:
    if run.messages:  # the OpenAI-compatible API's chat messages, as they came
        return None, run.messages
    if run.raw_prompt:  # /v1/completions: the text as it is, no chat template
        return run.prompt, None
    if chat:
        msgs = [{"role": "system", "content": run.system_prompt}] if run.system_prompt else []
        return None, [*msgs, {"role": "user", "content": run.prompt}]
    return ("\n\n".join(p for p in (run.system_prompt, run.prompt) if p)), None


def run_execute(*, run_id, task_id: str = "") -> Run | None:
    """Generate a run's output with this process's engine (called by the Celery task)."""
    from ..worker import supervisor

    if _forwarded(run_id):
        return None
    run = run_claim(run_id=run_id, task_id=task_id)
    if run is None:
        return None
    attempt = run.attempts
    try:
        _announce(run, attempt)
        return _generate(run, attempt)
    except RunFailure as exc:
        run_fail(
            run=run,
            error=exc.message,
            code=exc.code,
            output=exc.output,
            only_attempt=attempt,
            reason=exc.reason,
        )
        return run
    finally:
        supervisor.untrack(run.pk)


def _forwarded(run_id) -> bool:
    """Send a run this worker does not serve the model of to that model's queue (a message
    of the shared `inference` queue, or a worker whose models changed); True if sent."""
    from ..registry import get_model, worker_models

    model_key = Run.objects.filter(pk=run_id).values_list("model_key", flat=True).first()
    spec = get_model(model_key or "") if model_key is not None else None
    if spec is None or spec.id in {m.id for m in worker_models()}:
        return False  # served here, or gone: the claim decides
    log.info("run %s is for the model %s, not served here: forwarded", run_id, spec.id)
    run_enqueue(run_id=run_id, task_id=str(uuid.uuid4()))
    return True


def _announce(run: Run, attempt: int) -> None:
    r = streams.client()
    r.delete(streams.enqueued_key(run.pk))
    if attempt > 1:
        streams.publish(run.pk, {"type": "reset", "attempt": attempt}, r)
    streams.publish(run.pk, {"type": "state", "state": "running", "attempt": attempt}, r)


def _engine(run: Run):
    from ..worker.engine import get_engine

    try:
        return get_engine(run.model_key)
    except Exception as exc:
        log.exception("engine failed to load")
        raise RunFailure(
            f"The model could not be loaded ({type(exc).__name__}).",
            code=Run.ErrorCode.MODEL_UNAVAILABLE,
        ) from exc


def _params(run: Run):
    from inference import SamplingParams

    s = run.sampling
    return SamplingParams(
        temperature=float(s.get("temperature", DEFAULT_TEMPERATURE)),
        top_p=float(s.get("top_p", DEFAULT_TOP_P)),
        max_new_tokens=min(
            int(s.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)),
            settings.GPTSTORE_MAX_NEW_TOKENS,
        ),
        seed=s.get("seed"),
        stop=tuple(s.get("stop") or ()),
        deadline_s=float(settings.CELERY_TASK_SOFT_TIME_LIMIT),
        frequency_penalty=float(s.get("frequency_penalty", 0.0)),
        presence_penalty=float(s.get("presence_penalty", 0.0)),
    )


def _submit(engine, run: Run, on_text):
    """Hand the run to the engine; its refusals become the run's failure."""
    from inference import EngineError, PromptTooLong, QueueFull

    from ..worker.engine import is_chat

    prompt, messages = _messages(run, is_chat(run.model_key))
    params = _params(run)
    spec = get_model(run.model_key)
    cap = (
        prompt_limit(context_length=spec.context_length, max_new_tokens=params.max_new_tokens)
        if spec is not None
        else settings.GPTSTORE_MAX_PROMPT_TOKENS
    )
    n_prompt = engine.count_tokens(prompt, messages=messages)
    if n_prompt > cap:
        raise RunFailure(
            f"The prompt is {n_prompt} tokens; the limit is {cap}. Shorten your inputs.",
            code=Run.ErrorCode.PROMPT_TOO_LONG,
        )
    try:
        return engine.submit(prompt, messages=messages, params=params, on_text=on_text)
    except PromptTooLong as exc:
        raise RunFailure(
            f"The prompt is too long for the model: {exc}", code=Run.ErrorCode.PROMPT_TOO_LONG
        ) from exc
    except QueueFull as exc:
        raise RunFailure(
            "The engine is overloaded right now; please try again.",
            code=Run.ErrorCode.ENGINE_BUSY,
        ) from exc
    except EngineError as exc:
        raise RunFailure(
            f"The engine refused the run: {exc}", code=Run.ErrorCode.ENGINE_ERROR
        ) from exc


def _generate(run: Run, attempt: int) -> Run:
    from ..worker import outbox, supervisor

    engine = _engine(run)
    pieces: list[str] = []
    first: list = []
    run_key = str(run.pk)

    def on_text(piece: str) -> None:
        # Runs in the engine thread: keep it to appends.
        urgent = not first
        if urgent:
            first.append(timezone.now())
        pieces.append(piece)
        outbox.put(run_key, piece, urgent=urgent)

    outbox.start()
    handle = _submit(engine, run, on_text)
    supervisor.attach(run.pk, handle)
    # Generation can take minutes: hand the connection back (to the pool) meanwhile, so a
    # few connections serve all of the worker's task threads.
    close_connection()
    try:
        # The engine deadline (soft limit) normally ends it; this is the hard stop.
        result = handle.result(timeout=float(settings.CELERY_TASK_TIME_LIMIT))
    except TimeoutError as exc:
        handle.cancel()
        outbox.flush()
        raise RunFailure(
            "This run took too long and was stopped; the partial output is kept.",
            code=Run.ErrorCode.TIMEOUT,
            output="".join(pieces),
            reason=Run.FinishReason.TIMEOUT,
        ) from exc
    outbox.flush()  # every text event is in the stream before the final one
    first_token_at = first[0] if first else None
    return run_complete(
        run=run, attempt=attempt, pieces=pieces, result=result, first_token_at=first_token_at
    )


def run_complete(*, run: Run, attempt: int, pieces: list[str], result, first_token_at=None) -> Run:
    """Store an attempt's result once (only if that attempt still owns the run) and publish
    the final event. Also used by tests to drive a run's end without the model."""
    text = "".join(pieces)
    if result.text != text:
        if result.text.startswith(text):
            streams.publish_text(run.pk, result.text[len(text) :])
            text = result.text
        else:
            log.warning("run %s: engine text differs from the streamed text", run.pk)
    reason = result.finish_reason
    state, error, code = Run.State.SUCCEEDED, "", ""
    if reason == "cancelled":
        state = Run.State.CANCELLED
    elif reason == "timeout":
        state, code = Run.State.FAILED, Run.ErrorCode.TIMEOUT
        error = "The run hit the time limit; the partial output is kept."
    elif reason == "error":
        state, code, error = Run.State.FAILED, *_engine_failure(result)
        log.error("run %s failed in the engine: %s", run.pk, result.error)
    now = timezone.now()
    if first_token_at is None and result.completion_tokens:
        first_token_at = now
    updated = Run.objects.filter(pk=run.pk, state=Run.State.RUNNING, attempts=attempt).update(
        state=state,
        finish_reason=reason,
        error=error,
        error_code=code,
        output=text,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        first_token_at=first_token_at,
        finished_at=now,
    )
    run.refresh_from_db()
    if not updated:
        log.warning(
            "run %s attempt %s finished after losing the run; result dropped", run.pk, attempt
        )
        return run
    if state == Run.State.SUCCEEDED and run.tool_id is not None:
        tool_run_count_increment(run=run)
    publish_final(run)
    from ..worker import supervisor

    supervisor.write_metrics()
    return run


def _engine_failure(result) -> tuple[str, str]:
    """(error code, message for the user) of a run its engine ended with "error". A remote
    model's server says why (inference.RemoteEngine's `error_code`)."""
    kind = getattr(result, "error_code", None)
    if kind == "unavailable":
        return (
            Run.ErrorCode.MODEL_UNAVAILABLE,
            "The model's server could not be reached; please try again later.",
        )
    if kind == "refused":
        return Run.ErrorCode.ENGINE_ERROR, f"The model's server refused this run: {result.error}"
    if kind == "server_error":
        return (
            Run.ErrorCode.ENGINE_ERROR,
            "The model's server failed while answering; the partial output is kept.",
        )
    return (
        Run.ErrorCode.ENGINE_ERROR,
        "The engine failed while generating this answer; please try again.",
    )
