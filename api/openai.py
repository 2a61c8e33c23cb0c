"""OpenAI-compatible endpoints under /v1/: models, chat completions and completions.

Every completion is a Run made by tools.services (the same cap, queue, Celery worker and
engine as the web pages), so it appears in the caller's history. Results come from the run's
Redis event stream (tools.streams) and, once final, from the stored Run (output and usage).
Bearer = a personal API token (api.services.token_authenticate). Errors use OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}`.

Model names: the base model (`base`, or its name as /v1/models lists it) and `tool:<slug>`.
For a tool, the last user message (or the completion prompt) becomes the tool's inputs: a JSON
object whose keys are all input names of the tool is used as the inputs; any other text fills
the tool's first required text field (else its first text field). Other messages are ignored:
the tool's own prompt template and system prompt apply.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from tools import services as run_services
from tools import streams
from tools.models import Run, Tool
from tools.schema import SchemaError, normalize_schema
from tools.selectors import release_connection, tools_listed, tools_visible_to
from tools.prompt_tokens import DEFAULT_NAME

from .services import token_authenticate
from .throttling import UserThrottle

log = logging.getLogger(__name__)

BASE_ALIAS = "base"
TOOL_PREFIX = "tool:"
ROLES = {"system", "developer", "user", "assistant"}
MAX_STOP = 4
RETRY_AFTER_LIVE = 5  # seconds a client over the live-run cap waits before trying again


def base_model_id() -> str:
    """The served model's name: the configured folder's or hub name, else the default."""
    model = settings.GPTSTORE_MODEL
    return Path(model).name if model else DEFAULT_NAME


def wait_timeout() -> float:
    """How long a non-streaming request waits for its run (queue time included)."""
    default = float(settings.CELERY_TASK_TIME_LIMIT) + 120.0
    return float(getattr(settings, "GPTSTORE_OPENAI_WAIT", default))


# --- errors ----------------------------------------------------------------------------------


class OpenAIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.headers = param, code, headers or {}

    def body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JsonResponse:
        resp = JsonResponse(self.body(), status=self.status)
        for key, value in self.headers.items():
            resp[key] = value
        return resp


def bad_request(message: str, param: str | None = None, code: str | None = None):
    return OpenAIError(400, message, param=param, code=code)


def _unauthorized(message: str) -> OpenAIError:
    return OpenAIError(
        401,
        message,
        code="invalid_api_key",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


# --- auth, throttle, the view wrapper -----------------------------------------------------


async def _authenticate(request):
    parts = request.headers.get("Authorization", "").split()
    if not parts:
        raise _unauthorized(
            "You didn't provide an API key. Send a personal API token (created on "
            "/settings/tokens/) as `Authorization: Bearer gpts_...`."
        )
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise _unauthorized("Invalid Authorization header; use `Bearer <token>`.")
    token = await sync_to_async(token_authenticate)(parts[1])
    if token is None:
        raise _unauthorized("Invalid, expired or revoked API token.")
    return token.user


def _throttle_wait(request, user) -> float | None:
    """The API's per-user throttle (same rate and counters as /api/); seconds to wait or None."""
    throttle = UserThrottle()
    shim = SimpleNamespace(user=user, META=request.META)
    if throttle.allow_request(shim, None):
        return None
    return throttle.wait() or 1.0


def openai_view(*methods: str):
    def decorate(fn):
        @functools.wraps(fn)
        async def view(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise OpenAIError(
                        405,
                        f"Method {request.method} is not allowed here.",
                        code="method_not_allowed",
                        headers={"Allow": ", ".join(methods)},
                    )
                user = await _authenticate(request)
                wait = await sync_to_async(_throttle_wait)(request, user)
                if wait is not None:
                    raise OpenAIError(
                        429,
                        "Too many requests; slow down.",
                        type="rate_limit_error",
                        code="rate_limit_exceeded",
                        headers={"Retry-After": str(max(1, round(wait)))},
                    )
                return await fn(request, user, *args, **kwargs)
            except OpenAIError as exc:
                return exc.response()

        return csrf_exempt(view)

    return decorate


# --- request parsing -------------------------------------------------------------------------


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sampling(body: dict) -> dict:
    """Validate the sampling fields of a request; -> run sampling values (absent ones left out)."""
    n = body.get("n")
    if n is not None and n != 1:
        raise bad_request("Only n=1 is supported.", "n")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not _is_int(max_tokens) or max_tokens < 1):
        raise bad_request("max_tokens must be an integer >= 1.", "max_tokens")
    temperature = body.get("temperature")
    if temperature is not None and (not _is_num(temperature) or not 0 <= temperature <= 2):
        raise bad_request("temperature must be a number between 0 and 2.", "temperature")
    top_p = body.get("top_p")
    if top_p is not None and (not _is_num(top_p) or not 0 <= top_p <= 1):
        raise bad_request("top_p must be a number between 0 and 1.", "top_p")
    if top_p == 0:  # "only the most likely token": greedy
        top_p, temperature = 1.0, 0.0
    seed = body.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed < 2**63):
        raise bad_request("seed must be a non-negative integer.", "seed")
    stop = body.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if stop is not None:
        if (
            not isinstance(stop, list)
            or len(stop) > MAX_STOP
            or any(not isinstance(s, str) or not s for s in stop)
        ):
            raise bad_request(
                f"stop must be a non-empty string or a list of at most {MAX_STOP} of them.", "stop"
            )
    if not isinstance(body.get("stream", False), bool | None):
        raise bad_request("stream must be true or false.", "stream")
    return run_services.api_sampling(
        max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=seed, stop=stop
    )


