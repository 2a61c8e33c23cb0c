"""The builder's actions, each one transaction over a tool and its versions."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..models import Tool
from .tools import TOOL_FIELDS, ToolError, tool_create, tool_publish, tool_update
from .versions import tool_draft_save, tool_head_version, version_copy, version_is_draft


@transaction.atomic
def tool_build(
    *,
    author: AbstractBaseUser,
    tool: Tool | None,
    tool_fields: dict,
    tags: list[str],
    version_fields: dict,
) -> Tool:
    """The builder's Save: create a draft tool (tool=None) or edit one, fields and version
    together. Atomic: when the version is invalid (SchemaError) nothing at all is saved."""
    fields = {k: v for k, v in tool_fields.items() if k in TOOL_FIELDS}
    if tool is None:
        tool = tool_create(author=author, tags=tags, **fields)
    else:
        tool = tool_update(tool=tool, tags=tags, **fields)
    tool_draft_save(tool=tool, **version_fields)
    return tool


@transaction.atomic
def tool_publish_head(*, tool: Tool, changelog: str = "", visibility: str | None = None) -> Tool:
    """Publish the newest version (the builder's Publish), with its changelog line."""
    if tool.status == Tool.Status.REMOVED:
        raise ToolError("This tool was deleted.")
    if visibility is not None:
        tool_update(tool=tool, visibility=visibility)
    head = tool_head_version(tool)
    if head is None:
        raise ToolError("Save the tool with a prompt template before publishing it.")
    if changelog and version_is_draft(tool=tool, version=head):
        head.changelog = changelog[:200]
        head.save(update_fields=["changelog"])
    return tool_publish(tool=tool, version=head)


@transaction.atomic
def tool_remix(*, tool: Tool, user: AbstractBaseUser) -> Tool:
    """Copy a public tool (or one's own) into a new draft of `user`, linked by forked_from.

    Remixing copies the prompt, so another's tool can be remixed only when its author made
    the prompt public (`Tool.prompt_public`); staff are no exception, their copy would be theirs.
    """
    if not (tool.is_listed or tool.author_id == user.pk):
        raise ToolError("Only public tools can be remixed.")
    if not (tool.prompt_public or tool.author_id == user.pk):
        raise ToolError("The author keeps this tool's prompt private, so it cannot be remixed.")
    source = tool.current_version or tool_head_version(tool)
    if source is None:
        raise ToolError("This tool has nothing to remix yet.")
    copy = tool_create(
        author=user,
        name=f"{tool.name} (remix)"[:80],
        tagline=tool.tagline,
        description=tool.description,
        category=tool.category,
        tags=list(tool.tags.values_list("name", flat=True)),
        icon=tool.icon,
        visibility=Tool.Visibility.PUBLIC,
        forked_from=tool,
    )
    version_copy(source=source, tool=copy, changelog=f"Remixed from {tool.name} v{source.number}")
    return copy
