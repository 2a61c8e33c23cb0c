"""Writes to tools: create, edit, publish, unpublish, delete, count runs.

Every change to what a tool shows sends `tools.signals.tool_changed`, so the storefront can
refresh its search index without this app knowing about search.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F
from django.utils import timezone
from django.utils.text import slugify

from core.errors import ApplicationError

from ..models import Category, Run, Tag, Tool, ToolVersion
from ..registry import get_model
from ..schema import SchemaError
from ..selectors import runs_counted
from ..signals import tool_changed

TOOL_FIELDS = (
    "name",
    "tagline",
    "description",
    "category",
    "icon",
    "visibility",
    "prompt_public",
)


class ToolError(ApplicationError):
    """A builder action is not allowed in the tool's current state; the message is for users."""

    code = "tool_state"


SLUG_ATTEMPTS = 8


class SlugTaken(ApplicationError):
    code = "slug_taken"
    status = 409


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def unique_slug(model, text: str) -> str:
    """A free slug for `model` from `text`, never longer than the model's slug field (slugify
    can make text longer: "ǆ" becomes "dz"), with room kept for a "-<n>" suffix."""
    max_length = _max_length(model, "slug")
    base = slugify(text)[: max_length - 6].strip("-") or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def tags_resolve(*, names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        name = name.strip().lower()[: _max_length(Tag, "name")]
        slug = slugify(name)[: _max_length(Tag, "slug")].strip("-")
        if not slug:
            continue
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            tag = _tag_create(name=name, slug=slug)
        if tag not in tags:
            tags.append(tag)
    return tags


def _tag_create(*, name: str, slug: str) -> Tag:
    """A new tag; when another request just made it (same slug or same name), that one."""
    try:
        with transaction.atomic():
            return Tag.objects.create(slug=slug, name=name)
    except IntegrityError:
        # Two names can share a slug ("a b" and "a-b"); the one stored first keeps it.
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name).first()
        if tag is None:
            raise
        return tag


def _tool_insert(*, slug: str | None, name: str, **fields) -> Tool:
    """Insert a tool under a free slug. Another request can take the slug between the check
    and the insert; the unique index refuses the second one, which then takes the next free
    one. Past the first retry many requests are racing for the same names, so a random
    suffix ends the race instead of everyone trying "-3", "-4", ... together."""
    for attempt in range(SLUG_ATTEMPTS):
        suffix = f" {secrets.token_hex(3)}" if attempt >= 2 else ""
        candidate = slug or unique_slug(Tool, name + suffix)
        try:
            with transaction.atomic():
                return Tool.objects.create(name=name, slug=candidate, **fields)
        except IntegrityError:
            if not Tool.objects.filter(slug=candidate).exists():
                raise  # not the slug: a real bug, not a race
            if slug is not None:
                raise SlugTaken(f"The address {slug!r} is taken.")
    raise SlugTaken("Another tool with this name was created at the same time; try again.")


@transaction.atomic
def tool_create(
    *,
    author: AbstractBaseUser,
    name: str,
    tagline: str = "",
    description: str = "",
    category: Category | None = None,
    tags: list[str] | None = None,
    icon: str = "🤖",
    visibility: str = Tool.Visibility.PUBLIC,
    slug: str | None = None,
    forked_from: Tool | None = None,
    prompt_public: bool = False,
) -> Tool:
    tool = _tool_insert(
        author=author,
        name=name,
        slug=slug,
        tagline=tagline,
        description=description,
        category=category,
        icon=icon or "🤖",
        visibility=visibility,
        forked_from=forked_from,
        prompt_public=prompt_public,
    )
    if tags:
        tool.tags.set(tags_resolve(names=tags))
    tool_changed.send(sender=Tool, tool=tool)
    return tool


@transaction.atomic
def tool_publish(*, tool: Tool, version: ToolVersion | None = None) -> Tool:
    version = version or tool.versions.order_by("-number").first()
    if version is None or version.tool_id != tool.pk:
        raise SchemaError({"__all__": ["A tool needs a version before it can be published."]})
    if get_model(version.model) is None:
        raise SchemaError(
            {
                "model": [
                    f"The model {version.model} is not available on this store; choose another."
                ]
            }
        )
    tool.current_version = version
    tool.status = Tool.Status.PUBLISHED
    tool.published_at = tool.published_at or timezone.now()
    tool.save(update_fields=["current_version", "status", "published_at", "updated"])
    return tool


def tool_run_count_increment(*, run: Run) -> None:
    """Add a run that just finished to its tool's stored run count, if it is a counted run.

    The stored row decides, through the same COUNTED_RUN as every other count: call this once,
    after the run's final state is saved."""
    if run.tool_id is None:
        return
    counted = runs_counted().filter(pk=run.pk)
    # F() makes the database do the addition, so concurrent runs never lose a count.
    Tool.objects.filter(Exists(counted), pk=run.tool_id).update(run_count=F("run_count") + 1)


@transaction.atomic
def tool_update(*, tool: Tool, tags: list[str] | None = None, **fields) -> Tool:
    """Edit a tool's own fields (never author, status, featured, slug or counters)."""
    unknown = set(fields) - set(TOOL_FIELDS)
    if unknown:
        raise TypeError(f"tool_update() cannot set {', '.join(sorted(unknown))}")
    if "visibility" in fields and fields["visibility"] not in Tool.Visibility.values:
        raise ToolError("Choose public, unlisted or private.")
    for name, value in fields.items():
        setattr(tool, name, value)
    if "icon" in fields:
        tool.icon = tool.icon or "🤖"
    if fields:
        tool.save(update_fields=[*fields, "updated"])
    if tags is not None:
        tool.tags.set(tags_resolve(names=tags))
    tool_changed.send(sender=Tool, tool=tool)
    return tool


@transaction.atomic
def tool_unpublish(*, tool: Tool) -> Tool:
    """Back to draft: only the author sees it; its versions and runs stay."""
    if tool.status != Tool.Status.PUBLISHED:
        raise ToolError("Only a published tool can be unpublished.")
    tool.status = Tool.Status.DRAFT
    tool.save(update_fields=["status", "updated"])
    return tool


@transaction.atomic
def tool_delete(*, tool: Tool) -> Tool:
    """Soft delete: the tool disappears for everyone (staff excepted); runs made with it stay
    readable to their owners (runs do not depend on the tool being visible)."""
    tool.status = Tool.Status.REMOVED
    tool.featured = False
    tool.save(update_fields=["status", "featured", "updated"])
    return tool
