"""Hostile input to every API write: NUL, lone surrogates, 1 MB strings, deep JSON, wrong
types, negative and huge numbers. Every answer is a 4xx (never a 5xx) and no row changes."""

import copy
import json

import pytest
from django.test import Client

from .conftest import bearer, deep, post_json, row_counts

pytestmark = pytest.mark.django_db

MB = "x" * 1_000_000
TEXT_VALUES = {
    "nul": "a\u0000b",
    "surrogate": "a\ud800b",
    "megabyte": MB,
    "list": [["a"], 1],
    "object": {"a": {"b": 1}},
    "null": None,
}
NUMBER_VALUES = {
    "negative": -1,
    "huge": 10**30,
    "enormous": 1e308,
    "text": "many",
    "nul": "\u0000",
    "list": [1],
}
# /v1/ follows OpenAI: a number must be a JSON number. The REST API follows DRF, which reads
# "7" and true as numbers; there those are not hostile.
STRICT_NUMBER_VALUES = {"string": "7", "bool": True}
# Accepted by design: a null system prompt is "none"; /v1/ caps max_tokens server-side.
BY_DESIGN = {"system_prompt=null", "max_tokens=huge"}


def with_value(body: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(body)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def variants(body: dict, texts: list[tuple], numbers: list[tuple], *, strict: bool = False):
    number_values = {**NUMBER_VALUES, **(STRICT_NUMBER_VALUES if strict else {})}
    for values, paths in ((TEXT_VALUES, texts), (number_values, numbers)):
        for path in paths:
            for name, value in values.items():
                label = f"{'.'.join(map(str, path))}={name}"
                if label not in BY_DESIGN:
                    yield label, with_value(body, path, value)


def endpoints(tool, own_tool):
    """(method, path, valid body, text field paths, number field paths) of every API write."""
    chat = {
        "model": f"tool:{tool.slug}",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "max_tokens": 4,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["\n"],
    }
    completion = {"model": "base", "prompt": "Hi", "max_tokens": 4, "temperature": 0.5}
    version = {
        "prompt_template": "Say {{text}}",
        "input_schema": [{"name": "text", "type": "long_text"}],
        "system_prompt": "Be brief.",
        "sampling_defaults": {"temperature": 0.5, "max_new_tokens": 16},
        "example_inputs": [{"text": "hi"}],
    }
    return [
        (
            "post",
            "/api/tools/",
            {"name": "Hostile", "tagline": "t", "tags": ["a"], "visibility": "public"},
            [("name",), ("tagline",), ("visibility",), ("tags", 0), ("tags",)],
            [],
        ),
        (
            "patch",
            f"/api/tools/{own_tool.slug}/",
            {"name": "Renamed", "tagline": "t"},
            [("name",), ("tagline",), ("description",)],
            [],
        ),
        (
            "post",
            f"/api/tools/{own_tool.slug}/versions/",
            version,
            [("prompt_template",), ("system_prompt",), ("input_schema", 0, "name")],
            [("sampling_defaults", "temperature"), ("sampling_defaults", "max_new_tokens")],
        ),
        (
            "post",
            "/api/reviews/",
            {"tool": tool.slug, "stars": 4, "text": "Good"},
            [("tool",), ("text",)],
            [("stars",)],
        ),
        (
            "post",
            "/api/runs/",
            {"tool": tool.slug, "inputs": {"text": "hi"}, "sampling": {"temperature": 0.5}},
            [("tool",), ("inputs", "text"), ("inputs",)],
            [("sampling", "temperature"), ("sampling", "max_new_tokens"), ("sampling", "top_p")],
        ),
        (
            "post",
            "/v1/chat/completions",
            chat,
            [("model",), ("messages", 0, "content"), ("messages", 1, "content"), ("stop", 0)],
            [("max_tokens",), ("temperature",), ("top_p",)],
        ),
        (
            "post",
            "/v1/completions",
            completion,
            [("model",), ("prompt",)],
            [("max_tokens",), ("temperature",)],
        ),
    ]


@pytest.fixture
def setting(user, other_user, make_tool, settings):
    """Bob's published tool (Alice may review and run it) and Alice's own tool. No worker
    runs here: a /v1/ request that wrongly got through would wait for its run, briefly."""
    settings.GPTSTORE_OPENAI_WAIT = 0.5
    tool = make_tool("Bob Echo", author=other_user)
    own = make_tool("Alice Own", author=user)
    return tool, own, bearer(user)


def send(method: str, path: str, body, auth: dict):
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(Client(raise_request_exception=False), method)(
        path, data, content_type="application/json", **auth
    )


def test_every_api_write_refuses_hostile_values(setting):
    tool, own, auth = setting
    before = row_counts()
    failures = []
    for method, path, body, texts, numbers in endpoints(tool, own):
        for label, hostile in variants(body, texts, numbers, strict=path.startswith("/v1/")):
            r = send(method, path, hostile, auth)
            if not 400 <= r.status_code < 500:
                failures.append(f"{method.upper()} {path} {label}: {r.status_code}")
    assert failures == []
    assert row_counts() == before


@pytest.mark.parametrize("kind", ["deep", "not_json", "array", "string", "number"])
def test_every_api_write_refuses_bad_bodies(kind, setting):
    tool, own, auth = setting
    body = {
        "deep": deep(),
        "not_json": "{'a': 1,",
        "array": "[1, 2]",
        "string": '"a"',
        "number": "1e999999",
    }[kind]
    before = row_counts()
    for method, path, *_ in endpoints(tool, own):
        r = send(method, path, body, auth)
        assert 400 <= r.status_code < 500, (method, path, r.status_code)
    assert row_counts() == before


def test_v1_errors_stay_openai_shaped(setting):
    tool, own, auth = setting
    for label, hostile in variants({"model": "base", "prompt": "Hi"}, [("prompt",)], []):
        r = post_json(Client(), "/v1/completions", hostile, **auth)
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}, label


def test_token_form_refuses_hostile_names(user):
    c = Client()
    c.force_login(user)
    before = row_counts()
    for name in ("a\u0000b", MB):
        r = c.post("/settings/tokens/", {"name": name, "expires_in": ""})
        assert 400 <= r.status_code < 500
    r = c.post("/settings/tokens/", {"name": "ok", "expires_in": "-99999999999999999999"})
    assert r.status_code < 500
    assert row_counts() == before
