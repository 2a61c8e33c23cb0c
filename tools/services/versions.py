"""Writes to a tool's versions: the draft the builder edits, new versions, rollbacks.

Published versions are frozen, so runs that used them keep pointing at what they ran; a
rollback or a remix copies a version into a new one instead of moving a pointer back.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from ..models import Tool, ToolVersion
from ..registry import default_model_id, get_model
from ..sampling import clean_sampling
from ..schema import SchemaError, check_template, normalize_schema, validate_inputs
from .tools import ToolError, tool_publish


@transaction.atomic
def tool_version_create(
    *,
    tool: Tool,
    prompt_template: str,
    input_schema: list,
    system_prompt: str = "",
    sampling_defaults: dict | None = None,
    example_inputs: list | None = None,
    changelog: str = "",
    model: str = "",
) -> ToolVersion:
    """Validate and store a new version; raises SchemaError naming every problem. `model`
    is a registry id ("" = the store's default model, pinned now)."""
    model = model_check(model)
    schema = normalize_schema(input_schema)
    check_template(prompt_template, schema)
    sampling = clean_sampling(sampling_defaults or {})
    # Lock the tool row so two concurrent saves cannot pick the same number.
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    number = (tool.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ToolVersion.objects.create(
        tool=tool,
        number=number,
        prompt_template=prompt_template,
        system_prompt=system_prompt,
        input_schema=schema,
        sampling_defaults=sampling,
        example_inputs=example_inputs or [],
        changelog=changelog,
        model=model,
    )


def model_check(model: str) -> str:
    """The registry id a version is pinned to ("" = the default); SchemaError if unknown."""
    model = model or default_model_id()
    if get_model(model) is None:
        raise SchemaError({"model": [f"The model {model} is not available on this store."]})
    return model


def tool_head_version(tool: Tool) -> ToolVersion | None:
    """The newest version: what the builder edits and the Test panel runs."""
    return tool.versions.order_by("-number").first()


def version_is_draft(*, tool: Tool, version: ToolVersion | None) -> bool:
    """True for a version newer than the published one: still editable in place.

    Published versions are frozen so runs that used them keep pointing at what they ran.
    """
    if version is None or version.pk == tool.current_version_id:
        return False
    current = tool.current_version
    return current is None or version.number > current.number


@transaction.atomic
def tool_draft_save(
    *,
    tool: Tool,
    prompt_template: str,
    input_schema: list,
    system_prompt: str = "",
    sampling_defaults: dict | None = None,
    example_inputs: list | None = None,
    changelog: str = "",
    model: str = "",
) -> ToolVersion:
    """Store the builder's prompt and fields: update the unpublished head version in place,
    or start a new version when the head is published (a new model is a new version too).
    `model` "" keeps the head's model (the default for a first version). Raises
    SchemaError, saving nothing."""
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    tool.refresh_from_db(fields=["current_version"])
    head = tool_head_version(tool)
    editable = version_is_draft(tool=tool, version=head)
    model = model_check(model or (head.model if head is not None else ""))
    if (
        not editable
        and head is not None
        and head.model == model
        and _same_content(
            head, prompt_template, input_schema, system_prompt, sampling_defaults, example_inputs
        )
    ):
        return head  # nothing changed: no new version
    schema = normalize_schema(input_schema)
    check_template(prompt_template, schema)
    examples_check(schema=schema, examples=example_inputs or [])
    if not editable:
        return tool_version_create(
            tool=tool,
            prompt_template=prompt_template,
            input_schema=input_schema,
            system_prompt=system_prompt,
            sampling_defaults=sampling_defaults,
            example_inputs=example_inputs,
            changelog=changelog,
            model=model,
        )
    head.prompt_template = prompt_template
    head.model = model
    head.system_prompt = system_prompt
    head.input_schema = schema
    head.sampling_defaults = clean_sampling(sampling_defaults or {})
    head.example_inputs = example_inputs or []
    if changelog:
        head.changelog = changelog
    head.save()
    return head


def examples_check(*, schema: list[dict], examples: list) -> None:
    """Every example input must be a valid set of inputs for the schema."""
    problems = []
    for i, example in enumerate(examples, start=1):
        try:
            validate_inputs(schema, example)
        except SchemaError as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            problems.append(f"Example {i} does not fit the fields ({detail})")
    if problems:
        raise SchemaError({"example_inputs": problems})


def _same_content(version, template, schema, system, sampling, examples) -> bool:
    try:
        clean_schema = normalize_schema(schema)
        clean_samp = clean_sampling(sampling or {})
    except SchemaError:
        return False
    return (
        version.prompt_template == template
        and version.system_prompt == system
        and version.input_schema == clean_schema
        and version.sampling_defaults == clean_samp
        and version.example_inputs == (examples or [])
    )


@transaction.atomic
def tool_rollback(*, tool: Tool, version: ToolVersion) -> ToolVersion:
    """Make an earlier version current again, as a new version (history only grows)."""
    if version.tool_id != tool.pk:
        raise ToolError("That version belongs to another tool.")
    if tool.status == Tool.Status.REMOVED:
        raise ToolError("This tool was deleted.")
    new = version_copy(
        source=version, tool=tool, changelog=f"Rolled back to version {version.number}"
    )
    if tool.status == Tool.Status.PUBLISHED:
        tool_publish(tool=tool, version=new)
    return new


def version_copy(*, source: ToolVersion, tool: Tool, changelog: str) -> ToolVersion:
    """A new version of `tool` with the content of `source` (of this tool or another)."""
    # Lock the tool row so two concurrent saves cannot pick the same number.
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    number = (tool.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ToolVersion.objects.create(
        tool=tool,
        number=number,
        prompt_template=source.prompt_template,
        system_prompt=source.system_prompt,
        input_schema=source.input_schema,
        sampling_defaults=source.sampling_defaults,
        example_inputs=source.example_inputs,
        model=source.model,
        changelog=changelog[:200],
    )
