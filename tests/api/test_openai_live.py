"""The OpenAI-compatible API (/v1/) with the official `openai` package against a live stack
(uvicorn + a real Celery worker with the real default model) on the test database."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import openai
import pytest
from django.conf import settings

from api.openai.resolve import base_model_id
from api.services import token_create
from bench import processes as stack
from inference.defaults import DEFAULT_NAME
from tests.helpers import csrf_token, http_client, wait_final
from tools.models import Run
from tools.registry import get_model
from tools.services import tool_create, tool_publish, tool_version_create

TOOL_SCHEMA = [
    {"name": "text", "label": "Text", "type": "long_text"},
    {"name": "style", "type": "choice", "choices": ["short", "long"], "default": "short"},
]


WORKER = "openai-worker"


@pytest.fixture(scope="module")
def worker(stack_env):
    from tools import streams

    r = streams.client()
    # Stale messages of earlier tests: nobody to run them.
    r.delete("inference", get_model("").queue, "default")
    r.delete(f"gptstore:engine:metrics:{WORKER}")
    proc = stack.start_worker(stack_env, WORKER, concurrency=4)
    try:
        stack.wait_engine_ready(r, WORKER, proc)
        yield proc
    finally:
        stack.stop(proc)


def client_for(base: str, user) -> openai.OpenAI:
    _, secret = token_create(user=user, name="live")
    return openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0, timeout=180)


@pytest.fixture
def summarizer(django_user_model):
    author = django_user_model.objects.create_user("summarizer-author")
    tool = tool_create(author=author, name="Summarizer", slug="summarizer")
    version = tool_version_create(
        tool=tool,
        prompt_template="Summarize in one short sentence ({{style}}): {{text}}",
        system_prompt="You are brief.",
        input_schema=TOOL_SCHEMA,
        sampling_defaults={"max_new_tokens": 8, "temperature": 0.0},
    )
    tool_publish(tool=tool, version=version)
    tool.refresh_from_db()
    return tool


def run_of(completion_id: str) -> Run:
    return Run.objects.get(pk=completion_id.split("-", 1)[1])


def collect(stream) -> tuple[str, list]:
    chunks = list(stream)
    text = "".join(
        (c.choices[0].delta.content or "") if hasattr(c.choices[0], "delta") else c.choices[0].text
        for c in chunks
        if c.choices
    )
    return text, chunks


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_errors(web, user):
    good = client_for(web, user)
    assert base_model_id() in [m.id for m in good.models.list()]
    bad = openai.OpenAI(base_url=f"{web}/v1", api_key="gpts_abc_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="base", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.NotFoundError):
        good.chat.completions.create(model="tool:nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError) as exc:
        good.chat.completions.create(
            model="base", messages=[{"role": "user", "content": "many words " * 3000}]
        )
    assert exc.value.code == "context_length_exceeded"
    assert Run.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_base_model_chat(web, worker, user):
    client = client_for(web, user)
    messages = [{"role": "user", "content": "Name three colors."}]
    done = client.chat.completions.create(
        model="base", messages=messages, max_tokens=8, temperature=0, seed=1
    )
    answer = done.choices[0].message.content
    assert answer and done.choices[0].finish_reason in ("stop", "length")
    run = run_of(done.id)
    assert run.user == user and run.tool is None and run.state == "succeeded"
    assert run.output == answer and run.messages == messages and run.model == "base"
    assert done.usage.prompt_tokens == run.prompt_tokens > 0
    assert done.usage.completion_tokens == run.completion_tokens > 0
    assert done.usage.total_tokens == run.prompt_tokens + run.completion_tokens
    # The same request streamed: chunks add up to the stored output; usage on request.
    stream = client.chat.completions.create(
        model=base_model_id(),
        messages=messages,
        max_tokens=8,
        temperature=0,
        seed=1,
        stream=True,
        stream_options={"include_usage": True},
    )
    text, chunks = collect(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason in ("stop", "length")
    streamed_run = run_of(chunks[0].id)
    assert text == streamed_run.output == answer  # greedy: the same text
    assert chunks[-1].usage.completion_tokens == streamed_run.completion_tokens
    # Both runs are in the user's history.
    assert Run.objects.filter(user=user, tool__isnull=True).count() == 2
    # On the wire: OpenAI's chunks as SSE `data:` lines, ending with `data: [DONE]`.
    _, secret = token_create(user=user, name="raw")
    body = {"model": "base", "messages": messages, "max_tokens": 4, "stream": True}
    with httpx.stream(
        "POST",
        f"{web}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {secret}"},
        timeout=120,
    ) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in resp.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    for line in lines[:-1]:
        assert json.loads(line.removeprefix("data: "))["object"] == "chat.completion.chunk"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_client_leaving_a_stream_cancels_its_run(web, worker, user):
    _, secret = token_create(user=user, name="raw")
    body = {
        "model": "base",
        "messages": [{"role": "user", "content": "Write a very long story about a dragon."}],
        "max_tokens": 400,
        "frequency_penalty": 0,  # the story must outlast the hang-up: no early end
        "stream": True,
    }
    with httpx.stream(
        "POST",
        f"{web}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {secret}"},
        timeout=120,
    ) as resp:
        run_id = resp.headers["X-Run-Id"]
        for line in resp.iter_lines():
            if '"content":"' in line and '"role"' not in line:
                break  # some text arrived: hang up
    run = wait_final(run_id, timeout=60)
    assert run.state == "cancelled" and run.completion_tokens < 400


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_tool_chat(web, worker, user, summarizer):
    client = client_for(web, user)
    assert "tool:summarizer" in [m.id for m in client.models.list()]
    text = "The cat sat on the mat all day long."
    messages = [{"role": "user", "content": text}]
    done = client.chat.completions.create(model="tool:summarizer", messages=messages, max_tokens=6)
    run = run_of(done.id)
    assert run.tool == summarizer and run.inputs == {"text": text, "style": "short"}
    assert run.state == "succeeded" and done.choices[0].message.content == run.output
    assert run.sampling["max_new_tokens"] == 6 and run.sampling["temperature"] == 0.0
    assert done.usage.completion_tokens == run.completion_tokens <= 6
    stream = client.chat.completions.create(
        model="tool:summarizer",
        messages=[{"role": "user", "content": json.dumps({"text": text, "style": "long"})}],
        max_tokens=6,
        stream=True,
    )
    streamed, chunks = collect(stream)
    run = run_of(chunks[0].id)
    assert run.inputs == {"text": text, "style": "long"} and streamed == run.output
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    summarizer.refresh_from_db()
    assert summarizer.run_count == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_stop_sequence_and_completions(web, worker, user):
    client = client_for(web, user)
    ask = {
        "model": "base",
        "messages": [{"role": "user", "content": "Count from one to ten in words."}],
        "max_tokens": 16,
        "temperature": 0,
    }
    full = client.chat.completions.create(**ask).choices[0].message.content
    words = full.split()
    assert len(words) >= 3, full
    stop = words[2]
    cut = full[: full.index(stop)]
    done = client.chat.completions.create(**ask, stop=[stop, "\u2603"])
    out = done.choices[0].message.content
    assert stop not in out and done.choices[0].finish_reason == "stop"
    assert out == cut
    assert run_of(done.id).sampling["stop"] == [stop, "\u2603"]
    # Streaming honours it too.
    text, chunks = collect(client.chat.completions.create(**ask, stop=stop, stream=True))
    assert text == cut and chunks[-1].choices[0].finish_reason == "stop"
    # /v1/completions: the prompt goes to the model as it is (no chat template).
    comp = client.completions.create(
        model="base", prompt="One, two, three,", max_tokens=6, temperature=0
    )
    run = run_of(comp.id)
    assert comp.object == "text_completion" and comp.choices[0].text == run.output
    assert run.raw_prompt and run.prompt == "One, two, three," and run.messages is None
    assert comp.usage.completion_tokens == run.completion_tokens > 0
    text, chunks = collect(
        client.completions.create(
            model="base", prompt="One, two, three,", max_tokens=6, temperature=0, stream=True
        )
    )
    assert text == comp.choices[0].text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_readme_examples_work_as_written(web, worker, user, summarizer, monkeypatch):
    """The README's API section, run against the live stack (its URL swapped in)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## API\n", 1)[1]
    curl = re.search(r"^curl .*$", section, re.M).group(0)
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    _, secret = token_create(user=user, name="readme")
    monkeypatch.setenv("TOKEN", secret)
    if shutil.which("curl"):
        out = subprocess.run(
            ["bash", "-c", curl.replace("http://127.0.0.1:8000", web)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "summarizer" in [t["slug"] for t in json.loads(out)["results"]]
    before = Run.objects.filter(user=user).count()
    exec(compile(code.replace("http://127.0.0.1:8000", web), "README.md", "exec"), {})
    assert Run.objects.filter(user=user, state="succeeded").count() == before + 2


def _prompt_tokens(messages: list[dict]) -> int:
    """What the engine counts for `messages`: proof of exactly what the model was sent."""
    from transformers import AutoTokenizer

    from inference.prompts import encode_prompt

    folder = Path(settings.GPTSTORE_MODEL_CACHE) / DEFAULT_NAME
    return len(encode_prompt(AutoTokenizer.from_pretrained(folder), True, None, messages))


def _as_sent(run: Run) -> list[dict]:
    system = [{"role": "system", "content": run.system_prompt}] if run.system_prompt else []
    return run.messages or [*system, {"role": "user", "content": run.prompt}]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_three_turn_threads_rest_v1_and_web(web, worker, user, summarizer):
    """Each turn's prompt, as the worker's engine counted it, is the whole conversation."""
    text = "The cat sat on the mat all day long."
    # /v1/ with the official client: the client keeps the conversation.
    client = client_for(web, user)
    messages = [{"role": "user", "content": text}]
    for follow_up in ("Say it again.", "Now in French.", None):
        done = client.chat.completions.create(
            model="tool:summarizer", messages=messages, max_tokens=6
        )
        run = run_of(done.id)
        assert run.state == "succeeded" and run.inputs == {"text": text, "style": "short"}
        assert [m["content"] for m in _as_sent(run)][2:] == [m["content"] for m in messages[1:]]
        assert run.prompt_tokens == _prompt_tokens(_as_sent(run))
        if follow_up:
            messages += [
                {"role": "assistant", "content": done.choices[0].message.content},
                {"role": "user", "content": follow_up},
            ]
    # The REST API: the server keeps it; each follow-up names the turn it answers.
    _, secret = token_create(user=user, name="rest")
    api = httpx.Client(base_url=web, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    first = api.post("/api/runs/", json={"tool": "summarizer", "inputs": {"text": text}}).json()
    turns = [wait_final(first["id"])]
    for follow_up in ("Say it again.", "Now in French."):
        body = api.post(f"/api/runs/{turns[-1].pk}/followup/", json={"message": follow_up})
        assert body.status_code == 201, body.text
        assert body.json()["parent"] == str(turns[-1].pk)
        turns.append(wait_final(body.json()["id"]))
    assert [t.state for t in turns] == ["succeeded"] * 3
    assert [t.thread for t in turns] == [turns[0].pk] * 3
    sent = _as_sent(turns[2])
    assert [m["content"] for m in sent][2:] == [
        turns[0].output,
        "Say it again.",
        turns[1].output,
        "Now in French.",
    ]
    assert turns[2].prompt_tokens == _prompt_tokens(sent) > turns[1].prompt_tokens
    # The web form and the follow-up box, as a browser posts them.
    web_client = http_client(web, user)
    token = csrf_token(web_client, "/t/summarizer/run")
    page = web_client.post(
        "/t/summarizer/run",
        data={"csrfmiddlewaretoken": token, "in-text": text, "in-style": "short"},
    )
    run = wait_final(page.headers["location"].strip("/").split("/")[-1])
    for follow_up in ("Say it again.", "Now in French."):
        token = csrf_token(web_client, run.get_absolute_url())
        page = web_client.post(
            f"/runs/{run.pk}/followup",
            data={"csrfmiddlewaretoken": token, "message": follow_up},
        )
        assert page.status_code == 302, page.text
        run = wait_final(page.headers["location"].strip("/").split("/")[-1])
        assert run.state == "succeeded"
        assert run.prompt_tokens == _prompt_tokens(_as_sent(run))
    assert (run.turn, len(_as_sent(run))) == (3, 6)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_cancel_mid_turn_keeps_the_thread_usable(web, worker, user, summarizer):
    from tools import streams

    _, secret = token_create(user=user, name="rest")
    api = httpx.Client(base_url=web, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    body = {
        "tool": "summarizer",
        "inputs": {"text": "A dragon.", "style": "long"},
        "sampling": {"max_new_tokens": 6, "temperature": 0.0},
    }
    first = wait_final(api.post("/api/runs/", json=body).json()["id"])
    longer = {**first.sampling, "max_new_tokens": 400, "frequency_penalty": 0.0}
    Run.objects.filter(pk=first.pk).update(sampling=longer)  # outlasts the cancel
    ask = "Now write a very long story about that dragon, chapter by chapter."
    long = api.post(f"/api/runs/{first.pk}/followup/", json={"message": ask}).json()
    deadline = time.monotonic() + 60
    while not streams.streamed_text(long["id"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.post(f"/api/runs/{long['id']}/cancel/").status_code == 200
    cancelled = wait_final(long["id"])
    assert cancelled.state == "cancelled" and cancelled.output
    Run.objects.filter(pk=cancelled.pk).update(sampling={**cancelled.sampling, "max_new_tokens": 6})
    after = api.post(f"/api/runs/{cancelled.pk}/followup/", json={"message": "Sum it up."})
    assert after.status_code == 201, after.text
    done = wait_final(after.json()["id"])
    assert done.state == "succeeded" and done.turn == 3
    sent = _as_sent(done)
    assert sent[-3:] == [
        {"role": "user", "content": ask},
        {"role": "assistant", "content": cancelled.output},  # the partial answer
        {"role": "user", "content": "Sum it up."},
    ]
