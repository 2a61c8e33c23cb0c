"""Request validation for the completion endpoints: every field a client sends is checked
here, and a bad one is a 400 that names it (`param`), as OpenAI's API does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from tools.sampling import SAMPLING_RANGES, api_sampling

from .errors import bad_request

ROLES = {"system", "developer", "user", "assistant"}
MAX_STOP = 4


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked(value: Any, param: str, ok: Callable[[Any], bool], message: str) -> Any:
    """`value` if it is absent (None) or passes `ok`; else a 400 that names `param`."""
    if value is not None and not ok(value):
        raise bad_request(message, param)
    return value


def _in_range(body: dict, name: str) -> float | None:
    lo, hi = SAMPLING_RANGES[name]
    return _checked(
        body.get(name),
        name,
        lambda v: _is_num(v) and lo <= v <= hi,
        f"{name} must be a number between {lo:g} and {hi:g}.",
    )


def _stop(value: Any) -> list[str] | None:
    stop = [value] if isinstance(value, str) else value
    return _checked(
        stop,
        "stop",
        lambda v: (
            isinstance(v, list) and len(v) <= MAX_STOP and all(isinstance(s, str) and s for s in v)
        ),
        f"stop must be a non-empty string or a list of at most {MAX_STOP} of them.",
    )


def sampling(body: dict) -> dict:
    """Validate the sampling fields of a request; -> run sampling values (absent ones left out)."""
    _checked(body.get("n"), "n", lambda v: v == 1, "Only n=1 is supported.")
    max_tokens = _checked(
        body.get("max_completion_tokens", body.get("max_tokens")),
        "max_tokens",
        lambda v: _is_int(v) and v >= 1,
        "max_tokens must be an integer >= 1.",
    )
    temperature = _in_range(body, "temperature")
    top_p = _in_range(body, "top_p")
    if top_p == 0:  # "only the most likely token": greedy
        top_p, temperature = 1.0, 0.0
    seed = _checked(
        body.get("seed"),
        "seed",
        lambda v: _is_int(v) and 0 <= v < 2**63,
        "seed must be a non-negative integer.",
    )
    stop = _stop(body.get("stop"))
    _checked(
        body.get("stream"), "stream", lambda v: isinstance(v, bool), "stream must be true or false."
    )
    return api_sampling(
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        stop=stop,
        frequency_penalty=_in_range(body, "frequency_penalty"),
        presence_penalty=_in_range(body, "presence_penalty"),
    )


def include_usage(body: dict) -> bool:
    """Whether a streamed answer ends with a usage chunk (`stream_options.include_usage`)."""
    options = body.get("stream_options") or {}
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _content_text(content: Any, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: only text ones are supported
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise bad_request("Only text content parts are supported.", f"messages[{i}]")
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise bad_request("A message's content must be a string.", f"messages[{i}].content")


def messages(body: dict) -> list[dict]:
    """Chat messages as the engine takes them (`developer` is a system message)."""
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages must be a non-empty list.", "messages")
    out = []
    for i, msg in enumerate(raw):
        # Type first: a dict or list role is unhashable, and `in ROLES` would raise.
        if (
            not isinstance(msg, dict)
            or not isinstance(msg.get("role"), str)
            or msg["role"] not in ROLES
        ):
            raise bad_request(
                "Each message needs a role: system, developer, user or assistant.",
                f"messages[{i}].role",
            )
        role = "system" if msg["role"] == "developer" else msg["role"]
        out.append({"role": role, "content": _content_text(msg.get("content"), i)})
    return out


def prompt(body: dict) -> str:
    value = body.get("prompt")
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    if not isinstance(value, str):
        raise bad_request("prompt must be a string (one prompt per request).", "prompt")
    return value


def model_name(body: dict) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required.", "model")
    return model
