"""The OpenAI-compatible API (/v1/) in the OpenAPI schema: its paths, bodies, errors and
auth are described by api.openai.schema, as spectacular cannot see plain Django views."""

import json

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from api.openai.parsing import MAX_STOP
from api.services import token_create
from tools.models import Run

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/v1/models": "get",
    "/v1/models/{model}": "get",
    "/v1/chat/completions": "post",
    "/v1/completions": "post",
}


@pytest.fixture
def schema(anon):
    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    loaded = response.json()
    validate_schema(loaded)
    return loaded


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_v1_paths_methods_and_bearer_auth(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, method in OPERATIONS.items():
        item = schema["paths"][path]
        assert set(item) == {method}, path
        operation = item[method]
        assert operation["security"] == [{"bearerAuth": []}], path
        assert operation["tags"] == ["openai"]
        for code in ("401", "429"):
            body = operation["responses"][code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/OpenAIError"}
    # Described, and after /api/'s sections (Swagger UI shows listed tags first).
    assert schema["tags"][-1]["name"] == "openai" and schema["tags"][-1]["description"]
    assert {"runs", "tools"} <= {tag["name"] for tag in schema["tags"]}


def test_v1_request_bodies(schema):
    def request_body(path):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        return resolve(schema, content["application/json"]["schema"])

    chat = request_body("/v1/chat/completions")
    assert set(chat["required"]) == {"model", "messages"}
    sampling = {
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "stream",
        "stream_options",
    }
    assert sampling <= set(chat["properties"])
    assert "tool:<slug>" in chat["properties"]["model"]["description"]
    assert chat["properties"]["temperature"]["maximum"] == 2
    message = resolve(schema, chat["properties"]["messages"]["items"])
    assert set(message["properties"]["role"]["enum"]) == {
        "system",
        "developer",
        "user",
        "assistant",
    }
    stop = resolve(schema, chat["properties"]["stop"])
    assert stop["oneOf"][1]["maxItems"] == MAX_STOP

    completion = request_body("/v1/completions")
    assert set(completion["required"]) == {"model", "prompt"}
    assert sampling <= set(completion["properties"])


def test_v1_answers_and_errors(schema):
    chat = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert {"200", "400", "401", "404", "429", "503"} <= set(chat)
    assert chat["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChatCompletion")
    assert "data: [DONE]" in schema["paths"]["/v1/chat/completions"]["post"]["description"]
    assert "text/event-stream" in chat["200"]["content"]
    assert "Retry-After" in chat["429"]["headers"]
    components = schema["components"]["schemas"]
    assert components["ChatCompletion"]["properties"]["object"]["enum"] == ["chat.completion"]
    assert components["TextCompletion"]["properties"]["object"]["enum"] == ["text_completion"]
    assert components["ChatCompletionChunk"]["properties"]["object"]["enum"] == [
        "chat.completion.chunk"
    ]
    error = components["OpenAIError"]["properties"]["error"]
    assert set(error["required"]) == {"message", "type", "param", "code"}
    models = schema["paths"]["/v1/models"]["get"]["responses"]["200"]
    assert models["content"]["application/json"]["schema"]["$ref"].endswith("/ModelList")


@pytest.mark.parametrize("role", [{}, ["user"], 3, None])
def test_a_role_that_is_not_a_string_is_400(user, role):
    # Found by fuzzing /v1/: an unhashable role (a dict or list) was a 500.
    _, secret = token_create(user=user, name="schema")
    body = {"model": "base", "messages": [{"role": role, "content": "hi"}]}
    r = Client().post(
        "/v1/chat/completions",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["param"] == "messages[0].role"
    assert Run.objects.count() == 0
