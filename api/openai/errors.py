"""Errors of the OpenAI-compatible API, in OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}` (core.errors.openai_body).

Everything that goes wrong is an ApplicationError. This API's own (credentials, method,
parameters, model names) are OpenAIErrors; those of the services (tools.services, the
schema) reach `openai_view`, which answers with `as_openai`: OpenAI's codes where its clients
know one, and the request's input (`messages` or `prompt`) as the parameter to blame.
"""

from __future__ import annotations

from django.http import JsonResponse

from core.errors import NON_FIELD, ApplicationError, openai_body, response_headers
from tools.models import Run
from tools.schema import SchemaError
from tools.services.runs import RunsPaused


class OpenAIError(ApplicationError):
    """An error of this API itself, with the extra headers its answer needs."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int = 400,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, param=param)
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.retry_after = retry_after


def bad_request(message: str, param: str | None = None) -> OpenAIError:
    return OpenAIError(message, code="invalid_value", param=param)


def unauthorized(message: str) -> OpenAIError:
    return OpenAIError(
        message,
        code="invalid_api_key",
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        status=404,
        param="model",
    )


def timed_out() -> OpenAIError:
    return OpenAIError("The run did not finish in time.", code="timeout", status=504)


# The services' codes that OpenAI's clients know under another name.
OPENAI_CODES = {
    Run.ErrorCode.PROMPT_TOO_LONG: "context_length_exceeded",
    SchemaError.code: "invalid_inputs",
    RunsPaused.code: "queue_unavailable",
}


def as_openai(exc: ApplicationError, input_param: str | None = None) -> OpenAIError:
    """`exc` as this API reports it. A service's 400 is about the request's input, so it
    blames `input_param`; the field names the service knows are a tool's, not the request's."""
    if isinstance(exc, OpenAIError):
        return exc
    message = _sentence(exc)
    if exc.code == SchemaError.code:
        message = f"Invalid tool inputs: {message}"
    return OpenAIError(
        message,
        code=OPENAI_CODES.get(exc.code, exc.code),
        status=exc.status,
        param=input_param if exc.status == 400 else None,
        retry_after=exc.retry_after,
    )


def _sentence(exc: ApplicationError) -> str:
    if not exc.errors:
        return exc.message
    return " ".join(
        (m if key == NON_FIELD else f"{key}: {m}") for key, msgs in exc.errors.items() for m in msgs
    )


def run_failure(run: Run) -> OpenAIError | None:
    """The error a failed run answers with, or None."""
    if run.state != Run.State.FAILED:
        return None
    message = run.error or "The run failed."
    if run.finish_reason == Run.FinishReason.TIMEOUT or run.error_code == Run.ErrorCode.TIMEOUT:
        return OpenAIError(message, code="timeout", status=504)
    if run.error_code == Run.ErrorCode.PROMPT_TOO_LONG:  # the worker's exact count
        return OpenAIError(message, code=OPENAI_CODES[run.error_code], param="messages")
    return OpenAIError(message, code="run_failed", status=500)


def error_response(exc: OpenAIError) -> JsonResponse:
    response = JsonResponse(openai_body(exc), status=exc.status)
    for key, value in {**response_headers(exc), **exc.headers}.items():
        response[key] = value
    return response
