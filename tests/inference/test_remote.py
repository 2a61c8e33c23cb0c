"""inference.RemoteEngine against real OpenAI-compatible servers: this store's own /v1, served
by a second stack (a uvicorn web process and a Celery worker with the real default model, on
the test database), and a closed port for a server that is down.

The store records what it was asked and what it answered (the run), so each test checks the
client's view against the server's own record."""

from __future__ import annotations

import asyncio
import signal
import threading
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from api.services import token_create
from bench import processes as stack
from bench.common import free_port
from inference import PromptTooLong, QueueFull, RemoteEngine, SamplingParams
from inference.defaults import DEFAULT_NAME
from tests.helpers import wait_final
from tools.models import Run
from tools.services import run_cancel

WORKER = "remote-worker"
LONG = [{"role": "user", "content": "Write a very long story about a dragon."}]


@pytest.fixture(scope="module")
def remote_worker(stack_env):
    """The second stack's worker, with the real default model."""
    from tools import streams

    r = streams.client()
    r.delete("inference", "default")  # stale messages of earlier tests: nobody to run them
    r.delete(f"gptstore:engine:metrics:{WORKER}")
    proc = stack.start_worker(stack_env, WORKER, concurrency=4)
    try:
        stack.wait_engine_ready(r, WORKER, proc)
        yield proc
    finally:
        stack.stop(proc)


@pytest.fixture
def api_key(user) -> str:
    return token_create(user=user, name="remote")[1]


@pytest.fixture
def connect(api_key):
    """connect(base_url, **options) -> a RemoteEngine on the store at `base_url` as `user`,
    closed at the end of the test."""
    engines: list[RemoteEngine] = []

    def make(base: str, **options) -> RemoteEngine:
        options.setdefault("api_key", api_key)
        engines.append(RemoteEngine(f"{base}/v1", "base", **options))
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


def runs_of(user) -> list[Run]:
    return list(Run.objects.filter(user=user).order_by("queued_at"))


