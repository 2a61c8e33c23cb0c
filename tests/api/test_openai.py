"""The OpenAI-compatible API (/v1/) through Django's test client: error shapes, parameter
checks, model names and the mapping of failed runs to OpenAI's errors."""

import json

import pytest
from django.test import Client

from api.openai.errors import run_failure
from api.openai.resolve import base_model_id, tool_inputs
from api.services import token_create
from tools import streams
from tools.models import Run
from tools.services import tool_create, tool_publish, tool_version_create


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

    def test_models_lists_base_listed_and_own_tools_only(self, user, other_user, make_tool):
        make_tool("Bob Public", author=other_user)
        make_tool("Bob Private", author=other_user, visibility="private")
        make_tool("Bob Draft", author=other_user, status="draft")
        make_tool("Alice Private", author=user, visibility="private")
        r = Client().get("/v1/models", **bearer(user))
        assert r.status_code == 200 and r.json()["object"] == "list"
        ids = [m["id"] for m in r.json()["data"]]
        assert ids == [base_model_id(), "tool:alice-private", "tool:bob-public"]
        assert all(m["object"] == "model" for m in r.json()["data"])
        detail = Client().get("/v1/models/tool:bob-public", **bearer(user))
        assert detail.json()["owned_by"] == "bob"
        assert_error(Client().get("/v1/models/tool:bob-private", **bearer(user)), 404)

    def test_unknown_or_hidden_model_is_404(self, user, other_user, make_tool):
        make_tool("Bob Private", author=other_user, visibility="private")
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
        monkeypatch.setattr(streams, "ping", lambda: False)
        r = post(Client(), "/v1/chat/completions", CHAT, bearer(user))
        assert_error(r, 503, "queue_unavailable")
        assert Run.objects.count() == 0

    def test_failed_runs_map_to_openai_errors(self):
        def failure(error, reason="error", code="engine_error"):
            run = Run(state="failed", error=error, finish_reason=reason, error_code=code)
            err = run_failure(run)
            return err.status, err.code

        assert failure("The prompt is 2000 tokens; the limit is 1536.", code="prompt_too_long") == (
            400,
            "context_length_exceeded",
        )
        assert failure("This run took too long and was stopped.", "timeout", "timeout") == (
            504,
            "timeout",
        )
        assert failure("The engine failed.") == (500, "run_failed")
        assert run_failure(Run(state="succeeded")) is None

    def test_tool_input_rule(self, user, make_tool):
        tool = make_tool("Rewriter", author=user)  # one long_text field "text"
        assert tool_inputs(tool, "hello") == {"text": "hello"}
        assert tool_inputs(tool, '{"text": "from json"}') == {"text": "from json"}
        assert tool_inputs(tool, '{"other": 1}') == {"text": '{"other": 1}'}

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
