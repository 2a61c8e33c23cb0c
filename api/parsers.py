"""The API's JSON parser. Text PostgreSQL cannot store (NUL, lone surrogates) and JSON
nested too deep to parse are refused before any parser runs, by the one input layer
(`config/input.py`); this class stays the settings' name for the parser."""

from __future__ import annotations

from rest_framework import parsers


class JSONParser(parsers.JSONParser):
    pass
