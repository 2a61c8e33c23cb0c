"""The REST API's plain Django views (outside DRF) answer errors as DRF's handler does."""

from __future__ import annotations

from django.http import JsonResponse

from core.errors import ApplicationError, drf_body, response_headers


def error_response(exc: ApplicationError) -> JsonResponse:
    """`exc` as core.errors.drf_exception_handler renders it."""
    response = JsonResponse(drf_body(exc), status=exc.status)
    for key, value in response_headers(exc).items():
        response[key] = value
    return response
