"""Endpoints of the OpenAI-compatible API under /v1/ (routes: api.openai_urls)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from tools.selectors import release_connection

from . import parsing, resolve
from .access import openai_view
from .bodies import completion_body
from .errors import OpenAIError, error_response, run_failure
from .runs import create_run, wait_for
from .streaming import stream


@openai_view("GET")
async def models(request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
    data = await sync_to_async(resolve.model_list)(user)
    return JsonResponse({"object": "list", "data": data})


@openai_view("GET")
async def model_detail(request: HttpRequest, user: AbstractBaseUser, model_id: str) -> HttpResponse:
    return JsonResponse(await sync_to_async(resolve.model_detail)(user, model_id))


@openai_view("POST", input_param="messages")
async def chat_completions(request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
    return await _complete(request, user, chat=True)


@openai_view("POST", input_param="prompt")
async def completions(request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
    return await _complete(request, user, chat=False)


async def _complete(request: HttpRequest, user: AbstractBaseUser, *, chat: bool) -> HttpResponse:
    body = parsing.json_body(request)
    run = await sync_to_async(create_run)(user, body, chat=chat)
    await release_connection()  # the run may take minutes; do not hold a connection meanwhile
    if body.get("stream"):
        response = StreamingHttpResponse(
            stream(run, chat=chat, include_usage=parsing.include_usage(body)),
            content_type="text/event-stream; charset=utf-8",
        )
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"
    else:
        run = await wait_for(run)
        failure = run_failure(run)
        if failure is not None:
            raise failure
        response = JsonResponse(completion_body(run, chat))
    response["X-Run-Id"] = str(run.pk)
    return response


async def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown paths under /v1/ answer in OpenAI's error shape too."""
    return error_response(
        OpenAIError(f"Unknown URL: {request.method} {request.path}", code="unknown_url", status=404)
    )
