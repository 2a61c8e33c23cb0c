"""A streamed completion: OpenAI's chunks as Server-Sent Events `data:` lines, from the run's
events, ending with `data: [DONE]`. An error after the answer began is one more `data:` line
with OpenAI's error body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from core.errors import openai_body
from tools.models import Run

from .bodies import finish_reason, ids, usage
from .errors import run_failure, timed_out
from .runs import cancel_quietly, run_events

DONE = "data: [DONE]\n\n"


def data(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=True, separators=(',', ':'))}\n\n"


def chunk(run: Run, chat: bool, text: str | None, finish: str | None, first: bool = False) -> str:
    if chat:
        delta = {"role": "assistant", "content": ""} if first else {}
        if text:
            delta["content"] = text
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        head = {**ids(run, chat), "object": "chat.completion.chunk"}
    else:
        choice = {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
        head = ids(run, chat)
    return data({**head, "choices": [choice]})


async def stream(run: Run, *, chat: bool, include_usage: bool) -> AsyncIterator[str]:
    """The whole answer. A client that leaves before its end cancels the run."""
    done = False
    try:
        if chat:
            yield chunk(run, chat, None, None, first=True)
        text = _Text()
        try:
            async for event in run_events(run):
                piece = text.take(event)
                if piece:
                    yield chunk(run, chat, piece, None)
        except TimeoutError:
            await cancel_quietly(run.pk)
            yield data(openai_body(timed_out()))
        else:
            run = await Run.objects.aget(pk=run.pk)
            for line in _ending(run, chat, text.sent, include_usage):
                yield line
        done = True
        yield DONE
    finally:
        if not done:
            await cancel_quietly(run.pk)


class _Text:
    """What the client has of a run's text. A retried attempt starts over (a reset event);
    its text is sent only beyond what the client has (same seed: the same text)."""

    def __init__(self) -> None:
        self.sent = ""  # text the client has
        self.attempt = ""  # text of the current attempt

    def take(self, event: dict[str, Any]) -> str:
        """The new text to send for `event` ("" for none)."""
        kind = event.get("type")
        if kind == "reset":
            self.attempt = ""
        elif kind == "text":
            self.attempt += event.get("text", "")
        if len(self.attempt) <= len(self.sent):
            return ""
        piece, self.sent = self.attempt[len(self.sent) :], self.attempt
        return piece


def _ending(run: Run, chat: bool, sent: str, include_usage: bool) -> list[str]:
    """The lines after the streamed text: the stored output's remainder, the finish reason
    and, if asked for, the usage; or the failed run's error."""
    failure = run_failure(run)
    if failure is not None:
        return [data(openai_body(failure))]
    lines = []
    if len(run.output) > len(sent) and run.output.startswith(sent):
        lines.append(chunk(run, chat, run.output[len(sent) :], None))
    lines.append(chunk(run, chat, None, finish_reason(run)))
    if include_usage:
        head = ids(run, chat)
        if chat:
            head["object"] = "chat.completion.chunk"
        lines.append(data({**head, "choices": [], "usage": usage(run)}))
    return lines
