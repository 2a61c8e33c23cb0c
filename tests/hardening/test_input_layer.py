"""Finding (5), text and depth: NUL, lone surrogates and deeply nested JSON are a 400 from
the one input layer, shaped for where they were sent, and never reach a query."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.tools.builder_form import builder_post

from .conftest import bearer, deep, post_json, row_counts

pytestmark = pytest.mark.django_db

NUL, SURROGATE = "\u0000", "\ud800"
# json.dumps writes both as escapes (\u0000, \ud800): valid JSON, text PostgreSQL refuses.
BAD = [NUL, SURROGATE]


def chat(model="base", system="Be brief.", content="Hi", stop=None) -> dict:
    body = {
        "model": model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": content}],
        "max_tokens": 4,
    }
    if stop is not None:
        body["stop"] = stop
    return body


def assert_openai_400(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_text"


@pytest.mark.parametrize("bad", BAD)
def test_v1_chat_text_fields(bad, user, tool):
    auth = bearer(user)
    before = row_counts()
    for body in (
        chat(content=f"a{bad}b"),
        chat(system=f"a{bad}b"),
        chat(stop=[f"a{bad}"]),
        chat(model=f"tool:a{bad}b"),
        chat(model=f"tool:{tool.slug}", content=f"x{bad}"),
    ):
        assert_openai_400(post_json(Client(), "/v1/chat/completions", body, **auth))
    assert row_counts() == before


@pytest.mark.parametrize("bad", BAD)
def test_v1_completions_prompt_and_stop(bad, user):
    auth = bearer(user)
    bodies = ({"model": "base", "prompt": f"a{bad}"}, {"model": "base", "prompt": "a", "stop": bad})
    for body in bodies:
        assert_openai_400(post_json(Client(), "/v1/completions", body, **auth))


def test_v1_model_id_in_the_path(user):
    assert_openai_400(Client().get("/v1/models/tool:%00", **bearer(user)))


def test_pages_with_nul_in_query_or_path(db):
    c = Client()
    for url in ("/search/?category=%00", "/search/?tag=%00", "/search/?q=a%00b", "/u/%00/"):
        r = c.get(url)
        assert r.status_code == 400 and r["Content-Type"].startswith("text/html"), url


def test_api_paths_answer_json(user, tool):
    r = Client().get("/api/tools/?search=%00")
    assert r.status_code == 400 and r.json()["code"] == "invalid_text"
    body = {"tool": tool.slug, "inputs": {"text": f"a{NUL}"}}
    r = post_json(Client(), "/api/runs/", body, **bearer(user))
    assert r.status_code == 400 and r.json() == {
        "detail": "The request contains a NUL character or an unpaired surrogate.",
        "code": "invalid_text",
    }


def test_surrogate_in_an_object_key(user, tool):
    raw = json.dumps({"tool": tool.slug, "inputs": {SURROGATE: "x"}})
    r = post_json(Client(), "/api/runs/", raw, **bearer(user))
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/api/tools/", "/api/runs/"])
def test_deep_json_bodies(path, user):
    auth = bearer(user)
    before = row_counts()
    r = post_json(Client(), path, deep(), **auth)
    assert r.status_code == 400
    body = r.json()
    code = body["error"]["code"] if path.startswith("/v1/") else body["code"]
    assert code == "json_too_deep"
    assert row_counts() == before


def test_deep_json_inside_a_valid_object(user, tool):
    nested = {"tool": tool.slug, "inputs": {"text": json.loads("[" * 40 + "]" * 40)}}
    r = post_json(Client(), "/api/runs/", nested, **bearer(user))
    assert r.status_code == 400 and r.json()["code"] == "json_too_deep"


def test_brackets_inside_strings_do_not_count(user, tool):
    body = {"tool": tool.slug, "inputs": {"text": "[" * 2000}}
    r = post_json(Client(), "/api/runs/", body, **bearer(user))
    assert r.status_code != 400 or r.json().get("code") != "json_too_deep"
    assert r.status_code < 500


def test_form_fields_with_nul(user):
    c = Client()
    c.force_login(user)
    before = row_counts()
    r = c.post(reverse("builder_new"), builder_post(name=f"a{NUL}b"))
    assert r.status_code == 400
    r = c.post(reverse("builder_new"), builder_post(example_inputs=f'[{{"text": "a{NUL}"}}]'))
    assert r.status_code == 400
    assert row_counts() == before


def test_builder_example_inputs_too_deep_is_a_field_error(user):
    c = Client()
    c.force_login(user)
    before = row_counts()
    r = c.post(reverse("builder_new"), builder_post(example_inputs=deep()))
    assert r.status_code == 400
    assert b"nested deeper than" in r.content
    assert row_counts() == before
