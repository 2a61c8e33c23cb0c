"""What goes over the wire to an OpenAI-compatible server and comes back: the request body,
Server-Sent Events, and the server's error bodies (inference.RemoteEngine uses these)."""

from __future__ import annotations

import json
from typing import Any

from .params import SamplingParams

_MAX_ERROR_TEXT = 500


class WireError(Exception):
    """A request that failed; `code` is one of inference.request.ERROR_CODES (or None when
    the caller's own callback failed). `retriable`: nothing was answered yet that a second
    attempt could repeat, and the cause may pass (a connection that failed or broke)."""

    def __init__(self, code: str | None, message: str, *, retriable: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.retriable = code, message, retriable


def request_body(
    model: str,
    prompt: str | None,
    messages: list[dict] | None,
    params: SamplingParams,
    ask_usage: bool,
) -> tuple[str, dict[str, Any]]:
    """(path under the base URL, JSON body). A prompt goes to /completions as it is: the
    server applies no chat template to it, as this project's engine does not."""
    body: dict[str, Any] = {
        "model": model,
        "stream": True,
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
    }
    if ask_usage:
        body["stream_options"] = {"include_usage": True}
    if params.seed is not None:
        body["seed"] = params.seed
    if params.stop:
        body["stop"] = list(params.stop)
    # Always sent, 0 included: the run's values are final (the model's defaults are already
    # in them), and a server left to choose would apply its own defaults.
    body["frequency_penalty"] = params.frequency_penalty
    body["presence_penalty"] = params.presence_penalty
    # Not in OpenAI's API, so sent only when asked for: vLLM and llama-server take both.
    if params.top_k:
        body["top_k"] = params.top_k
    if params.ignore_eos:
        body["ignore_eos"] = True
    if messages is not None:
        body["messages"] = [
            {"role": m.get("role", "user"), "content": m["content"]} for m in messages
        ]
        return "chat/completions", body
    body["prompt"] = prompt
    return "completions", body


def error_text(payload: Any, raw: str) -> str:
    """The server's message: OpenAI's `{"error": {"message"}}`, TGI's `{"error": "..."}`, a
    `detail` or `message` field, else the start of the body as it came."""
    if isinstance(payload, dict):
        err = payload.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        for value in (err, payload.get("detail"), payload.get("message")):
            if isinstance(value, str) and value:
                return value
    return raw.strip()[:_MAX_ERROR_TEXT] or "(empty body)"


def http_error(status: int, raw: bytes) -> WireError:
    text = raw.decode("utf-8", "replace")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    message = error_text(payload, text)
    return WireError("refused" if status < 500 else "server_error", f"{message} (HTTP {status})")


def stream_error(payload: dict) -> WireError:
    """An error sent inside the stream (after a 200): the store's /v1 and vLLM send one when
    the request fails once the answer has begun."""
    err = payload.get("error")
    code = err.get("code") if isinstance(err, dict) else None
    kind = err.get("type") if isinstance(err, dict) else None
    if code == "timeout":
        which = "timeout"
    elif (
        code == "context_length_exceeded"
        or kind == "invalid_request_error"
        or (isinstance(code, int) and 400 <= code < 500)
    ):
        which = "refused"
    else:
        which = "server_error"
    return WireError(which, error_text(payload, json.dumps(payload)))


class Chunk:
    """One decoded `data:` event of a streamed completion."""

    __slots__ = ("done", "text", "finish_reason", "usage")

    def __init__(self, data: str, chat: bool) -> None:
        self.done = data.strip() == "[DONE]"
        self.text = ""
        self.finish_reason: str | None = None
        self.usage: tuple[int, int] | None = None
        if self.done:
            return
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise WireError("server_error", f"unreadable stream event: {data[:200]!r}")
        if payload.get("error"):
            raise stream_error(payload)
        usage = payload.get("usage")
        if isinstance(usage, dict) and "completion_tokens" in usage:
            self.usage = (int(usage.get("prompt_tokens") or 0), int(usage["completion_tokens"]))
        choices = payload.get("choices") or []
        choice = choices[0] if choices and isinstance(choices[0], dict) else {}
        piece = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
        self.text = piece if isinstance(piece, str) else ""
        reason = choice.get("finish_reason")
        if reason:  # "stop", "length"; anything else a server ends with is a normal end too
            self.finish_reason = "length" if reason == "length" else "stop"


class EventReader:
    """Server-Sent Events from lines: the `data:` lines of one event, joined, at its end."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        if line == "":
            data, self._data = self._data, []
            return "\n".join(data) if data else None
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None

    def end(self) -> str | None:
        """The last event when the stream ended without the blank line after it."""
        return self.feed("")
