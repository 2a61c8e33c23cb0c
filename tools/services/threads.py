"""Conversations: a follow-up is a run that continues an earlier one (its `parent`).

The engine is stateless, so every turn sends the whole conversation: the tool's system
prompt, the first turn's rendered prompt, then each answer and follow-up in order. Later
turns share that prefix with earlier ones, which the engine's prefix cache reuses.

A turn that ended without an answer (cancelled while queued, failed before its first token)
still counts as a turn with an empty answer, so user and assistant messages keep
alternating and the thread stays usable. A conversation that outgrows the prompt limit is
refused with a message that says so; nothing is dropped silently.
"""

from __future__ import annotations

from ..models import Run
from ..sampling import DEFAULT_MAX_NEW_TOKENS
from ..schema import SchemaError
from ..selectors import usage
from .runs import RunError, model_available, prompt_check, run_insert_capped

MAX_FOLLOWUP_CHARS = 8000


def conversation(run: Run) -> list[dict]:
    """The chat messages `run` was generated from, followed by its answer."""
    if run.messages:
        messages = list(run.messages)
    else:
        messages = [{"role": "system", "content": run.system_prompt}] if run.system_prompt else []
        messages.append({"role": "user", "content": run.prompt})
    return [*messages, {"role": "assistant", "content": run.output}]


def followup_check(*, parent: Run, user) -> None:
    """Refuse a follow-up of `parent` by `user` with a reason for the user."""
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to continue a conversation.")
    if parent.user_id != user.pk:
        raise RunError("You can only continue your own conversations.", status=403)
    if parent.raw_prompt:
        raise RunError("A plain-text completion cannot be continued as a conversation.")
    if not parent.is_final:
        raise RunError("Wait for this answer to finish (or cancel it) before you follow up.")


def run_followup(*, parent: Run, user, message: str) -> Run:
    """Store a queued run that answers `message` after the conversation up to `parent`.

    It keeps the parent's tool, version, model, sampling and sharing. Raises SchemaError
    (empty or too long a message; a conversation over the prompt limit), RunError,
    RunLimitExceeded or BudgetExceeded.
    """
    followup_check(parent=parent, user=user)
    spec = model_available(parent.model_key)
    text = (message or "").strip()
    if not text:
        raise SchemaError({"message": ["Write a follow-up message."]})
    if len(text) > MAX_FOLLOWUP_CHARS:
        raise SchemaError({"message": [f"Keep a follow-up under {MAX_FOLLOWUP_CHARS} characters."]})
    messages = [*conversation(parent), {"role": "user", "content": text}]
    n_tokens = usage.run_prompt_estimate(system_prompt="", prompt="", messages=messages)
    prompt_check(
        n_tokens=n_tokens,
        spec=spec,
        sampling={"max_new_tokens": DEFAULT_MAX_NEW_TOKENS, **(parent.sampling or {})},
        field="message",
        lead="This conversation is now too long for the model",
        hint=" Start a new run to go on.",
    )
    return run_insert_capped(
        user=user,
        prompt_estimate=n_tokens,
        tool=parent.tool,
        version=parent.version,
        inputs={},
        system_prompt=parent.system_prompt,
        prompt=text,
        messages=messages,
        sampling=dict(parent.sampling or {}),
        model=parent.model,
        model_key=parent.model_key,
        shared=parent.shared,
        parent=parent,
        thread=parent.thread,
        turn=parent.turn + 1,
    )
