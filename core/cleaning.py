"""Text the application refuses before any parser, query or model sees it.

PostgreSQL cannot store NUL characters or lone UTF-16 surrogates (JSON's `\\u0000` and
`\\ud800` escapes produce both), and Python's JSON parser recurses once per nesting level, so
a deep enough document ends in RecursionError. These checks are plain functions, iterative
throughout, used by the input middleware (`config/input.py`) and by the few forms that parse
JSON typed into a field.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 32

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# A JSON string literal; what is left once they are removed holds the real brackets.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def bad_text(value: str) -> bool:
    """True when `value` holds a NUL character or a lone surrogate."""
    return _BAD_TEXT.search(value) is not None


def json_depth(raw: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text, counted without parsing it
    (brackets inside strings do not count). Malformed text gets a number too."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    deepest = depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def bad_value(value: Any) -> bool:
    """True when any string in a parsed JSON value (keys included) is `bad_text`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class BadJSON(ValueError):
    """A JSON text too deep to parse safely, or holding text that cannot be stored."""


def loads_checked(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, refusing (BadJSON) documents nested deeper than `max_depth` and strings
    holding NUL or lone surrogates. Malformed JSON raises json's own ValueError."""
    if json_depth(raw) > max_depth:
        raise BadJSON(f"JSON nested deeper than {max_depth} levels.")
    value = json.loads(raw)
    if bad_value(value):
        raise BadJSON("Text must not contain NUL characters or unpaired surrogates.")
    return value
