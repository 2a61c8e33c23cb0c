"""Model names of the OpenAI-compatible API: the base model, or `tool:<slug>`.

The base model answers to `base` and to its name as /v1/models lists it. For a tool, the
first user message (or the completion prompt) becomes the tool's inputs: a JSON object whose
keys are all input names of the tool is used as the inputs; any other text fills the tool's
first required text field (else its first text field). The messages after it continue the
conversation, as a follow-up on the run page does: the model sees the tool's system prompt,
its rendered prompt, then those messages. The client's system messages are left out: the
tool's own system prompt applies.
"""

from __future__ import annotations

import json

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from tools.models import Tool
from tools.registry import ModelSpec, default_model_id, get_model, models
from tools.schema import SchemaError, normalize_schema
from tools.selectors import tools_listed, tools_visible_to

from .errors import bad_request, model_not_found

BASE_ALIAS = "base"
TOOL_PREFIX = "tool:"
OWNER = "gpt-store"  # `owned_by` of the base model


def base_model_id() -> str:
    """The default model's id: what `base` stands for."""
    return default_model_id()


def usable_tools(user: AbstractBaseUser) -> QuerySet[Tool]:
    """Published tools with a version the user may run: listed ones and their own."""
    own = Tool.objects.filter(author=user, status=Tool.Status.PUBLISHED)
    return (tools_listed() | own).filter(current_version__isnull=False)


def resolve_model(user: AbstractBaseUser, model: str) -> Tool | ModelSpec:
    """A registered model (`base` is the default) or the Tool for `tool:<slug>`; 404
    otherwise."""
    spec = get_model(default_model_id() if model == BASE_ALIAS else model)
    if spec is not None:
        return spec
    if model.startswith(TOOL_PREFIX):
        tool = (
            tools_visible_to(user)
            .filter(
                slug=model[len(TOOL_PREFIX) :],
                status=Tool.Status.PUBLISHED,
                current_version__isnull=False,
            )
            .select_related("current_version")
            .first()
        )
        if tool is not None:
            return tool
    raise model_not_found(model)


def tool_inputs(tool: Tool, text: str) -> dict:
    """The tool's inputs from one message (the rule is in this module's docstring)."""
    try:
        schema = normalize_schema(tool.current_version.input_schema)
    except SchemaError:
        schema = []
    as_json = _json_inputs(text, {f["name"] for f in schema})
    if as_json is not None:
        return as_json
    texts = [f for f in schema if f["type"] in ("short_text", "long_text")]
    target = next((f for f in texts if f.get("required", True)), texts[0] if texts else None)
    if target is None:
        raise bad_request(
            "This tool has no text input; send its inputs as a JSON object in the message.",
            "messages",
        )
    return {target["name"]: text}


def _json_inputs(text: str, names: set[str]) -> dict | None:
    """`text` as inputs if it is a JSON object of the tool's input names only."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and obj and set(obj) <= names else None


def _model_entry(model_id: str, created: int, owner: str) -> dict:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owner}


def model_list(user: AbstractBaseUser) -> list[dict]:
    """Every registered model, then every tool the user may run (`tool:<slug>`)."""
    base = [_model_entry(model_id, 0, OWNER) for model_id in models()]
    tools = usable_tools(user).order_by("slug").values_list("slug", "created", "author__username")
    return base + [
        _model_entry(f"{TOOL_PREFIX}{slug}", int(created.timestamp()), owner)
        for slug, created, owner in tools
    ]


def model_detail(user: AbstractBaseUser, model_id: str) -> dict:
    target = resolve_model(user, model_id)
    if isinstance(target, ModelSpec):
        return _model_entry(model_id, 0, OWNER)
    return _model_entry(model_id, int(target.created.timestamp()), target.author.username)
