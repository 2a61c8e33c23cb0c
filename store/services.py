"""Writes to the catalog. Keyword-only, typed, atomic; views, admin and tasks call these."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.utils import timezone
from django.utils.text import slugify

from tools.schema import SchemaError, check_template, normalize_schema

from .models import Category, Resource, Review, Tag, Tool, ToolVersion

SAMPLING_KEYS = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0), "max_new_tokens": (1, 4096)}


def unique_slug(model, text: str, *, max_length: int = 90) -> str:
    base = slugify(text)[:max_length].strip("-") or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def tags_resolve(*, names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        name = name.strip().lower()[:40]
        slug = slugify(name)
        if not slug:
            continue
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_sampling(defaults: dict) -> dict:
    if not isinstance(defaults, dict):
        raise SchemaError({"sampling_defaults": ["must be an object"]})
    clean, errors = {}, []
    for key, value in defaults.items():
        if key not in SAMPLING_KEYS:
            errors.append(f"unknown setting {key!r}")
            continue
        lo, hi = SAMPLING_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            errors.append(f"{key} must be between {lo} and {hi}")
            continue
        clean[key] = int(value) if key == "max_new_tokens" else float(value)
    if errors:
        raise SchemaError({"sampling_defaults": errors})
    return clean


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
) -> Tool:
    tool = Tool.objects.create(
        author=author,
        name=name,
        slug=slug or unique_slug(Tool, name),
        tagline=tagline,
        description=description,
        category=category,
        icon=icon or "🤖",
        visibility=visibility,
        forked_from=forked_from,
    )
    if tags:
        tool.tags.set(tags_resolve(names=tags))
    tool_reindex(tool=tool)
    return tool


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
) -> ToolVersion:
    """Validate and store a new version; raises SchemaError naming every problem."""
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
    )


@transaction.atomic
def tool_publish(*, tool: Tool, version: ToolVersion | None = None) -> Tool:
    version = version or tool.versions.order_by("-number").first()
    if version is None or version.tool_id != tool.pk:
        raise SchemaError({"__all__": ["A tool needs a version before it can be published."]})
    tool.current_version = version
    tool.status = Tool.Status.PUBLISHED
    tool.published_at = tool.published_at or timezone.now()
    tool.save(update_fields=["current_version", "status", "published_at", "updated"])
    return tool


def tool_reindex(*, tool: Tool) -> None:
    """Refresh the weighted full-text vector (name > tagline, tags > description)."""
    tag_text = " ".join(tool.tags.values_list("name", flat=True))
    Tool.objects.filter(pk=tool.pk).update(
        search_vector=SearchVector("name", weight="A", config="english")
        + SearchVector("tagline", weight="B", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )


def resource_reindex(*, resource: Resource) -> None:
    tag_text = " ".join(resource.tags.values_list("name", flat=True))
    Resource.objects.filter(pk=resource.pk).update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )


def tool_run_count_increment(*, tool_id: int) -> None:
    # F() makes the database do the addition, so concurrent runs never lose a count.
    Tool.objects.filter(pk=tool_id).update(run_count=F("run_count") + 1)


class ReviewError(ValueError):
    pass


@transaction.atomic
def review_upsert(*, user: AbstractBaseUser, tool: Tool, stars: int, text: str = "") -> Review:
    """Create the user's review of `tool`, or edit it: one review per user per tool."""
    if tool.author_id == user.pk:
        raise ReviewError("You cannot review your own tool.")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ReviewError("Stars must be a whole number from 1 to 5.")
    # Lock the tool row: counters and the one-review rule stay exact under concurrency.
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    review = Review.objects.filter(user=user, tool=tool).first()
    if review is None:
        try:
            with transaction.atomic():
                review = Review.objects.create(user=user, tool=tool, stars=stars, text=text)
        except IntegrityError as exc:
            raise ReviewError("You have already reviewed this tool.") from exc
        Tool.objects.filter(pk=tool.pk).update(
            review_count=F("review_count") + 1, rating_sum=F("rating_sum") + stars
        )
    else:
        delta = stars - review.stars
        review.stars, review.text = stars, text
        review.save(update_fields=["stars", "text", "updated"])
        Tool.objects.filter(pk=tool.pk).update(rating_sum=F("rating_sum") + delta)
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    Tool.objects.select_for_update().filter(pk=review.tool_id).first()
    Tool.objects.filter(pk=review.tool_id).update(
        review_count=F("review_count") - 1, rating_sum=F("rating_sum") - review.stars
    )
    review.delete()
