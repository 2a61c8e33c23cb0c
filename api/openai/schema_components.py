"""The components (request and answer bodies) of the /v1/ OpenAPI description; the paths
that use them are in `api.openai.schema`.

Limits are taken from the code that enforces them (`parsing`, the sampling ranges, the model
names of `resolve`), so the description cannot drift from the validation silently.
"""

from __future__ import annotations

from tools.sampling import SAMPLING_RANGES

from .parsing import MAX_STOP, ROLES
from .resolve import BASE_ALIAS, TOOL_PREFIX, base_model_id


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _enum(value: str) -> dict:
    return {"type": "string", "enum": [value]}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    out = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = required
    return out


def _num_range(name: str, text: str) -> dict:
    lo, hi = SAMPLING_RANGES[name]
    return {"type": "number", "minimum": lo, "maximum": hi, "nullable": True, "description": text}


STR = {"type": "string"}
INT = {"type": "integer"}
NULL = {"type": "object", "nullable": True, "enum": [None], "description": "Always null here."}


def _model_description(chat: bool) -> str:
    if chat:
        tool_rule = (
            "the first user message fills the tool's inputs and the messages after it continue "
            "the conversation; system messages are left out (the tool's own system prompt "
            "applies), and the conversation must start with a user message"
        )
    else:
        tool_rule = "the prompt fills the tool's inputs"
    return (
        f"`{BASE_ALIAS}` or the base model's name as `/v1/models` lists it (here "
        f"`{base_model_id()}`): the model itself. `{TOOL_PREFIX}<slug>`: a published tool "
        f"you may run (listed, or your own); {tool_rule}. Inputs are a JSON object whose keys "
        "are all among the tool's input names, or any other text, which fills the tool's "
        "first required text field. Anything else is a 404 `model_not_found`."
    )


def _sampling_properties() -> dict:
    max_tokens = {
        "type": "integer",
        "minimum": 1,
        "nullable": True,
        "description": "Most tokens to generate; the server caps it "
        "(`GPTSTORE_MAX_NEW_TOKENS`). Errors name it `max_tokens`.",
    }
    return {
        "max_completion_tokens": max_tokens,
        "max_tokens": {
            **max_tokens,
            "description": "Older name of `max_completion_tokens`, used when that is absent.",
        },
        "temperature": _num_range("temperature", "Below 1e-5: greedy decoding."),
        "top_p": _num_range("top_p", "Nucleus sampling; 0 means greedy decoding."),
        "frequency_penalty": _num_range(
            "frequency_penalty",
            "Lowers a token's logit by this much for each time the answer has used it. "
            "Default: the tool's or the model's setting, else 0.",
        ),
        "presence_penalty": _num_range(
            "presence_penalty",
            "Lowers a token's logit by this much once the answer has used it. "
            "Default: the tool's or the model's setting, else 0.",
        ),
        "seed": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2**63 - 1,
            "nullable": True,
            "description": "The same seed, prompt and settings give the same text.",
        },
        "stop": ref("Stop"),
        "n": {
            "type": "integer",
            "enum": [1],
            "nullable": True,
            "description": "Only one choice per request.",
        },
        "stream": {
            "type": "boolean",
            "nullable": True,
            "description": "Answer as Server-Sent Events (see the 200 response).",
        },
        "stream_options": ref("StreamOptions"),
    }


def request_schemas() -> dict:
    text_part = _obj({"type": _enum("text"), "text": STR}, ["type", "text"])
    message = _obj(
        {
            "role": {
                "type": "string",
                "enum": sorted(ROLES),
                "description": "`developer` is taken as `system`.",
            },
            "content": {
                "oneOf": [STR, {"type": "array", "items": ref("TextContentPart")}],
                "description": "Text, or text content parts (joined). Other part types are a 400.",
            },
        },
        ["role", "content"],
    )
    chat = _obj(
        {
            "model": {"type": "string", "minLength": 1, "description": _model_description(True)},
            "messages": {"type": "array", "minItems": 1, "items": ref("ChatMessage")},
            **_sampling_properties(),
        },
        ["model", "messages"],
        description="Unknown fields are ignored, as OpenAI's clients send some of their own.",
        example={
            "model": BASE_ALIAS,
            "messages": [
                {"role": "system", "content": "You are brief."},
                {"role": "user", "content": "Name one colour."},
            ],
            "max_tokens": 16,
        },
    )
    prompt = {
        "oneOf": [STR, {"type": "array", "items": STR, "minItems": 1, "maxItems": 1}],
        "description": "One prompt, sent to the base model without a chat template.",
    }
    completion = _obj(
        {
            "model": {"type": "string", "minLength": 1, "description": _model_description(False)},
            "prompt": prompt,
            **_sampling_properties(),
        },
        ["model", "prompt"],
        description="Unknown fields are ignored.",
        example={"model": BASE_ALIAS, "prompt": "Once upon a time", "max_tokens": 16},
    )
    stop = {
        "oneOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "maxItems": MAX_STOP,
            },
        ],
        "nullable": True,
        "description": f"Text that ends the answer (not included): a string or up to {MAX_STOP}.",
    }
    options = _obj(
        {
            "include_usage": {
                "type": "boolean",
                "description": "End the stream with a chunk that carries `usage`.",
            }
        },
        nullable=True,
    )
    return {
        "TextContentPart": text_part,
        "ChatMessage": message,
        "Stop": stop,
        "StreamOptions": options,
        "ChatCompletionRequest": chat,
        "CompletionRequest": completion,
    }


