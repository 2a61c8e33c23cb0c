"""drf-spectacular AutoSchema that documents the errors every operation can answer with."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

# `code` names the failure for programs (core.errors.ApplicationError.code) where it has one.
DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
# Field errors ({"field": ["message", ...]}, nested for lists) or {"detail": "..."}.
VALIDATION_ERROR = {"type": "object", "additionalProperties": True}

ERRORS = {
    "400": ("Invalid input: field errors, or a detail message.", VALIDATION_ERROR),
    "401": ("No credentials, or an invalid, expired or revoked API token.", DETAIL_ERROR),
    "403": ("Signed in, but not allowed to do this (e.g. not the author).", DETAIL_ERROR),
    "404": ("Not found, or not visible to the caller.", DETAIL_ERROR),
    "429": ("Too many requests; retry after `Retry-After` seconds.", DETAIL_ERROR),
}
# Operations that read a body: DRF answers 415 to one it has no parser for (or whose
# Content-Type it cannot read, e.g. multipart without a usable boundary).
BODY_ERRORS = {
    "415": ("The body's Content-Type is not JSON, a form or multipart.", DETAIL_ERROR),
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {**ERRORS, **(BODY_ERRORS if self.method in ("POST", "PUT", "PATCH") else {})}
        for code, (description, schema) in errors.items():
            if code in responses:
                continue
            body = {
                "description": description,
                "content": {"application/json": {"schema": schema}},
            }
            if code == "429":
                body["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying.",
                    }
                }
            responses[code] = body
        return responses


def add_run_events(result, generator, request, public):
    """Document the run event stream: a plain async Django view, so DRF cannot see it."""
    uuid = {"type": "string", "format": "uuid"}
    error = {"application/json": {"schema": DETAIL_ERROR}}
    result.setdefault("paths", {})["/api/runs/{id}/events/"] = {
        "get": {
            "operationId": "runs_events",
            "summary": "Server-Sent Events of a run: text pieces, state changes, queue "
            "position, and a final event with the stored totals",
            "description": "Each event's data is one JSON object. Send `Last-Event-ID` to "
            "resume after a reconnect; a late viewer replays from the start. Comments keep "
            "idle connections alive.",
            "tags": ["runs"],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": uuid},
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
            "responses": {
                "200": {
                    "description": "The event stream.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "401": {"description": ERRORS["401"][0], "content": error},
                "404": {"description": ERRORS["404"][0], "content": error},
            },
        }
    }
    return result