def started(pieces: list[str]):
    """(on_text, event set at the first piece)."""
    first = threading.Event()

    def on_text(piece: str) -> None:
        pieces.append(piece)
        first.set()

    return on_text, first


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "completion"])
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_streams_what_the_server_stored(web, remote_worker, user, connect, chat):
    engine = connect(web)
    params = SamplingParams(temperature=0.0, top_p=0.9, max_new_tokens=12, seed=3, stop=("☃",))
    pieces: list[str] = []
    if chat:
        messages = [{"role": "user", "content": "Name three colors."}]
        handle = engine.submit(messages=messages, params=params, on_text=pieces.append)
        iterated = list(handle)
        result = handle.result(timeout=120)
    else:
        handle = engine.submit("One, two, three,", params=params, on_text=pieces.append)

        async def wait():
            return await handle

        result = asyncio.run(wait())
        iterated = pieces
    [run] = runs_of(user)
    assert run.state == "succeeded" and result.error is None and result.error_code is None
    assert result.text and result.text == "".join(pieces) == "".join(iterated) == run.output
    assert len(pieces) > 1  # it streamed, piece by piece
    assert result.finish_reason == run.finish_reason  # stop or length, as the server says
    assert (result.prompt_tokens, result.completion_tokens) == (
        run.prompt_tokens,
        run.completion_tokens,
    )
    assert 0 < result.ttft_s <= result.total_s
    sampling = {k: run.sampling.get(k) for k in ("temperature", "top_p", "max_new_tokens", "seed")}
    assert sampling == {"temperature": 0.0, "top_p": 0.9, "max_new_tokens": 12, "seed": 3}
    assert run.sampling["stop"] == ["☃"]
    if chat:
        assert run.messages == messages and not run.raw_prompt
    else:  # /completions: the text as it is, no chat template
        assert run.raw_prompt and run.prompt == "One, two, three," and run.messages is None
    m = engine.metrics()
    assert (m["requests"], m["errors"], m["retries"], m["in_flight"]) == (1, 0, 0, 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_counts_tokens_when_the_server_sends_no_usage(web, remote_worker, user, connect):
    engine = connect(web, ask_usage=False)
    messages = [{"role": "user", "content": "Describe a sunny day at the beach in detail."}]
    result = engine.submit(messages=messages, params=SamplingParams(max_new_tokens=40)).result(120)
    [run] = runs_of(user)
    assert result.text == run.output and run.completion_tokens > 1
    # Without usage the counts are the estimate: never under what the server counted.
    assert result.prompt_tokens == engine.count_tokens(messages=messages) >= run.prompt_tokens
    assert result.completion_tokens >= run.completion_tokens


@pytest.mark.slow
def test_count_tokens_over_counts_ordinary_text(remote_worker_model_folder):
    from transformers import AutoTokenizer

    from inference.prompts import encode_prompt

    tok = AutoTokenizer.from_pretrained(remote_worker_model_folder)
    repo = Path(__file__).resolve().parents[2]
    texts = [
        "The quick brown fox jumps over the lazy dog.",
        (repo / "README.md").read_text()[:6000],
        (repo / "inference" / "remote.py").read_text()[:6000],
        '{"a": [1, 2, 3], "hello": "world", "nested": {"x": 1.5}}',
        "你好，世界！今天天气很好。我们一起去公园散步吧。",
        "Привет, как дела? Zażółć gęślą jaźń. Emoji 🎉🚀😀 café.",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 3.14159 2026-12-02",
        "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCB0ZXh0IGZvciB0ZXN0aW5nIHB1cnBvc2Vz==",
        "SELECT * FROM runs WHERE state = 'queued' AND queued_at < NOW() - INTERVAL '5 min';",
        "    indented\n\n\n\tcode = x[0] + y[1]  # comment",
    ]
    engine = RemoteEngine("http://127.0.0.1:9/v1", "any")  # counting needs no server
    try:
        for text in texts:
            assert engine.count_tokens(text) >= len(encode_prompt(tok, False, text, None)), text
            messages = [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": text},
            ]
            real = len(encode_prompt(tok, True, None, messages))
            assert engine.count_tokens(messages=messages) >= real, text
            bare = [{"role": "user", "content": text}]  # SmolLM2 adds its own system prompt
            assert engine.count_tokens(messages=bare) >= len(encode_prompt(tok, True, None, bare))
    finally:
        engine.close()


@pytest.fixture
def remote_worker_model_folder(remote_worker) -> Path:
    """The default model's converted folder (the worker converts it when it is missing)."""
    return Path(settings.GPTSTORE_MODEL_CACHE) / DEFAULT_NAME


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cancel_mid_stream_ends_the_servers_run(web, remote_worker, user, connect):
    engine = connect(web)
    pieces: list[str] = []
    on_text, first = started(pieces)
    handle = engine.submit(
        messages=LONG, params=SamplingParams(max_new_tokens=400), on_text=on_text
    )
    assert first.wait(120)
    handle.cancel()
    result = handle.result(timeout=30)
    assert result.finish_reason == "cancelled" and result.error is None
    assert result.text and result.text == "".join(pieces)  # the partial text is kept
    [run] = runs_of(user)
    run = wait_final(run.pk, timeout=60)  # the store cancels a run whose client hung up
    assert run.state == "cancelled" and run.completion_tokens < 400
    # Closing the engine mid-stream hangs up the same way.
    pieces.clear()
    on_text, first = started(pieces)
    handle = engine.submit(
        messages=LONG, params=SamplingParams(max_new_tokens=400), on_text=on_text
    )
    assert first.wait(120)
    engine.close()
    result = handle.result(timeout=1)  # close() returns once every request has finished
    assert result.finish_reason == "cancelled" and result.error == "engine closed"
    assert result.text and result.text == "".join(pieces)
    run = wait_final(runs_of(user)[-1].pk, timeout=60)
    assert run.state == "cancelled" and run.completion_tokens < 400


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_deadline_ends_the_request_with_its_partial_text(web, remote_worker, user, connect):
    engine = connect(web)
    warm = engine.submit(messages=LONG, params=SamplingParams(max_new_tokens=2)).result(120)
    # Room for the first words (three times a warm request's), not for 400 tokens.
    deadline = 3 * warm.ttft_s + 2.0
    pieces: list[str] = []
    handle = engine.submit(
        messages=LONG,
        params=SamplingParams(temperature=0.0, max_new_tokens=400, deadline_s=deadline),
        on_text=pieces.append,
    )
    result = handle.result(timeout=deadline + 30)
    assert result.finish_reason == "timeout" and result.error_code == "timeout"
    assert result.text and result.text == "".join(pieces)
    assert result.total_s >= deadline
    run = wait_final(runs_of(user)[-1].pk, timeout=60)
    assert run.state == "cancelled" and run.completion_tokens < 400


def test_a_server_that_is_down_is_retried_then_unavailable():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    messages = [{"role": "user", "content": "Hi"}]
    for retries in (0, 2):
        with RemoteEngine(url, "base", connect_retries=retries, retry_backoff_s=0.01) as engine:
            result = engine.submit(messages=messages).result(timeout=30)
            assert result.finish_reason == "error" and result.error_code == "unavailable"
            assert result.text == "" and url in result.error
            assert engine.metrics()["retries"] == retries and engine.metrics()["errors"] == 1


def test_refusals_at_submit():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with RemoteEngine(url, "base", max_context=64) as engine:
        with pytest.raises(PromptTooLong):
            engine.submit("word " * 200)
        with pytest.raises(ValueError):
            engine.submit(messages=[{"role": "user"}])
    # One request in flight (pausing between its attempts), none may wait: the next is refused.
    with RemoteEngine(
        url, "base", max_in_flight=1, max_queue=0, connect_retries=1, retry_backoff_s=30
    ) as engine:
        first = engine.submit("Hi")
        with pytest.raises(QueueFull):
            engine.submit("Hi again")
        first.cancel()
        assert first.result(timeout=10).finish_reason == "cancelled"
        assert engine.submit("Hi again") is not None  # the slot is free again


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_server_dying_mid_stream_is_an_error_with_the_partial_text(
    stack_env, remote_worker, user, connect
):
    proc, base = stack.start_web(stack_env, name="remote-dying-web")
    try:
        engine = connect(base)
        pieces: list[str] = []
        on_text, first = started(pieces)
        handle = engine.submit(
            messages=LONG, params=SamplingParams(max_new_tokens=400), on_text=on_text
        )
        assert first.wait(120)
        stack.stop(proc, signal.SIGKILL)
        result = handle.result(timeout=60)
    finally:
        stack.stop(proc, signal.SIGKILL)
    assert result.finish_reason == "error" and result.error_code == "server_error"
    assert result.text and result.text == "".join(pieces)
    assert engine.metrics()["retries"] == 0  # text had arrived: trying again would repeat it
    [run] = runs_of(user)
    run_cancel(run=run)  # nobody follows it any more: free the worker


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_4xx_is_refused_with_the_servers_message(web, user, api_key, connect):
    engine = connect(web)
    too_long = [{"role": "user", "content": "many words " * 3000}]
    result = engine.submit(messages=too_long).result(timeout=60)
    assert result.finish_reason == "error" and result.error_code == "refused"
    # The store's own message for that request, as a plain client reads it.
    answer = httpx.post(
        f"{web}/v1/chat/completions",
        json={"model": "base", "messages": too_long, "stream": True},
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=60,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "context_length_exceeded"
    assert result.error == f"{answer.json()['error']['message']} (HTTP 400)"
    bad_key = connect(web, api_key="gpts_abc_wrong").submit("Hi").result(timeout=60)
    assert bad_key.error_code == "refused" and bad_key.error.endswith("(HTTP 401)")
    assert runs_of(user) == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_in_flight_bound_sends_requests_one_after_another(web, remote_worker, user, connect):
    engine = connect(web, max_in_flight=1)
    pieces: list[str] = []
    on_text, first = started(pieces)
    long = engine.submit(messages=LONG, params=SamplingParams(max_new_tokens=400), on_text=on_text)
    assert first.wait(120)
    short = SamplingParams(temperature=0.0, max_new_tokens=6)
    second = engine.submit(messages=[{"role": "user", "content": "Say hi."}], params=short)
    late = engine.submit(messages=LONG, params=SamplingParams(deadline_s=0.5))
    dropped = engine.submit(messages=LONG)
    dropped.cancel()
    # Waiting requests end without reaching the server: one by its deadline, one cancelled.
    assert late.result(timeout=30).finish_reason == "timeout"
    assert late.result().text == "" and late.result().error_code == "timeout"
    assert dropped.result(timeout=30).finish_reason == "cancelled"
    assert not long.done and not second.done
    m = engine.metrics()
    assert (m["in_flight"], m["waiting"]) == (1, 1)
    assert len(runs_of(user)) == 1  # only the long one talks to the server
    third = engine.submit(messages=[{"role": "user", "content": "Say bye."}], params=short)
    cancelled_at = timezone.now()
    long.cancel()
    assert long.result(timeout=30).finish_reason == "cancelled"
    assert second.result(timeout=120).finish_reason in ("stop", "length")
    assert third.result(timeout=120).finish_reason in ("stop", "length")
    first_run, second_run, third_run = runs_of(user)
    # The server's own clock: each started only once the one before it had ended.
    assert second_run.queued_at > cancelled_at
    assert third_run.queued_at > second_run.finished_at
    assert second_run.output == second.result().text and third_run.output == third.result().text
    assert wait_final(first_run.pk).state == "cancelled"