def response_schemas() -> dict:
    finish = {"type": "string", "enum": ["stop", "length"], "nullable": True}
    ids = {
        "id": {"type": "string", "description": "`chatcmpl-<run>` or `cmpl-<run>`."},
        "created": {"type": "integer", "description": "Unix time the run was queued."},
        "model": {"type": "string", "description": "The `model` the request named."},
        "system_fingerprint": {**STR, "nullable": True},
    }
    head = ["id", "object", "created", "model", "choices"]
    usage = _obj(
        {"prompt_tokens": INT, "completion_tokens": INT, "total_tokens": INT},
        ["prompt_tokens", "completion_tokens", "total_tokens"],
    )
    assistant = _obj(
        {"role": _enum("assistant"), "content": STR, "refusal": {**STR, "nullable": True}},
        ["role", "content"],
    )
    chat_choice = _obj(
        {"index": INT, "message": assistant, "logprobs": NULL, "finish_reason": finish},
        ["index", "message", "finish_reason"],
    )
    text_choice = _obj(
        {"index": INT, "text": STR, "logprobs": NULL, "finish_reason": finish},
        ["index", "text", "finish_reason"],
    )
    delta = _obj(
        {"role": _enum("assistant"), "content": STR},
        description='The first chunk\'s is `{role: assistant, content: ""}`; then the new '
        "text; `{}` in the chunk that only carries `finish_reason`.",
    )
    chunk_choice = _obj(
        {"index": INT, "delta": delta, "logprobs": NULL, "finish_reason": finish},
        ["index", "delta", "finish_reason"],
    )
    chunk_doc = (
        "One `data:` line of a streamed answer. `choices` is empty, and `usage` set, only in "
        "the last chunk of a stream that asked for `stream_options.include_usage`."
    )
    error = _obj(
        {
            "error": _obj(
                {
                    "message": STR,
                    "type": {
                        "type": "string",
                        "description": "`invalid_request_error`, `rate_limit_error` (429) "
                        "or `server_error` (5xx).",
                    },
                    "param": {
                        **STR,
                        "nullable": True,
                        "description": "The request field at fault, e.g. `messages[0].role`.",
                    },
                    "code": {
                        **STR,
                        "nullable": True,
                        "description": "e.g. `invalid_api_key`, `invalid_value`, "
                        "`model_not_found`, `context_length_exceeded`, `invalid_inputs`, "
                        "`too_many_live_runs`, `rate_limit_exceeded`, `queue_unavailable`, "
                        "`run_failed`, `timeout`.",
                    },
                },
                ["message", "type", "param", "code"],
            )
        },
        ["error"],
    )
    model = _obj(
        {
            "id": {"type": "string", "description": f"The base model, or `{TOOL_PREFIX}<slug>`."},
            "object": _enum("model"),
            "created": INT,
            "owned_by": {"type": "string", "description": "A tool's author's username."},
        },
        ["id", "object", "created", "owned_by"],
    )
    return {
        "ChatCompletion": _obj(
            {
                **ids,
                "object": _enum("chat.completion"),
                "choices": {"type": "array", "items": chat_choice},
                "usage": ref("CompletionUsage"),
            },
            [*head, "usage"],
        ),
        "TextCompletion": _obj(
            {
                **ids,
                "object": _enum("text_completion"),
                "choices": {"type": "array", "items": text_choice},
                "usage": ref("CompletionUsage"),
            },
            [*head, "usage"],
        ),
        "ChatCompletionChunk": _obj(
            {
                **ids,
                "object": _enum("chat.completion.chunk"),
                "choices": {"type": "array", "items": chunk_choice},
                "usage": ref("CompletionUsage"),
            },
            head,
            description=chunk_doc,
        ),
        "TextCompletionChunk": _obj(
            {
                **ids,
                "object": _enum("text_completion"),
                "choices": {"type": "array", "items": text_choice},
                "usage": ref("CompletionUsage"),
            },
            head,
            description=chunk_doc,
        ),
        "CompletionUsage": usage,
        "Model": model,
        "ModelList": _obj(
            {"object": _enum("list"), "data": {"type": "array", "items": ref("Model")}},
            ["object", "data"],
        ),
        "OpenAIError": error,
    }
