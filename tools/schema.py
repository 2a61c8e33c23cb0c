"""Typed input schemas: the fields a tool asks for, validated before anything is stored.

A schema is a JSON list of field dicts. Kept free of Django so the API, the builder
and the run path all share one definition.
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.errors import ApplicationError

FIELD_TYPES = ("short_text", "long_text", "integer", "number", "choice", "boolean")
KEYS = {
    "name",
    "label",
    "type",
    "required",
    "default",
    "help",
    "max_length",
    "min",
    "max",
    "choices",
}
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
MAX_FIELDS = 20
TEXT_CAP = {"short_text": 500, "long_text": 8000}
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class SchemaError(ApplicationError):
    """The schema (or inputs) break a rule; `errors` maps a field name or "__all__" to messages."""

    code = "invalid_input"

    def __init__(self, errors: dict[str, list[str]], *, code: str | None = None):
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        super().__init__(message, errors=errors, code=code)


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def normalize_schema(schema: Any) -> list[dict]:
    """Return a clean copy of `schema` or raise SchemaError naming every problem."""
    if not isinstance(schema, list):
        raise SchemaError({"__all__": ["The input schema must be a list of fields."]})
    if len(schema) > MAX_FIELDS:
        raise SchemaError({"__all__": [f"At most {MAX_FIELDS} fields."]})
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    fields = []
    for i, raw in enumerate(schema):
        key = f"field {i + 1}"
        if not isinstance(raw, dict):
            errors.setdefault(key, []).append("must be an object")
            continue
        name = raw.get("name")
        if isinstance(name, str) and NAME_RE.match(name):
            key = name
            if name in seen:
                errors.setdefault(key, []).append("name is used twice")
            seen.add(name)
        else:
            errors.setdefault(key, []).append(
                "name must start with a lowercase letter or _ and use only a-z, 0-9 and _ "
                "(40 characters at most)"
            )
        problems = _field_problems(raw)
        if problems:
            errors.setdefault(key, []).extend(problems)
        elif key == name:  # a field without a usable name is already an error
            fields.append(_clean_field(raw))
    if errors:
        raise SchemaError(errors)
    return fields


def _field_problems(raw: dict) -> list[str]:
    problems = []
    unknown = set(raw) - KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        return problems + [f"type must be one of {', '.join(FIELD_TYPES)}"]
    for check in (_common_problems, _text_problems, _number_problems, _choice_problems):
        problems += check(raw, ftype)
    if not problems and raw.get("default") not in (None, ""):
        try:
            coerce_value(_clean_field(raw), raw["default"])
        except ValueError as exc:
            problems.append(f"default does not fit the field: {exc}")
    return problems


def _common_problems(raw: dict, ftype: str) -> list[str]:
    problems = []
    for text_key, cap in (("label", 80), ("help", 300)):
        if text_key in raw and (not isinstance(raw[text_key], str) or len(raw[text_key]) > cap):
            problems.append(f"{text_key} must be text of at most {cap} characters")
    if "required" in raw and not isinstance(raw["required"], bool):
        problems.append("required must be true or false")
    return problems


def _text_problems(raw: dict, ftype: str) -> list[str]:
    if ftype not in TEXT_CAP or "max_length" not in raw:
        return []
    ml = raw["max_length"]
    if not isinstance(ml, int) or isinstance(ml, bool) or not 1 <= ml <= TEXT_CAP[ftype]:
        return [f"max_length must be a whole number from 1 to {TEXT_CAP[ftype]}"]
    return []


def _number_problems(raw: dict, ftype: str) -> list[str]:
    if ftype not in ("integer", "number"):
        return []
    lo, hi = raw.get("min"), raw.get("max")
    problems = [
        f"{name} must be a number"
        for name, bound in (("min", lo), ("max", hi))
        if bound is not None and not _num(bound)
    ]
    if _num(lo) and _num(hi) and lo > hi:
        problems.append("min must not be above max")
    return problems


def _choice_problems(raw: dict, ftype: str) -> list[str]:
    if ftype != "choice":
        return []
    choices = raw.get("choices")
    if (
        not isinstance(choices, list)
        or not choices
        or not all(isinstance(c, str) and c.strip() and len(c) <= 100 for c in choices)
    ):
        return ["choices must be a non-empty list of short texts"]
    if len(set(choices)) != len(choices) or len(choices) > 50:
        return ["choices must be unique (50 at most)"]
    return []


def _clean_field(raw: dict) -> dict:
    ftype = raw["type"]
    field = {
        "name": raw["name"],
        "label": raw.get("label") or raw["name"].replace("_", " ").capitalize(),
        "type": ftype,
        "required": raw.get("required", True),
        "help": raw.get("help", ""),
    }
    if ftype in TEXT_CAP:
        field["max_length"] = raw.get("max_length", TEXT_CAP[ftype])
    if ftype in ("integer", "number"):
        for bound in ("min", "max"):
            if raw.get(bound) is not None:
                field[bound] = raw[bound]
    if ftype == "choice":
        field["choices"] = list(raw["choices"])
    if ftype == "boolean":
        field["required"] = False
    if raw.get("default") not in (None, ""):
        field["default"] = raw["default"]
    return field


def _coerce_text(field: dict, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    cap = field.get("max_length", TEXT_CAP[field["type"]])
    if len(value) > cap:
        raise ValueError(f"at most {cap} characters")
    return value


def _coerce_boolean(field: dict, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "on", "1", 1):
        return True
    if value in ("false", "off", "0", 0, ""):
        return False
    raise ValueError("expected true or false")


def _coerce_choice(field: dict, value: Any) -> str:
    if value not in field["choices"]:
        raise ValueError(f"must be one of: {', '.join(field['choices'])}")
    return value


def _coerce_number(field: dict, value: Any) -> int | float:
    integer = field["type"] == "integer"
    expected = "expected a whole number" if integer else "expected a number"
    if isinstance(value, bool):
        raise ValueError("expected a number")
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(expected)
    if integer and isinstance(value, float) and not value.is_integer():
        raise ValueError(expected)
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    if field.get("min") is not None and number < field["min"]:
        raise ValueError(f"must be at least {field['min']}")
    if field.get("max") is not None and number > field["max"]:
        raise ValueError(f"must be at most {field['max']}")
    return number


_COERCE = {
    "short_text": _coerce_text,
    "long_text": _coerce_text,
    "boolean": _coerce_boolean,
    "choice": _coerce_choice,
    "integer": _coerce_number,
    "number": _coerce_number,
}


def coerce_value(field: dict, value: Any) -> Any:
    """Convert one submitted value to the field's type, or raise ValueError with a reason."""
    return _COERCE[field["type"]](field, value)


