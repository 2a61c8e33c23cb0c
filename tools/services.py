"""Writes for runs. Views, the API and Celery tasks call these; they stay thin.

Life of a run: `run_create` (web) stores it `queued` and enqueues the task after commit;
`run_execute` (worker) claims it, streams the engine's text to Redis and stores the result
once; `run_cancel` (web) stops it; `run_reconcile` (beat) re-enqueues lost queued runs and
fails runs whose worker died.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from datetime import timedelta
from functools import partial

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from store.models import Tool, ToolVersion
from store.services import clean_sampling, tool_run_count_increment

from . import streams
from .models import Run
from .schema import SchemaError, normalize_schema, render, validate_inputs
from .selectors import close_connection
from .tokens import count_prompt_tokens

log = logging.getLogger(__name__)

DEFAULT_MAX_NEW_TOKENS = 256
DEFAULT_TEMPERATURE = 0.7


class RunError(Exception):
    """A run cannot be created or changed; the message is meant for the user."""


class RunLimitExceeded(RunError):
    pass


# --- create -----------------------------------------------------------------------------------


def sampling_for(*, version: ToolVersion, overrides: dict | None = None) -> dict:
    """The sampling parameters a run uses: tool defaults, then overrides, capped server-side."""
    chosen = {**(version.sampling_defaults or {}), **clean_sampling(overrides or {})}
    cap = settings.GPTSTORE_MAX_NEW_TOKENS
    return {
        "temperature": float(chosen.get("temperature", DEFAULT_TEMPERATURE)),
        "top_p": float(chosen.get("top_p", 1.0)) or 1.0,
        "max_new_tokens": max(
            1, min(int(chosen.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)), cap)
        ),
        "seed": random.randrange(2**31),
    }


def run_create(
    *,
    tool: Tool,
    user,
    inputs: dict,
    version: ToolVersion | None = None,
    sampling: dict | None = None,
    extra_sampling: dict | None = None,
    model: str = "",
) -> Run:
    """Validate, render and store a queued run; the task is enqueued after commit.

    `extra_sampling` (the OpenAI-compatible API) sets `seed` and `stop` after the tool's
    defaults; see `api_sampling`. Raises SchemaError (field errors: nothing stored),
    RunLimitExceeded or RunError.
    """
    version = version or tool.current_version
    if version is None or version.tool_id != tool.pk:
        raise RunError("This tool has no published version to run yet.")
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to run tools.")
    schema = normalize_schema(version.input_schema)
    clean = validate_inputs(schema, inputs)
    prompt = render(version.prompt_template, clean)
    system = version.system_prompt or ""
    n_tokens = count_prompt_tokens(system, prompt)
    cap = settings.GPTSTORE_MAX_PROMPT_TOKENS
    if n_tokens > cap:
        raise SchemaError(
            {
                "__all__": [
                    f"The prompt is too long: about {n_tokens} tokens, the limit is {cap}. "
                    "Shorten your inputs."
                ]
            }
        )
    params = sampling_for(version=version, overrides=sampling)
    params.update(extra_sampling or {})
    return _run_insert_capped(
        user=user,
        tool=tool,
        version=version,
        inputs=clean,
        system_prompt=system,
        prompt=prompt,
        sampling=params,
        model=model,
    )


def _run_insert_capped(*, user, **fields) -> Run:
    """Insert a queued run unless the user is at the live-run cap; enqueue after commit."""
    limit = settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER
    with transaction.atomic():
        # The user's row lock serialises this user's concurrent creates, so the count below
        # and the insert are one atomic step: never more than `limit` live runs.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        live = Run.objects.filter(user=user, state__in=Run.LIVE_STATES).count()
        if live >= limit:
            raise RunLimitExceeded(
                f"You already have {live} runs in progress and the limit is {limit}. "
                "Wait for one to finish, or cancel one, then try again."
            )
        run = Run.objects.create(user=user, task_id=str(uuid.uuid4()), **fields)
        transaction.on_commit(partial(run_enqueue, run_id=run.id, task_id=run.task_id))
    return run


def api_sampling(
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
) -> dict:
    """Sampling values of an OpenAI-style request (already validated), for the run's
    `sampling` field; absent values are left out."""
    out: dict = {}
    if max_tokens is not None:
        out["max_new_tokens"] = max(1, min(int(max_tokens), settings.GPTSTORE_MAX_NEW_TOKENS))
    if temperature is not None:
        out["temperature"] = float(temperature)
    if top_p is not None:
        out["top_p"] = float(top_p)
    if seed is not None:
        out["seed"] = int(seed)
    if stop:
        out["stop"] = list(stop)
    return out


def run_create_base(
    *,
    user,
    messages: list[dict] | None = None,
    prompt: str | None = None,
    sampling: dict | None = None,
    model: str = "",
) -> Run:
    """Store a queued run of the base model itself (no tool): chat `messages`, or a raw
    `prompt` sent without a chat template. Same cap, queue and worker path as `run_create`.

    Raises SchemaError (prompt too long), RunLimitExceeded or RunError.
    """
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to run the model.")
    if (messages is None) == (prompt is None):
        raise RunError("Give either messages or a prompt.")
    if messages is not None:
        system = "\n\n".join(m["content"] for m in messages if m.get("role") == "system")
        text = "\n\n".join(m["content"] for m in messages if m.get("role") != "system")
        n_tokens = count_prompt_tokens(system, text) + 4 * len(messages)
    else:
        system, text = "", prompt
        n_tokens = count_prompt_tokens("", prompt)
    cap = settings.GPTSTORE_MAX_PROMPT_TOKENS
    if n_tokens > cap:
        raise SchemaError(
            {"__all__": [f"The prompt is too long: about {n_tokens} tokens, the limit is {cap}."]}
        )
    params = {
        "temperature": DEFAULT_TEMPERATURE,
        "top_p": 1.0,
        "max_new_tokens": min(DEFAULT_MAX_NEW_TOKENS, settings.GPTSTORE_MAX_NEW_TOKENS),
        "seed": random.randrange(2**31),
        **(sampling or {}),
    }
    return _run_insert_capped(
        user=user,
        inputs={},
        system_prompt=system,
        prompt=text,
        messages=messages,
        raw_prompt=messages is None,
        sampling=params,
        model=model,
    )


def run_enqueue(*, run_id, task_id: str | None = None) -> bool:
    """Send the task; on a broker failure log it and leave the run to the reconciler."""
    from .tasks import run_execute

    try:
        run_execute.apply_async(args=[str(run_id)], task_id=task_id or str(uuid.uuid4()))
        streams.client().set(streams.enqueued_key(run_id), "1", ex=7 * 24 * 3600)
    except Exception:  # noqa: BLE001 - kombu raises many types; the reconciler retries later
        log.exception("could not enqueue run %s; the reconciler will retry", run_id)
        return False
    return True


# --- cancel / share ---------------------------------------------------------------------------


def run_cancel(*, run: Run) -> Run:
    """Cancel a queued run at once, or ask the worker to stop a running one (partial kept)."""
    now = timezone.now()
    done = Run.objects.filter(pk=run.pk, state=Run.State.QUEUED).update(
        state=Run.State.CANCELLED,
        finish_reason=Run.FinishReason.CANCELLED,
        finished_at=now,
    )
    run.refresh_from_db()
    if done:
        _publish_final(run)
    elif run.state == Run.State.RUNNING:
        streams.request_cancel(run.pk)
    return run


def run_share(*, run: Run, shared: bool) -> Run:
    Run.objects.filter(pk=run.pk).update(shared=shared)
    run.shared = shared
    return run


# --- execute (worker) -------------------------------------------------------------------------


def _publish_final(run: Run) -> None:
    try:
        streams.publish(run.pk, {"type": "final", **run.totals(), "output": run.output})
    except redis.RedisError:
        log.warning("could not publish the final event of run %s", run.pk)


def _lease_alive(run_id) -> bool:
    return bool(streams.client().exists(streams.lease_key(run_id)))


def run_fail(
    *,
    run: Run,
    error: str,
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
        "finished_at": timezone.now(),
    }
    if output is not None:
        fields["output"] = output
    if not qs.update(**fields):
        return False
    run.refresh_from_db()
    _publish_final(run)
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
        from .worker import supervisor

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
    from inference import EngineError, PromptTooLong, QueueFull, SamplingParams

    from .engine import get_engine, is_chat
    from .worker import outbox, supervisor

    run = run_claim(run_id=run_id, task_id=task_id)
    if run is None:
        return None
    attempt = run.attempts
    r = streams.client()
    try:
        r.delete(streams.enqueued_key(run.pk))
        if attempt > 1:
            streams.publish(run.pk, {"type": "reset", "attempt": attempt}, r)
        streams.publish(run.pk, {"type": "state", "state": "running", "attempt": attempt}, r)
        try:
            engine = get_engine()
        except Exception as exc:  # noqa: BLE001 - any load failure fails this run clearly
            log.exception("engine failed to load")
            run_fail(
                run=run,
                error=f"The model could not be loaded ({type(exc).__name__}).",
                only_attempt=attempt,
            )
            return run
        prompt, messages = _messages(run, is_chat())
        n_prompt = engine.count_tokens(prompt, messages=messages)
        if n_prompt > settings.GPTSTORE_MAX_PROMPT_TOKENS:
            run_fail(
                run=run,
                only_attempt=attempt,
                error=f"The prompt is {n_prompt} tokens; the limit is "
                f"{settings.GPTSTORE_MAX_PROMPT_TOKENS}. Shorten your inputs.",
            )
            return run
        s = run.sampling
        params = SamplingParams(
            temperature=float(s.get("temperature", DEFAULT_TEMPERATURE)),
            top_p=float(s.get("top_p", 1.0)),
            max_new_tokens=min(
                int(s.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)),
                settings.GPTSTORE_MAX_NEW_TOKENS,
            ),
            seed=s.get("seed"),
            stop=tuple(s.get("stop") or ()),
            deadline_s=float(settings.CELERY_TASK_SOFT_TIME_LIMIT),
        )
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
        try:
            handle = engine.submit(prompt, messages=messages, params=params, on_text=on_text)
        except PromptTooLong as exc:
            run_fail(
                run=run, error=f"The prompt is too long for the model: {exc}", only_attempt=attempt
            )
            return run
        except QueueFull:
            run_fail(
                run=run,
                error="The engine is overloaded right now; please try again.",
                only_attempt=attempt,
            )
            return run
        except EngineError as exc:
            run_fail(run=run, error=f"The engine refused the run: {exc}", only_attempt=attempt)
            return run
        supervisor.attach(run.pk, handle)
        # Generation can take minutes: hand the connection back (to the pool) meanwhile, so a
        # few connections serve all of the worker's task threads.
        close_connection()
        try:
            # The engine deadline (soft limit) normally ends it; this is the hard stop.
            result = handle.result(timeout=float(settings.CELERY_TASK_TIME_LIMIT))
        except TimeoutError:
            handle.cancel()
            outbox.flush()
            run_fail(
                run=run,
                error="This run took too long and was stopped; the partial output is kept.",
                output="".join(pieces),
                only_attempt=attempt,
                reason=Run.FinishReason.TIMEOUT,
            )
            return run
        outbox.flush()  # every text event is in the stream before the final one
        first_token_at = first[0] if first else None
        return run_complete(
            run=run, attempt=attempt, pieces=pieces, result=result, first_token_at=first_token_at
        )
    finally:
        supervisor.untrack(run.pk)


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
    state, error = Run.State.SUCCEEDED, ""
    if reason == "cancelled":
        state = Run.State.CANCELLED
    elif reason == "timeout":
        state = Run.State.FAILED
        error = "The run hit the time limit; the partial output is kept."
    elif reason == "error":
        state = Run.State.FAILED
        log.error("run %s failed in the engine: %s", run.pk, result.error)
        error = "The engine failed while generating this answer; please try again."
    now = timezone.now()
    if first_token_at is None and result.completion_tokens:
        first_token_at = now
    updated = Run.objects.filter(pk=run.pk, state=Run.State.RUNNING, attempts=attempt).update(
        state=state,
        finish_reason=reason,
        error=error,
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
        tool_run_count_increment(tool_id=run.tool_id, runner_id=run.user_id)
    _publish_final(run)
    from .worker import supervisor

    supervisor.write_metrics()
    return run


# --- reconcile (beat) ------------------------------------------------------------------------


def run_reconcile(*, now=None) -> dict[str, int]:
    """Re-enqueue queued runs whose message is lost; fail running runs whose worker died."""
    now = now or timezone.now()
    r = streams.client()
    requeued = failed = 0
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
        if run_fail(
            run=run, error=msg, output=streams.streamed_text(run.pk, r), only_attempt=run.attempts
        ):
            failed += 1
    if requeued or failed:
        log.info("reconciler: %d re-enqueued, %d failed", requeued, failed)
    return {"requeued": requeued, "failed": failed}


def wait_final(run_id, timeout: float = 60.0) -> Run:
    """Poll until a run is final (tests, the benchmark and scripts)."""
    deadline = time.monotonic() + timeout
    while True:
        run = Run.objects.get(pk=run_id)
        if run.is_final or time.monotonic() > deadline:
            return run
        time.sleep(0.1)
