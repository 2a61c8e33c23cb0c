"""drf-spectacular AutoSchema that documents the errors every operation can answer with."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
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


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, (description, schema) in ERRORS.items():
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
