"""The OpenAI-compatible answers from a run's events, driven by hand (no worker): the chunks of
a streamed completion, a retried attempt, a failed run and a run that outlives the wait."""

import json

import pytest
from asgiref.sync import async_to_sync

from api.openai.streaming import stream
from tests.factories import RunFactory
from tools import streams
from tools.models import Run

pytestmark = pytest.mark.django_db


def base_run(user, **fields) -> Run:
    return RunFactory(user=user, tool=None, model="base", inputs={}, **fields)


def publish_all(run: Run, events: list[dict]) -> None:
    streams.client().delete(streams.stream_key(run.pk))
    for event in events:
        streams.publish(run.pk, event)
    streams.publish(run.pk, {"type": "final", **run.totals(), "output": run.output})


def read(run: Run, **options) -> list[str]:
    async def collect():
        return [line async for line in stream(run, **options)]

    return async_to_sync(collect)()


def payloads(lines: list[str]) -> list:
    assert all(line.startswith("data: ") and line.endswith("\n\n") for line in lines)
    return [line[6:-2] if line == "data: [DONE]\n\n" else json.loads(line[6:]) for line in lines]


def test_chat_chunks_send_a_retried_attempt_only_beyond_what_was_sent(user):
    run = base_run(
        user,
        state="succeeded",
        output="one two",
        finish_reason="stop",
        prompt_tokens=3,
        completion_tokens=2,
    )
    publish_all(
        run,
        [
            {"type": "text", "text": "one "},
            {"type": "reset"},
            {"type": "text", "text": "one two"},
        ],
    )
    first, *chunks, usage, done = payloads(read(run, chat=True, include_usage=True))
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["one ", "two", None]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, "stop"]
    assert all(c["object"] == "chat.completion.chunk" for c in [first, *chunks, usage])
    assert all(c["id"] == f"chatcmpl-{run.pk.hex}" for c in [first, *chunks, usage])
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 5
    assert done == "[DONE]"


def test_completion_chunks_end_with_the_stored_output(user):
    run = base_run(user, state="succeeded", output="abc", finish_reason="length")
    publish_all(run, [{"type": "text", "text": "ab"}])
    *chunks, done = payloads(read(run, chat=False, include_usage=False))
    assert [c["choices"][0]["text"] for c in chunks] == ["ab", "c", ""]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert {c["object"] for c in chunks} == {"text_completion"} and done == "[DONE]"


def test_failed_run_ends_with_an_error_line(user):
    run = base_run(
        user,
        state="failed",
        finish_reason="error",
        error="The prompt is 2000 tokens; the limit is 1536.",
        error_code=Run.ErrorCode.PROMPT_TOO_LONG,
    )
    publish_all(run, [])
    *_, error, done = payloads(read(run, chat=True, include_usage=True))
    assert error["error"]["code"] == "context_length_exceeded"
    assert error["error"]["type"] == "invalid_request_error" and done == "[DONE]"


def test_a_run_that_outlives_the_wait_ends_with_a_timeout_line(user, settings):
    settings.GPTSTORE_OPENAI_WAIT = 0.5
    run = base_run(user, state="running")
    streams.client().delete(streams.stream_key(run.pk))
    *_, error, done = payloads(read(run, chat=False, include_usage=False))
    assert error["error"]["code"] == "timeout" and error["error"]["type"] == "server_error"
    assert done == "[DONE]"