def _content_text(content, i: int) -> str:
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


def _messages(body: dict) -> list[dict]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages must be a non-empty list.", "messages")
    out = []
    for i, msg in enumerate(raw):
        if not isinstance(msg, dict) or msg.get("role") not in ROLES:
            raise bad_request(
                "Each message needs a role: system, developer, user or assistant.",
                f"messages[{i}].role",
            )
        role = "system" if msg["role"] == "developer" else msg["role"]
        out.append({"role": role, "content": _content_text(msg.get("content"), i)})
    return out


def _prompt(body: dict) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad_request("prompt must be a string (one prompt per request).", "prompt")
    return prompt


def _model_name(body: dict) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required.", "model")
    return model


def _model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


def _usable_tools(user):
    """Published tools with a version the user may run: listed ones and their own."""
    own = Tool.objects.filter(author=user, status=Tool.Status.PUBLISHED)
    return (tools_listed() | own).filter(current_version__isnull=False)


def resolve_model(user, model: str) -> Tool | None:
    """None for the base model, the Tool for `tool:<slug>`; 404 otherwise."""
    if model in (BASE_ALIAS, base_model_id()):
        return None
    if model.startswith(TOOL_PREFIX):
        tool = (
            tools_visible_to(user)
            .filter(
                slug=model[len(TOOL_PREFIX) :],
                status=Tool.Status.PUBLISHED,
                current_version__isnull=False,
            )
            .first()
        )
        if tool is not None:
            return tool
    raise _model_not_found(model)


def tool_inputs(tool: Tool, text: str) -> dict:
    """The tool's inputs from one message (the rule is in this module's docstring)."""
    try:
        schema = normalize_schema(tool.current_version.input_schema)
    except SchemaError:
        schema = []
    names = {f["name"] for f in schema}
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and obj and set(obj) <= names:
            return obj
    texts = [f for f in schema if f["type"] in ("short_text", "long_text")]
    target = next((f for f in texts if f.get("required", True)), texts[0] if texts else None)
    if target is None:
        raise bad_request(
            "This tool has no text input; send its inputs as a JSON object in the message.",
            "messages",
        )
    return {target["name"]: text}


def _schema_error(exc: SchemaError, param: str) -> OpenAIError:
    messages = [m for msgs in exc.errors.values() for m in msgs]
    text = " ".join(
        (m if key == "__all__" else f"{key}: {m}") for key, msgs in exc.errors.items() for m in msgs
    )
    if any("too long" in m for m in messages):
        return bad_request(text, param, "context_length_exceeded")
    return bad_request(f"Invalid tool inputs: {text}", param, "invalid_inputs")


