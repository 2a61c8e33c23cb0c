"""The OpenAPI description of /v1/: drf-spectacular's postprocessing hook `add_openai_api`
(config.settings SPECTACULAR_SETTINGS) adds its paths, components and tag.

The endpoints are plain async Django views, so spectacular cannot see them; they are
described here by hand, their bodies in `schema_components`.
"""

from __future__ import annotations

from .resolve import BASE_ALIAS, TOOL_PREFIX
from .schema_components import ref, request_schemas, response_schemas

TAG = "openai"
SECURITY = [{"bearerAuth": []}]

STREAM_DOC = (
    "With `stream: true` the answer is `text/event-stream`: one `data: <json>` line per "
    "chunk (`{chunk}`), sent as the text is generated. A chat stream opens with a chunk "
    'whose delta is `{{"role": "assistant", "content": ""}}`; the last chunk carries '
    "`finish_reason`; with `stream_options.include_usage` one more chunk has empty "
    "`choices` and the `usage`; the stream ends with `data: [DONE]`. A failure after the "
    "200 was sent (the run failed, or timed out) is one `data:` line holding the error body "
    "(`OpenAIError`) before `data: [DONE]`. A client that disconnects cancels the run."
)
ERRORS = {
    "400": "Bad input: invalid JSON, a field out of range (`param` names it, "
    "`invalid_value`), tool inputs its schema refuses (`invalid_inputs`), a prompt over the "
    "server's limit (`context_length_exceeded`), text with NUL characters (`invalid_text`).",
    "401": "No API token, or an invalid, expired or revoked one (`invalid_api_key`).",
    "404": "Unknown model, or a tool you may not run (`model_not_found`).",
    "413": "The body is larger than the server accepts (`body_too_large`).",
    "429": "Too many requests (`rate_limit_exceeded`), too many of your runs in progress "
    "(`too_many_live_runs`) or your daily token budget is spent (`token_budget_exceeded`); "
    "retry after `Retry-After` seconds.",
    "500": "The run failed (`run_failed`); the run stays in your history.",
    "503": "Runs are paused: the queue is unavailable (`queue_unavailable`); nothing was "
    "stored. Retry after `Retry-After` seconds.",
    "504": "The run did not finish in time (`timeout`); it is cancelled.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _errors(*codes: str) -> dict:
    out = {}
    for code in codes:
        body = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": ref("OpenAIError")}},
        }
        if code in ("429", "503"):
            body["headers"] = RETRY_AFTER
        if code == "401":
            body["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        out[code] = body
    return out


def _event(chunk: str) -> dict:
    # Before OpenAPI 3.2 (`itemSchema`), an event stream's `schema` describes one event, as
    # a parsed Server-Sent Event: its fields, `data` a string.
    return {
        "type": "object",
        "properties": {
            "data": {
                "type": "string",
                "description": f"A JSON `{chunk}`; an `OpenAIError` body; or `[DONE]`, last.",
            }
        },
        "required": ["data"],
        "description": "One Server-Sent Event (`data: ...` and a blank line).",
    }


def _completion_operation(chat: bool) -> dict:
    name = "ChatCompletion" if chat else "TextCompletion"
    chunk = "ChatCompletionChunk" if chat else "TextCompletionChunk"
    what = "chat completion" if chat else "completion"
    request = "ChatCompletionRequest" if chat else "CompletionRequest"
    return {
        "post": {
            "operationId": "v1_chat_completions" if chat else "v1_completions",
            "summary": f"Create a {what} (OpenAI-compatible)",
            "description": (
                "Runs the base model or a tool like any other run (it shows in your history; "
                "the `X-Run-Id` header names it), waits for the answer and returns it. "
                + STREAM_DOC.format(chunk=chunk)
            ),
            "tags": [TAG],
            "security": SECURITY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(request)}},
            },
            "responses": {
                "200": {
                    "description": f"The {what}, or its stream of `{chunk}`s.",
                    "headers": {
                        "X-Run-Id": {
                            "schema": {"type": "string", "format": "uuid"},
                            "description": "The run behind the answer (`/api/runs/{id}/`).",
                        }
                    },
                    "content": {
                        "application/json": {"schema": ref(name)},
                        "text/event-stream": {"schema": _event(chunk)},
                    },
                },
                **_errors("400", "401", "404", "413", "429", "500", "503", "504"),
            },
        }
    }


def _paths() -> dict:
    model_param = {
        "name": "model",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": f"A model id as listed, e.g. `{TOOL_PREFIX}<slug>`.",
        "example": BASE_ALIAS,
    }
    return {
        "/v1/models": {
            "get": {
                "operationId": "v1_models_list",
                # Swagger UI shows summaries as plain text: no Markdown here.
                "summary": "List the models you can use: the base model, then every tool "
                f"you may run as {TOOL_PREFIX}<slug>",
                "tags": [TAG],
                "security": SECURITY,
                "responses": {
                    "200": {
                        "description": "The models.",
                        "content": {"application/json": {"schema": ref("ModelList")}},
                    },
                    **_errors("401", "429"),
                },
            }
        },
        "/v1/models/{model}": {
            "get": {
                "operationId": "v1_models_retrieve",
                "summary": "One model",
                "tags": [TAG],
                "security": SECURITY,
                "parameters": [model_param],
                "responses": {
                    "200": {
                        "description": "The model.",
                        "content": {"application/json": {"schema": ref("Model")}},
                    },
                    **_errors("400", "401", "404", "429"),
                },
            }
        },
        "/v1/chat/completions": _completion_operation(chat=True),
        "/v1/completions": _completion_operation(chat=False),
    }


def add_openai_api(result, generator, request, public):
    """Postprocessing hook: add the /v1/ paths, their components and their tag."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in {**request_schemas(), **response_schemas()}.items():
        if name in schemas:  # a serializer of /api/ took the name: fail loudly, not silently
            raise ValueError(f"OpenAPI component {name!r} is defined twice")
        schemas[name] = schema
    result["components"].setdefault("securitySchemes", {}).setdefault(
        "bearerAuth", {"type": "http", "scheme": "bearer"}
    )
    paths = result.setdefault("paths", {})
    paths.update(_paths())
    # Swagger UI puts tags listed here first: list every tag, in the order the paths use
    # them, so /api/'s sections keep their places and /v1/'s comes last, described.
    order = dict.fromkeys(
        name
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict)
        for name in operation.get("tags", [])
        if name != TAG
    )
    described = {tag["name"]: tag for tag in result.get("tags", [])}
    described[TAG] = {
        "name": TAG,
        "description": "OpenAI-compatible API under `/v1/`: point an OpenAI client at "
        "`<this server>/v1` with a personal API token as its key. Errors have OpenAI's "
        'shape, `{"error": {"message", "type", "param", "code"}}`.',
    }
    result["tags"] = [described.get(name, {"name": name}) for name in [*order, TAG]]
    return result
