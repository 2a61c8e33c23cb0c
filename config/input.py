"""The one input-cleaning layer: text PostgreSQL cannot store, and JSON too deep to parse,
refused with a 400 before any parser, query or model sees them.

It checks the path, the query string, form fields and JSON bodies for NUL characters and
lone surrogates, and JSON bodies for nesting deeper than `MAX_JSON_DEPTH` (scanned without
recursion). A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` is a 413 here too, for servers that do
not run `config.limits.BodyLimitMiddleware` (WSGI, the test client). Refusals are shaped by
path like every other error: DRF-like JSON on /api/, OpenAI-shaped on /v1/, a page elsewhere.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from core.cleaning import MAX_JSON_DEPTH, bad_text, bad_value, json_depth

from .limits import body_limit, error_body, too_large_message

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BAD_TEXT = "The request contains a NUL character or an unpaired surrogate."


def _refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    body, content_type = error_body(request.path, status, code, message)
    return HttpResponse(body, status=status, content_type=content_type)


def _bad_query(request: HttpRequest) -> bool:
    return any(bad_text(k) or any(bad_text(v) for v in vs) for k, vs in request.GET.lists())


def _looks_like_json(content_type: str, body: bytes) -> bool:
    return "json" in content_type or body.lstrip()[:1] in (b"{", b"[")


def _body_problem(request: HttpRequest) -> str | None:
    """What is wrong with the body, or None. Reads it (within the size limit)."""
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        fields = request.POST.lists()
        if any(bad_text(k) or any(bad_text(v) for v in vs) for k, vs in fields):
            return BAD_TEXT
        return None
    body = request.body
    if not body or not _looks_like_json(content_type, body):
        return None
    if json_depth(body) > MAX_JSON_DEPTH:
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # malformed: the view's own parser says so
    return BAD_TEXT if bad_value(value) else None


class InputCleaningMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if bad_text(request.path) or _bad_query(request):
            return _refusal(request, 400, "invalid_text", BAD_TEXT)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                problem = _body_problem(request)
            except RequestDataTooBig:
                limit = body_limit() or 0
                return _refusal(request, 413, "body_too_large", too_large_message(limit))
            if problem is not None:
                code = "invalid_text" if problem == BAD_TEXT else "json_too_deep"
                return _refusal(request, 400, code, problem)
        return self.get_response(request)