def create_run(user, body: dict, *, chat: bool) -> Run:
    """Validate a request and store its run (sync: the ORM and the services)."""
    model = _model_name(body)
    sampling = _sampling(body)
    messages = _messages(body) if chat else None
    prompt = None if chat else _prompt(body)
    tool = resolve_model(user, model)
    if not streams.ping():
        raise OpenAIError(
            503,
            "Runs are paused for a moment (the queue is unavailable). Try again shortly.",
            type="server_error",
            code="queue_unavailable",
            headers={"Retry-After": "5"},
        )
    param = "messages" if chat else "prompt"
    try:
        if tool is None:
            return run_services.run_create_base(
                user=user, messages=messages, prompt=prompt, sampling=sampling, model=model
            )
        if chat:
            users = [m for m in messages if m["role"] == "user"]
            if not users:
                raise bad_request("A tool needs a user message.", "messages")
            text = users[-1]["content"]
        else:
            text = prompt
        fixed = {k: sampling.pop(k) for k in ("seed", "stop") if k in sampling}
        return run_services.run_create(
            tool=tool,
            user=user,
            inputs=tool_inputs(tool, text),
            sampling=sampling or None,
            extra_sampling=fixed,
            model=model,
        )
    except SchemaError as exc:
        raise _schema_error(exc, param)
    except run_services.RunLimitExceeded as exc:
        raise OpenAIError(
            429,
            str(exc),
            type="rate_limit_error",
            code="too_many_live_runs",
            headers={"Retry-After": str(RETRY_AFTER_LIVE)},
        )
    except run_services.RunError as exc:
        raise bad_request(str(exc), param)


def _cancel(run_id) -> None:
    # Runs in a thread of its own (the request's may be gone): close its connection after.
    try:
        run = Run.objects.filter(pk=run_id).first()
        if run is not None and not run.is_final:
            run_services.run_cancel(run=run)
    finally:
        connection.close()


async def _cancel_quietly(run_id) -> None:
    try:
        await sync_to_async(_cancel, thread_sensitive=False)(run_id)
    except Exception:
        log.warning("could not cancel run %s after its client left", run_id, exc_info=True)


# --- the run's events ------------------------------------------------------------------------


async def run_events(run_id, timeout: float):
    """The run's stream events (decoded) up to and including its final event. A final event
    lost from Redis is rebuilt from the stored run. Raises TimeoutError after `timeout`."""
    r = streams.aclient()
    key = streams.stream_key(run_id)
    last_id = "0-0"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_db = loop.time()
    while True:
        if loop.time() > deadline:
            raise TimeoutError
        try:
            got = await r.xread({key: last_id}, count=200, block=1000)
        except redis.RedisError:
            got = None
            await asyncio.sleep(1.0)
        for _key, entries in got or []:
            for xid, fields in entries:
                last_id = xid
                event = json.loads(fields.get("e", "{}"))
                yield event
                if event.get("type") == "final":
                    return
        if got or loop.time() - last_db < 3.0:
            continue
        last_db = loop.time()
        fresh = await Run.objects.filter(pk=run_id).afirst()
        await release_connection()
        if fresh is None:
            return
        if fresh.is_final:
            try:
                rest = await r.xread({key: last_id}, count=10_000)
            except redis.RedisError:
                rest = None
            for _key, entries in rest or []:
                for _xid, fields in entries:
                    event = json.loads(fields.get("e", "{}"))
                    yield event
                    if event.get("type") == "final":
                        return
            yield {"type": "final", **fresh.totals(), "output": fresh.output}
            return


def _usage(run: Run) -> dict:
    prompt, completion = run.prompt_tokens or 0, run.completion_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _finish_reason(run: Run) -> str:
    return "length" if run.finish_reason in ("length", "timeout") else "stop"


def _failure(run: Run) -> OpenAIError | None:
    """The error a failed run answers with, or None."""
    if run.state != Run.State.FAILED:
        return None
    message = run.error or "The run failed."
    if run.finish_reason == Run.FinishReason.TIMEOUT:
        return OpenAIError(504, message, type="server_error", code="timeout")
    if message.startswith("The prompt is"):  # the worker's exact count was over the limit
        return bad_request(message, "messages", "context_length_exceeded")
    return OpenAIError(500, message, type="server_error", code="run_failed")


def _ids(run: Run, chat: bool) -> dict:
    return {
        "id": f"{'chatcmpl' if chat else 'cmpl'}-{run.pk.hex}",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(run.queued_at.timestamp()),
        "model": run.model,
        "system_fingerprint": None,
    }


def completion_body(run: Run, chat: bool) -> dict:
    if chat:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": run.output, "refusal": None},
            "logprobs": None,
            "finish_reason": _finish_reason(run),
        }
    else:
        choice = {
            "index": 0,
            "text": run.output,
            "logprobs": None,
            "finish_reason": _finish_reason(run),
        }
    return {**_ids(run, chat), "choices": [choice], "usage": _usage(run)}


