"""The OpenAI-compatible API (/v1/): error shapes through Django's test client, then the
official `openai` package against a live stack (uvicorn + a real Celery worker with the real
default model) on the test database."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import openai
import pytest
from django.test import Client

from api import openai as oa
from api.services import token_create
from bench import processes as stack
from tests.api.conftest import make_tool
from tests.helpers import wait_final
from tests.tools.conftest import stack_env, web
from tools.models import Run
from tools.services import tool_create, tool_publish, tool_version_create

TOOL_SCHEMA = [
    {"name": "text", "label": "Text", "type": "long_text"},
    {"name": "style", "type": "choice", "choices": ["short", "long"], "default": "short"},
]


def bearer(user) -> dict:
    _, secret = token_create(user=user, name="openai")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, path: str, body, headers: dict):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def assert_error(response, status: int, code=None, param=None):
    assert response.status_code == status, response.content
    err = response.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    if code is not None:
        assert err["code"] == code
    if param is not None:
        assert err["param"] == param
    return err


CHAT = {"model": "base", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}


# --- fast: error shapes and parameters through Django's test client ---------------------------


@pytest.mark.django_db
class TestErrors:
    def test_missing_and_bad_token_are_401(self, user):
        c = Client()
        assert_error(c.get("/v1/models"), 401, "invalid_api_key")
        bad = {"HTTP_AUTHORIZATION": "Bearer gpts_nope_nope"}
        r = c.get("/v1/models", **bad)
        assert_error(r, 401, "invalid_api_key")
        assert r["WWW-Authenticate"].startswith("Bearer")
        assert_error(post(c, "/v1/chat/completions", CHAT, bad), 401)
        assert_error(post(c, "/v1/completions", {}, {}), 401)

    def test_models_lists_base_listed_and_own_tools_only(self, user, other_user):
        make_tool(other_user, "Bob Public")
        make_tool(other_user, "Bob Private", visibility="private")
        make_tool(other_user, "Bob Draft", publish=False)
        make_tool(user, "Alice Private", visibility="private")
        r = Client().get("/v1/models", **bearer(user))
        assert r.status_code == 200 and r.json()["object"] == "list"
        ids = [m["id"] for m in r.json()["data"]]
        assert ids == [oa.base_model_id(), "tool:alice-private", "tool:bob-public"]
        assert all(m["object"] == "model" for m in r.json()["data"])
        detail = Client().get("/v1/models/tool:bob-public", **bearer(user))
        assert detail.json()["owned_by"] == "bob"
        assert_error(Client().get("/v1/models/tool:bob-private", **bearer(user)), 404)

    def test_unknown_or_hidden_model_is_404(self, user, other_user):
        make_tool(other_user, "Bob Private", visibility="private")
        for model in ("gpt-4o", "tool:nope", "tool:bob-private"):
            r = post(Client(), "/v1/chat/completions", {**CHAT, "model": model}, bearer(user))
            assert_error(r, 404, "model_not_found", "model")
        assert Run.objects.count() == 0

    @pytest.mark.parametrize(
        "change, param",
        [
            ({"n": 2}, "n"),
            ({"temperature": 3}, "temperature"),
            ({"top_p": 1.5}, "top_p"),
            ({"max_tokens": 0}, "max_tokens"),
            ({"max_tokens": "8"}, "max_tokens"),
            ({"seed": -1}, "seed"),
            ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
            ({"stop": [""]}, "stop"),
            ({"messages": []}, "messages"),
            ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
            ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
            ({"model": None}, "model"),
            ({"stream": "yes"}, "stream"),
        ],
    )
    def test_bad_parameters_are_400(self, user, change, param):
        r = post(Client(), "/v1/chat/completions", {**CHAT, **change}, bearer(user))
        assert_error(r, 400, param=param)
        assert Run.objects.count() == 0

    def test_bad_json_and_bad_prompt(self, user):
        c, h = Client(), bearer(user)
        r = c.post("/v1/chat/completions", "{", content_type="application/json", **h)
        assert_error(r, 400)
        assert_error(
            post(c, "/v1/completions", {"model": "base", "prompt": 3}, h), 400, None, "prompt"
        )
        assert_error(
            post(c, "/v1/completions", {"model": "base", "prompt": ["a", "b"]}, h),
            400,
            None,
            "prompt",
        )

    def test_too_long_prompt_is_400(self, user):
        long = "lorem ipsum dolor " * 3000
        body = {**CHAT, "messages": [{"role": "user", "content": long}]}
        r = post(Client(), "/v1/chat/completions", body, bearer(user))
        assert_error(r, 400, "context_length_exceeded", "messages")
        r = post(Client(), "/v1/completions", {"model": "base", "prompt": long}, bearer(user))
        assert_error(r, 400, "context_length_exceeded", "prompt")
        assert Run.objects.count() == 0

    def test_method_not_allowed_and_unknown_path(self, user):
        assert_error(Client().get("/v1/chat/completions", **bearer(user)), 405)
        assert_error(Client().get("/v1/embeddings"), 404, "unknown_url")

    def test_live_run_cap_is_429_with_retry_after(self, user, settings):
        settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 0
        r = post(Client(), "/v1/chat/completions", CHAT, bearer(user))
        assert_error(r, 429, "too_many_live_runs")
        assert int(r["Retry-After"]) > 0

    def test_throttle_is_429_with_retry_after(self, user, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "2/minute"},
        }
        h = bearer(user)
        assert [Client().get("/v1/models", **h).status_code for _ in range(2)] == [200, 200]
        r = Client().get("/v1/models", **h)
        assert_error(r, 429, "rate_limit_exceeded")
        assert int(r["Retry-After"]) > 0

    def test_queue_down_is_503(self, user, monkeypatch):
        monkeypatch.setattr(oa.streams, "ping", lambda: False)
        r = post(Client(), "/v1/chat/completions", CHAT, bearer(user))
        assert_error(r, 503, "queue_unavailable")
        assert Run.objects.count() == 0

    def test_failed_runs_map_to_openai_errors(self):
        def failure(error, reason="error"):
            err = oa._failure(Run(state="failed", error=error, finish_reason=reason))
            return err.status, err.code

        assert failure("The prompt is 2000 tokens; the limit is 1536.") == (
            400,
            "context_length_exceeded",
        )
        assert failure("This run took too long and was stopped.", "timeout") == (504, "timeout")
        assert failure("The engine failed.") == (500, "run_failed")
        assert oa._failure(Run(state="succeeded")) is None

    def test_tool_input_rule(self, user):
        tool = make_tool(user, "Rewriter")  # one long_text field "text"
        assert oa.tool_inputs(tool, "hello") == {"text": "hello"}
        assert oa.tool_inputs(tool, '{"text": "from json"}') == {"text": "from json"}
        assert oa.tool_inputs(tool, '{"other": 1}') == {"text": '{"other": 1}'}

    def test_tool_inputs_that_break_the_schema_are_400(self, user):
        tool = tool_create(author=user, name="Counter")
        version = tool_version_create(
            tool=tool,
            prompt_template="Count to {{n}}",
            input_schema=[{"name": "n", "type": "integer", "min": 1, "max": 5}],
        )
        tool_publish(tool=tool, version=version)
        body = {**CHAT, "model": "tool:counter"}
        assert_error(post(Client(), "/v1/chat/completions", body, bearer(user)), 400)
        body["messages"] = [{"role": "user", "content": '{"n": 99}'}]
        err = assert_error(post(Client(), "/v1/chat/completions", body, bearer(user)), 400)
        assert err["code"] == "invalid_inputs" and "n:" in err["message"]

    def test_base_model_run_shows_in_history(self, user):
        messages = [{"role": "user", "content": "hi there"}]
        run = Run.objects.create(
            user=user, prompt="hi there", messages=messages, model="base", state="succeeded"
        )
        c = Client()
        c.force_login(user)
        assert "base" in c.get("/runs/").content.decode()
        page = c.get(f"/runs/{run.pk}/").content.decode()
        assert "hi there" in page and "Run again" not in page
        api = Client().get("/api/runs/", **bearer(user)).json()["results"]
        assert api[0]["id"] == str(run.pk) and api[0]["tool"] is None


# --- live: the official client against uvicorn + a real worker -------------------------------

WORKER = "openai-worker"


@pytest.fixture(scope="module")
def worker(stack_env):
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
    assert oa.base_model_id() in [m.id for m in good.models.list()]
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
        model=oa.base_model_id(),
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
