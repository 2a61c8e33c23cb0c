"""Writes for runs from the web side: create (capped per user), enqueue, cancel, share.

Life of a run: `run_create` (web) stores it `queued` and enqueues the task after commit;
`run_execute` (worker, `execution.py`) claims it, streams the engine's text to Redis and
stores the result once; `run_cancel` (web) stops it; `run_reconcile` (beat) re-enqueues lost
queued runs and fails runs whose worker died.
"""

from __future__ import annotations

import logging
import math
import uuid
from functools import partial

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError

from .. import streams
from ..models import Run, Tool, ToolVersion
from ..registry import ModelSpec, default_model_id, get_model
from ..sampling import base_sampling, prompt_limit, sampling_for
from ..schema import SchemaError, normalize_schema, render, validate_inputs
from ..selectors import usage

log = logging.getLogger(__name__)


class RunError(ApplicationError):
    """A run cannot be created or changed; the message is meant for the user."""

    code = "run_refused"


class RunLimitExceeded(RunError):
    code = "too_many_live_runs"
    status = 429


class BudgetExceeded(RunError):
    """The user's daily token budget cannot cover this run; it starts again at 00:00 UTC."""

    code = "token_budget_exceeded"
    status = 429

    def __init__(self, *, budget: int, used: int, needed: int, reset_at) -> None:
        wait = max(1, math.ceil((reset_at - timezone.now()).total_seconds()))
        hours, minutes = divmod(math.ceil(wait / 60), 60)
        super().__init__(
            f"Your daily token budget cannot cover this run: {used} of {budget} tokens are "
            f"used or held by runs in progress today, and this run may need up to {needed}. "
            f"It resets at {reset_at:%H:%M} UTC (in {hours} h {minutes} min)."
        )
        self.retry_after = wait
        self.reset_at = reset_at


class RunsPaused(RunError):
    """The queue (Redis) does not answer: nothing is stored, so nothing is half-started."""

    code = "runs_paused"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "Runs are paused for a moment (the queue is unavailable). Please try again shortly."
        )


def run_queue_check() -> None:
    """Refuse a new run while the queue (Redis) does not answer, before anything is stored.

    Every interface calls this first, so people get a clear 503 during an outage instead of
    a run that waits. A run stored anyway (the broker failing between this check and the
    enqueue) is still safe: the reconciler enqueues it once Redis is back.
    """
    if not streams.ping():
        raise RunsPaused()


def run_create(
    *,
    tool: Tool,
    user,
    inputs: dict,
    version: ToolVersion | None = None,
    sampling: dict | None = None,
    extra_sampling: dict | None = None,
    model: str = "",
    continuation: list[dict] | None = None,
) -> Run:
    """Validate, render and store a queued run; the task is enqueued after commit.

    `extra_sampling` (the OpenAI-compatible API) sets `seed` and `stop` after the tool's
    defaults; see `api_sampling`. `continuation` (the same API) is the chat after the first
    user message, whose text filled `inputs`: the model sees the tool's system prompt, the
    rendered prompt, then those messages. Raises SchemaError (field errors: nothing stored),
    RunLimitExceeded or RunError.
    """
    version = version or tool.current_version
    if version is None or version.tool_id != tool.pk:
        raise RunError("This tool has no published version to run yet.")
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to run tools.")
    spec = model_available(version.model)
    schema = normalize_schema(version.input_schema)
    clean = validate_inputs(schema, inputs)
    prompt = render(version.prompt_template, clean)
    system = version.system_prompt or ""
    messages = None
    if continuation:
        messages = [{"role": "system", "content": system}] if system else []
        messages += [{"role": "user", "content": prompt}, *continuation]
    n_tokens = usage.run_prompt_estimate(system_prompt=system, prompt=prompt, messages=messages)
    params = sampling_for(version=version, overrides=sampling, model_defaults=spec.sampling)
    params.update(extra_sampling or {})
    prompt_check(n_tokens=n_tokens, spec=spec, sampling=params, hint=" Shorten your inputs.")
    return run_insert_capped(
        user=user,
        prompt_estimate=n_tokens,
        tool=tool,
        version=version,
        inputs=clean,
        system_prompt=system,
        prompt=prompt,
        sampling=params,
        model=model,
        messages=messages,
        model_key=spec.id,
    )


class ModelUnavailable(RunError):
    code = "model_unavailable"
    status = 409


def model_available(model_id: str) -> ModelSpec:
    """The registered model `model_id` ("" = the default), or a clear refusal: a tool whose
    model the operator removed says so instead of failing at run time."""
    spec = get_model(model_id)
    if spec is None:
        raise ModelUnavailable(
            f"This tool runs on the model {model_id}, which this store no longer offers. "
            "Its author can pick another model in the builder."
        )
    return spec