async def _complete(request, user, *, chat: bool):
    body = _json_body(request)
    run = await sync_to_async(create_run)(user, body, chat=chat)
    await release_connection()  # the run may take minutes; do not hold a connection meanwhile
    if body.get("stream"):
        options = body.get("stream_options") or {}
        usage = isinstance(options, dict) and bool(options.get("include_usage"))
        response = StreamingHttpResponse(
            _stream(run, chat=chat, include_usage=usage),
            content_type="text/event-stream; charset=utf-8",
        )
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"
        response["X-Run-Id"] = str(run.pk)
        return response
    try:
        async for _event in run_events(run.pk, wait_timeout()):
            pass
    except TimeoutError:
        await _cancel_quietly(run.pk)
        raise OpenAIError(
            504, "The run did not finish in time.", type="server_error", code="timeout"
        )
    except asyncio.CancelledError:  # the client went away: free its live-run slot
        await _cancel_quietly(run.pk)
        raise
    run = await Run.objects.aget(pk=run.pk)
    failure = _failure(run)
    if failure is not None:
        raise failure
    response = JsonResponse(completion_body(run, chat))
    response["X-Run-Id"] = str(run.pk)
    return response


def _chunk(run: Run, chat: bool, text: str | None, finish: str | None, first=False) -> str:
    if chat:
        delta = {"role": "assistant", "content": ""} if first else {}
        if text:
            delta["content"] = text
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        head = {**_ids(run, chat), "object": "chat.completion.chunk"}
    else:
        choice = {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
        head = _ids(run, chat)
    return _data({**head, "choices": [choice]})


def _data(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=True, separators=(',', ':'))}\n\n"


async def _stream(run: Run, *, chat: bool, include_usage: bool):
    """OpenAI chunks from the run's events; ends with `data: [DONE]`. A retried attempt's text
    is sent only beyond what the client already has (same seed: the same text)."""
    sent = ""  # text the client has
    attempt = ""  # text of the current attempt
    done = False
    try:
        if chat:
            yield _chunk(run, chat, None, None, first=True)
        try:
            async for event in run_events(run.pk, wait_timeout()):
                kind = event.get("type")
                if kind == "reset":
                    attempt = ""
                elif kind == "text":
                    attempt += event.get("text", "")
                    if len(attempt) > len(sent):
                        piece, sent = attempt[len(sent) :], attempt
                        yield _chunk(run, chat, piece, None)
        except TimeoutError:
            await _cancel_quietly(run.pk)
            yield _data(
                OpenAIError(
                    504, "The run did not finish in time.", type="server_error", code="timeout"
                ).body()
            )
            done = True
            yield "data: [DONE]\n\n"
            return
        run = await Run.objects.aget(pk=run.pk)
        failure = _failure(run)
        if failure is not None:
            yield _data(failure.body())
        else:
            if len(run.output) > len(sent) and run.output.startswith(sent):
                yield _chunk(run, chat, run.output[len(sent) :], None)
            yield _chunk(run, chat, None, _finish_reason(run))
            if include_usage:
                head = {**_ids(run, chat)}
                if chat:
                    head["object"] = "chat.completion.chunk"
                yield _data({**head, "choices": [], "usage": _usage(run)})
        done = True
        yield "data: [DONE]\n\n"
    finally:
        if not done:  # the client went away mid-stream: stop the run
            await _cancel_quietly(run.pk)


# --- views -----------------------------------------------------------------------------------


def _model_entry(model_id: str, created: int, owner: str) -> dict:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owner}


def model_list(user) -> list[dict]:
    base = [_model_entry(base_model_id(), 0, "gpt-store")]
    tools = _usable_tools(user).order_by("slug").values_list("slug", "created", "author__username")
    return base + [
        _model_entry(f"{TOOL_PREFIX}{slug}", int(created.timestamp()), owner)
        for slug, created, owner in tools
    ]


@openai_view("GET")
async def models(request, user):
    data = await sync_to_async(model_list)(user)
    return JsonResponse({"object": "list", "data": data})


def _model_detail(user, model_id: str) -> dict:
    tool = resolve_model(user, model_id)
    if tool is None:
        return _model_entry(model_id, 0, "gpt-store")
    return _model_entry(model_id, int(tool.created.timestamp()), tool.author.username)


@openai_view("GET")
async def model_detail(request, user, model_id: str):
    return JsonResponse(await sync_to_async(_model_detail)(user, model_id))


@openai_view("POST")
async def chat_completions(request, user):
    return await _complete(request, user, chat=True)


@openai_view("POST")
async def completions(request, user):
    return await _complete(request, user, chat=False)


async def not_found(request, *args, **kwargs):
    """Unknown paths under /v1/ answer in OpenAI's error shape too."""
    return OpenAIError(
        404, f"Unknown URL: {request.method} {request.path}", code="unknown_url"
    ).response()
