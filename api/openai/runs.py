"""The run behind every completion: stored by tools.services (the same cap, queue, Celery
worker and engine as the web pages, so it shows in the caller's history), followed through
tools.streams, stopped when its client leaves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from tools import services as run_services
from tools import streams
from tools.models import Run
from tools.registry import ModelSpec

from . import parsing
from .errors import bad_request, timed_out
from .resolve import resolve_model, tool_inputs

log = logging.getLogger(__name__)

FIXED_SAMPLING = ("seed", "stop")  # set after a tool's defaults, never overridden by them


def wait_timeout() -> float:
    """How long a request waits for its run (queue time included)."""
    default = float(settings.CELERY_TASK_TIME_LIMIT) + 120.0
    return float(getattr(settings, "GPTSTORE_OPENAI_WAIT", default))


def create_run(user: AbstractBaseUser, body: dict, *, chat: bool) -> Run:
    """Validate a request and store its run (sync: the ORM and the services). The services'
    errors (bad tool inputs, prompt too long, live-run cap, queue down) propagate."""
    model = parsing.model_name(body)
    sampling = parsing.sampling(body)
    messages = parsing.messages(body) if chat else None
    prompt = None if chat else parsing.prompt(body)
    tool = resolve_model(user, model)
    run_services.run_queue_check()
    if isinstance(tool, ModelSpec):
        return run_services.run_create_base(
            user=user,
            messages=messages,
            prompt=prompt,
            sampling=sampling,
            model=model,
            model_key=tool.id,
        )
    text, continuation = _tool_turns(messages) if chat else (prompt, None)
    fixed = {k: sampling.pop(k) for k in FIXED_SAMPLING if k in sampling}
    return run_services.run_create(
        tool=tool,
        user=user,
        inputs=tool_inputs(tool, text),
        sampling=sampling or None,
        extra_sampling=fixed,
        model=model,
        continuation=continuation,
    )


def _tool_turns(messages: list[dict]) -> tuple[str, list[dict]]:
    """A tool's chat: the first user message fills its inputs; the messages after it continue
    the conversation. System messages are left out: the tool's own system prompt applies."""
    chat = [m for m in messages if m["role"] != "system"]
    if not chat or chat[0]["role"] != "user":
        raise bad_request(
            "A tool's conversation starts with a user message (its inputs).", "messages"
        )
    return chat[0]["content"], chat[1:]


async def run_events(run: Run) -> AsyncIterator[dict[str, Any]]:
    """The run's events (decoded) up to and including its final one; TimeoutError after
    `wait_timeout()`. Comments for open connections (keep-alives) are not events here."""
    async for batch in streams.follow(run, timeout=wait_timeout()):
        for event in batch:
            if event.data is not None:
                yield event.decode()


async def wait_for(run: Run) -> Run:
    """The run once final, as stored. A run that outlives the wait, or whose client left,
    is cancelled: it would hold one of the user's live-run slots for nothing."""
    try:
        async for _event in run_events(run):
            pass
    except TimeoutError:
        await cancel_quietly(run.pk)
        raise timed_out()
    except asyncio.CancelledError:
        await cancel_quietly(run.pk)
        raise
    return await Run.objects.aget(pk=run.pk)


def _cancel(run_id: Any) -> None:
    # Runs in a thread of its own (the request's may be gone): close its connection after.
    try:
        run = Run.objects.filter(pk=run_id).first()
        if run is not None and not run.is_final:
            run_services.run_cancel(run=run)
    finally:
        connection.close()


async def cancel_quietly(run_id: Any) -> None:
    try:
        await sync_to_async(_cancel, thread_sensitive=False)(run_id)
    except Exception:  # best effort: the reconciler and the live-run cap still hold
        log.warning("could not cancel run %s after its client left", run_id, exc_info=True)