def prompt_check(
    *,
    n_tokens: int,
    spec: ModelSpec,
    sampling: dict,
    field: str = "__all__",
    lead: str = "The prompt is too long",
    hint: str = "",
) -> None:
    """Refuse a prompt of about `n_tokens` over what `spec`'s context leaves once the answer
    has room (`prompt_limit`); the worker checks the exact count again before generating."""
    room = sampling["max_new_tokens"]
    cap = prompt_limit(context_length=spec.context_length, max_new_tokens=room)
    if n_tokens > cap:
        raise SchemaError(
            {field: [f"{lead}: about {n_tokens} tokens, the limit is {cap}.{hint}"]},
            code=Run.ErrorCode.PROMPT_TOO_LONG,
        )


def run_insert_capped(*, user, prompt_estimate: int, **fields) -> Run:
    """Insert a queued run unless the user is at the live-run cap or its daily token budget
    cannot cover it (its prompt estimate + max_new_tokens); enqueue after commit."""
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
        _budget_check(
            user=user, needed=prompt_estimate + int(fields["sampling"].get("max_new_tokens") or 0)
        )
        run = Run.objects.create(user=user, task_id=str(uuid.uuid4()), **fields)
        transaction.on_commit(partial(run_enqueue, run_id=run.id, task_id=run.task_id))
    return run


def _budget_check(*, user, needed: int) -> None:
    """Under the caller's user-row lock: refuse the run unless today's spend, the runs in
    flight (held at their reservation) and this run's own reservation (`needed`) fit the
    budget."""
    budget = usage.daily_budget(user)
    if budget == 0:
        return
    used = usage.tokens_used_today(user)
    if used + needed > budget:
        raise BudgetExceeded(
            budget=budget, used=used, needed=needed, reset_at=usage.budget_reset_at()
        )


def run_create_base(
    *,
    user,
    messages: list[dict] | None = None,
    prompt: str | None = None,
    sampling: dict | None = None,
    model: str = "",
    model_key: str = "",
) -> Run:
    """Store a queued run of a registered model itself (no tool; `model_key` "" = the
    default): chat `messages`, or a raw `prompt` sent without a chat template. Same cap,
    queue and worker path as `run_create`.

    Raises SchemaError (prompt too long), RunLimitExceeded or RunError.
    """
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to run the model.")
    if (messages is None) == (prompt is None):
        raise RunError("Give either messages or a prompt.")
    spec = model_available(model_key or default_model_id())
    if messages is not None:
        system = "\n\n".join(m["content"] for m in messages if m.get("role") == "system")
        text = "\n\n".join(m["content"] for m in messages if m.get("role") != "system")
        n_tokens = usage.run_prompt_estimate(system_prompt=system, prompt=text, messages=messages)
    else:
        system, text = "", prompt
        n_tokens = usage.run_prompt_estimate(system_prompt="", prompt=prompt, messages=None)
    params = base_sampling(sampling, model_defaults=spec.sampling)
    prompt_check(n_tokens=n_tokens, spec=spec, sampling=params)
    return run_insert_capped(
        user=user,
        prompt_estimate=n_tokens,
        inputs={},
        system_prompt=system,
        prompt=text,
        messages=messages,
        raw_prompt=messages is None,
        sampling=params,
        model=model,
        model_key=spec.id,
    )


def run_enqueue(*, run_id, task_id: str | None = None) -> bool:
    """Send the task; on a broker failure log it and leave the run to the reconciler."""
    from ..tasks import run_execute

    model_key = Run.objects.filter(pk=run_id).values_list("model_key", flat=True).first()
    spec = get_model(model_key or "")
    if spec is None:  # removed from the registry since: the reconciler fails it
        log.warning("run %s: its model %s is not registered; not enqueued", run_id, model_key)
        return False
    try:
        run_execute.apply_async(
            args=[str(run_id)], task_id=task_id or str(uuid.uuid4()), queue=spec.queue
        )
        streams.client().set(streams.enqueued_key(run_id), "1", ex=7 * 24 * 3600)
    except Exception:
        log.exception("could not enqueue run %s; the reconciler will retry", run_id)
        return False
    return True


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
        publish_final(run)
    elif run.state == Run.State.RUNNING:
        streams.request_cancel(run.pk)
    return run


def run_share(*, run: Run, shared: bool) -> Run:
    """Share (or stop sharing) a run's whole conversation: its read-only page shows the
    turns before it, and follow-ups inherit the flag (tools.services.threads)."""
    Run.objects.filter(thread=run.thread, user_id=run.user_id).update(shared=shared)
    run.shared = shared
    return run


def publish_final(run: Run) -> None:
    try:
        streams.publish(run.pk, {"type": "final", **run.totals(), "output": run.output})
    except redis.RedisError:
        log.warning("could not publish the final event of run %s", run.pk)
