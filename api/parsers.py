"""A JSON parser that refuses text PostgreSQL cannot store (lone UTF-16 surrogates, which
JSON's \\uD800 escapes can produce) with a 400 instead of a database error."""

from __future__ import annotations

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - text must be valid Unicode.")
        return data