def validate_inputs(schema: list[dict], inputs: Any) -> dict:
    """Check submitted inputs against a normalised schema; return typed values."""
    if not isinstance(inputs, dict):
        raise SchemaError({"__all__": ["Inputs must be an object of field values."]})
    errors: dict[str, list[str]] = {}
    names = {f["name"] for f in schema}
    for extra in sorted(set(inputs) - names):
        errors.setdefault(str(extra)[:40], []).append("is not a field of this tool")
    clean = {}
    for field in schema:
        value = inputs.get(field["name"])
        if value is None or (value == "" and field["type"] != "boolean"):
            if field.get("default") not in (None, ""):
                value = field["default"]
            elif field["type"] == "boolean":
                value = False
            elif field.get("required", True):
                errors.setdefault(field["name"], []).append("This field is required.")
                continue
            else:
                clean[field["name"]] = ""
                continue
        try:
            clean[field["name"]] = coerce_value(field, value)
        except ValueError as exc:
            errors.setdefault(field["name"], []).append(str(exc).capitalize() + ".")
    if errors:
        raise SchemaError(errors)
    return clean


def placeholders(template: str) -> list[str]:
    seen: list[str] = []
    for name in PLACEHOLDER_RE.findall(template):
        if name not in seen:
            seen.append(name)
    return seen


def check_template(template: str, schema: list[dict]) -> None:
    """Every placeholder is a declared field, and every required field is used."""
    used = placeholders(template)
    names = [f["name"] for f in schema]
    errors = []
    undeclared = [n for n in used if n not in names]
    if undeclared:
        errors.append(
            "The template uses undeclared fields: " + ", ".join("{{" + n + "}}" for n in undeclared)
        )
    unused = [f["name"] for f in schema if f.get("required", True) and f["name"] not in used]
    if unused:
        errors.append("Required fields are not used in the template: " + ", ".join(unused))
    if not template.strip():
        errors.append("The prompt template is empty.")
    if errors:
        raise SchemaError({"prompt_template": errors})


def render(template: str, values: dict) -> str:
    """Plain substitution of {{name}}; user text is never interpreted, so `{0.__dict__}`,
    `%s` or a `{{other}}` inside a value stay literal text."""

    def sub(match: re.Match) -> str:
        value = values.get(match.group(1), "")
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return PLACEHOLDER_RE.sub(sub, template)
