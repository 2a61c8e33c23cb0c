"""One error type for everything a person or client got wrong, and its three renderings.

Every domain error subclasses `ApplicationError`: a stable `code` (stored on runs, sent to
clients), an HTTP `status`, a message meant for people and, for input problems, messages per
field. The web forms, the REST API and the OpenAI-compatible API render it with the
functions below, so the same failure reads the same everywhere.
"""

from __future__ import annotations

from typing import Any

NON_FIELD = "__all__"


class ApplicationError(Exception):
    code = "invalid"
    status = 400
    # Seconds a client should wait before trying again (the Retry-After header); see
    # `response_headers` for refusals that do not say.
    retry_after: int | None = None

    def __init__(
        self,
        message: str = "",
        *,
        errors: dict[str, list[str]] | None = None,
        code: str | None = None,
        status: int | None = None,
        param: str | None = None,
    ):
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.message = message or "; ".join(m for msgs in self.errors.values() for m in msgs)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # The one request field to blame, for clients that show a single parameter.
        self.param = param or next((k for k in self.errors if k != NON_FIELD), None)
        super().__init__(self.message)


def form_add_error(form: Any, exc: ApplicationError) -> None:
    """Show `exc` on a Django form: field messages next to their fields, the rest on top."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for key, messages in exc.errors.items():
        target = key if key in form.fields else None
        for message in messages:
            form.add_error(target, message)


def drf_body(exc: ApplicationError) -> dict:
    """REST API body: field errors keyed as DRF's own validation errors, plus the code."""
    if exc.errors:
        return {**exc.errors, "code": exc.code}
    return {"detail": exc.message, "code": exc.code}


def drf_exception_handler(exc: Exception, context: dict):
    """DRF's EXCEPTION_HANDLER: application errors first, everything else as DRF does."""
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        return Response(drf_body(exc), status=exc.status, headers=response_headers(exc))
    return exception_handler(exc, context)


RETRY_AFTER = 5  # seconds: a refusal that passes with time (429, 503) without its own wait


def response_headers(exc: ApplicationError) -> dict[str, str]:
    """HTTP headers of every rendering of `exc`: when a refusal that passes may be retried."""
    wait = exc.retry_after
    if wait is None and exc.status in (429, 503):
        wait = RETRY_AFTER
    return {} if wait is None else {"Retry-After": str(wait)}


def _openai_type(status: int) -> str:
    # OpenAI's own API sends these three types; auth and not-found errors are
    # "invalid_request_error" there too, with the detail in `code`.
    if status == 429:
        return "rate_limit_error"
    return "server_error" if status >= 500 else "invalid_request_error"


def openai_body(exc: ApplicationError) -> dict:
    """OpenAI-compatible error body, as the official clients parse it."""
    return {
        "error": {
            "message": exc.message,
            "type": _openai_type(exc.status),
            "param": exc.param,
            "code": exc.code,
        }
    }
