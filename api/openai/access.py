"""Who may call the OpenAI-compatible API, how often, and the one wrapper every endpoint
shares: method, Bearer token, the API's throttle, and every error answered in OpenAI's shape."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from core.errors import ApplicationError

from ..services import token_authenticate
from ..throttling import UserThrottle
from .errors import OpenAIError, as_openai, error_response, unauthorized

View = Callable[..., Awaitable[HttpResponse]]


async def authenticate(request: HttpRequest) -> AbstractBaseUser:
    """The user of the request's personal API token (`Authorization: Bearer gpts_...`)."""
    parts = request.headers.get("Authorization", "").split()
    if not parts:
        raise unauthorized(
            "You didn't provide an API key. Send a personal API token (created on "
            "/settings/tokens/) as `Authorization: Bearer gpts_...`."
        )
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise unauthorized("Invalid Authorization header; use `Bearer <token>`.")
    token = await sync_to_async(token_authenticate)(parts[1])
    if token is None:
        raise unauthorized("Invalid, expired or revoked API token.")
    return token.user


def throttle_wait(request: HttpRequest, user: AbstractBaseUser) -> float | None:
    """The API's per-user throttle (same rate and counters as /api/); seconds to wait or None."""
    throttle = UserThrottle()
    shim = SimpleNamespace(user=user, META=request.META)
    if throttle.allow_request(shim, None):
        return None
    return throttle.wait() or 1.0


async def admit(request: HttpRequest, methods: tuple[str, ...]) -> AbstractBaseUser:
    """The caller, if the method is served, the token valid and the throttle allows it."""
    if request.method not in methods:
        raise OpenAIError(
            f"Method {request.method} is not allowed here.",
            code="method_not_allowed",
            status=405,
            headers={"Allow": ", ".join(methods)},
        )
    user = await authenticate(request)
    wait = await sync_to_async(throttle_wait)(request, user)
    if wait is not None:
        raise OpenAIError(
            "Too many requests; slow down.",
            code="rate_limit_exceeded",
            status=429,
            retry_after=max(1, round(wait)),
        )
    return user


def openai_view(*methods: str, input_param: str | None = None) -> Callable[[View], View]:
    """An endpoint of this API, called as `fn(request, user, ...)` once admitted.

    The one place its errors become answers: an ApplicationError raised anywhere below (the
    view, request parsing, the services) is rendered by `as_openai`; a service's refusal of
    the input blames `input_param`.
    """

    def decorate(fn: View) -> View:
        @functools.wraps(fn)
        async def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                user = await admit(request, methods)
                return await fn(request, user, *args, **kwargs)
            except ApplicationError as exc:
                return error_response(as_openai(exc, input_param))

        return csrf_exempt(view)

    return decorate
