"""Writes to the catalog. Keyword-only, typed, atomic; views, admin and tasks call these."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.utils import timezone
from django.utils.text import slugify

from tools.schema import SchemaError, check_template, normalize_schema

from .models import (
    Category,
    Favorite,
    Profile,
    Report,
    Resource,
    Review,
    ReviewVote,
    Tag,
    Tool,
    ToolVersion,
)

log = logging.getLogger(__name__)

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


def tool_reindex(*, tool: Tool, embed: bool = True) -> None:
    """Refresh the weighted full-text vector (name > tagline, tags > description).

    Also queues the sentence embedding for a background worker once the transaction
    commits (the text it is computed from may have changed).
    """
    tag_text = " ".join(tool.tags.values_list("name", flat=True))
    Tool.objects.filter(pk=tool.pk).update(
        search_vector=SearchVector("name", weight="A", config="english")
        + SearchVector("tagline", weight="B", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    if embed:
        embedding_enqueue(kind="tool", pk=tool.pk)


def resource_reindex(*, resource: Resource, embed: bool = True) -> None:
    tag_text = " ".join(resource.tags.values_list("name", flat=True))
    Resource.objects.filter(pk=resource.pk).update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    if embed:
        embedding_enqueue(kind="resource", pk=resource.pk)


def tool_run_count_increment(*, tool_id: int, runner_id: int | None = None) -> None:
    """Count a finished run. An author trying their own tool does not make it popular."""
    qs = Tool.objects.filter(pk=tool_id)
    if runner_id is not None:
        qs = qs.exclude(author_id=runner_id)
    # F() makes the database do the addition, so concurrent runs never lose a count.
    qs.update(run_count=F("run_count") + 1)


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


# --- embeddings -----------------------------------------------------------------------------


def embedding_enqueue(*, kind: str, pk: int) -> None:
    """Ask a worker (default queue) to (re)compute an embedding after this transaction commits.

    Best effort: when the broker is down the row keeps no embedding and is still found by
    full-text and trigram search; `manage.py reindex` fills the gaps later.
    """
    if not getattr(settings, "GPTSTORE_EMBED_ON_SAVE", True):
        return

    def send() -> None:
        from . import tasks  # late: tasks import this module

        task = tasks.tool_embed if kind == "tool" else tasks.resource_embed
        try:
            task.apply_async(args=[pk], retry=False)
        except Exception:  # noqa: BLE001 - broker errors must not break a save
            log.warning("could not queue the %s %s embedding; run manage.py reindex", kind, pk)

    transaction.on_commit(send)


def tool_embed(*, tool: Tool) -> bool:
    """Compute and store the tool's embedding now (synchronously). False if no model."""
    from . import search

    tool = Tool.objects.select_related("category").prefetch_related("tags").get(pk=tool.pk)
    vectors = search.embed_texts([search.tool_document(tool)])
    if vectors is None:
        return False
    Tool.objects.filter(pk=tool.pk).update(embedding=vectors[0])
    return True


def resource_embed(*, resource: Resource) -> bool:
    from . import search

    resource = Resource.objects.prefetch_related("tags").get(pk=resource.pk)
    vectors = search.embed_texts([search.resource_document(resource)])
    if vectors is None:
        return False
    Resource.objects.filter(pk=resource.pk).update(embedding=vectors[0])
    return True


def embeddings_compute_missing(*, everything: bool = False, batch: int = 64) -> dict[str, int]:
    """Fill in missing embeddings (all of them with everything=True), in batches."""
    from . import search

    done = {"tools": 0, "resources": 0}
    jobs = (
        ("tools", Tool, search.tool_document, ["category"]),
        ("resources", Resource, search.resource_document, []),
    )
    for label, model, document, related in jobs:
        qs = model.objects.all() if everything else model.objects.filter(embedding=None)
        pks = list(qs.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(pks), batch):
            rows = list(
                model.objects.filter(pk__in=pks[i : i + batch])
                .select_related(*related)
                .prefetch_related("tags")
            )
            vectors = search.embed_texts([document(row) for row in rows])
            if vectors is None:
                return done
            for row, vector in zip(rows, vectors, strict=True):
                model.objects.filter(pk=row.pk).update(embedding=vector)
            done[label] += len(rows)
    return done


# --- favorites, helpful votes, reports, profiles ---------------------------------------------


@transaction.atomic
def favorite_toggle(*, user: AbstractBaseUser, tool: Tool) -> bool:
    """Star or unstar `tool`; returns True when it is now a favorite."""
    deleted, _ = Favorite.objects.filter(user=user, tool=tool).delete()
    if deleted:
        return False
    Favorite.objects.get_or_create(user=user, tool=tool)
    return True


@transaction.atomic
def review_helpful_toggle(*, user: AbstractBaseUser, review: Review) -> bool:
    """Vote a review helpful, or take the vote back; one vote per user. True when voted."""
    if review.user_id == user.pk:
        raise ReviewError("You cannot vote on your own review.")
    # Lock the review so the counter mirrors the votes exactly.
    Review.objects.select_for_update().filter(pk=review.pk).first()
    deleted, _ = ReviewVote.objects.filter(user=user, review=review).delete()
    if deleted:
        Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") - 1)
        return False
    ReviewVote.objects.create(user=user, review=review)
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    return True


class ReportError(ValueError):
    pass


@transaction.atomic
def report_create(
    *,
    reporter: AbstractBaseUser,
    reason: str,
    details: str = "",
    tool: Tool | None = None,
    review: Review | None = None,
) -> Report:
    """File a report for the moderation queue; one open report per user and target."""
    if (tool is None) == (review is None):
        raise ReportError("Report either a tool or a review.")
    if reason not in Report.Reason.values:
        raise ReportError("Choose a reason.")
    target = {"tool": tool} if tool is not None else {"review": review}
    if Report.objects.filter(reporter=reporter, status=Report.Status.OPEN, **target).exists():
        raise ReportError("You have already reported this; a moderator will look at it.")
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter, reason=reason, details=details[:2000], **target
            )
    except IntegrityError as exc:
        raise ReportError("You have already reported this; a moderator will look at it.") from exc


@transaction.atomic
def report_close(*, report: Report, by: AbstractBaseUser, status: str) -> Report:
    if status not in (Report.Status.RESOLVED, Report.Status.DISMISSED):
        raise ReportError("Close a report as resolved or dismissed.")
    report.status, report.handled_by, report.handled_at = status, by, timezone.now()
    report.save(update_fields=["status", "handled_by", "handled_at"])
    return report


@transaction.atomic
def profile_update(
    *, user: AbstractBaseUser, display_name: str, bio: str, email: str | None = None
) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.display_name, profile.bio = display_name.strip()[:80], bio.strip()[:2000]
    profile.save(update_fields=["display_name", "bio"])
    if email is not None and email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    return profile


# --- builder: edit, draft versions, publish, remix, rollback, delete -------------------------

TOOL_FIELDS = ("name", "tagline", "description", "category", "icon", "visibility")


class ToolError(ValueError):
    """A builder action is not allowed in the tool's current state; the message is for users."""


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
    tool_reindex(tool=tool)
    return tool


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
) -> ToolVersion:
    """Store the builder's prompt and fields: update the unpublished head version in place,
    or start a new version when the head is published. Raises SchemaError, saving nothing."""
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    tool.refresh_from_db(fields=["current_version"])
    head = tool_head_version(tool)
    editable = version_is_draft(tool=tool, version=head)
    if (
        not editable
        and head is not None
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
        )
    head.prompt_template = prompt_template
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
    from tools.schema import validate_inputs

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


@transaction.atomic
def tool_remix(*, tool: Tool, user: AbstractBaseUser) -> Tool:
    """Copy a public tool (or one's own) into a new draft of `user`, linked by forked_from."""
    if not (tool.is_listed or tool.author_id == user.pk):
        raise ToolError("Only public tools can be remixed.")
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
    ToolVersion.objects.create(
        tool=copy,
        number=1,
        prompt_template=source.prompt_template,
        system_prompt=source.system_prompt,
        input_schema=source.input_schema,
        sampling_defaults=source.sampling_defaults,
        example_inputs=source.example_inputs,
        changelog=f"Remixed from {tool.name} v{source.number}"[:200],
    )
    return copy


@transaction.atomic
def tool_rollback(*, tool: Tool, version: ToolVersion) -> ToolVersion:
    """Make an earlier version current again, as a new version (history only grows)."""
    if version.tool_id != tool.pk:
        raise ToolError("That version belongs to another tool.")
    if tool.status == Tool.Status.REMOVED:
        raise ToolError("This tool was deleted.")
    Tool.objects.select_for_update().filter(pk=tool.pk).first()
    number = (tool.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    new = ToolVersion.objects.create(
        tool=tool,
        number=number,
        prompt_template=version.prompt_template,
        system_prompt=version.system_prompt,
        input_schema=version.input_schema,
        sampling_defaults=version.sampling_defaults,
        example_inputs=version.example_inputs,
        changelog=f"Rolled back to version {version.number}",
    )
    if tool.status == Tool.Status.PUBLISHED:
        tool_publish(tool=tool, version=new)
    return new


# --- resources submitted by users ------------------------------------------------------------


@transaction.atomic
def resource_submit(
    *,
    user: AbstractBaseUser,
    title: str,
    url: str,
    kind: str,
    description: str = "",
) -> Resource:
    """A user's suggestion; hidden (approved=False) until staff approve it in the admin."""
    if kind not in Resource.Kind.values:
        raise ValueError("Choose a kind of resource.")
    resource = Resource.objects.create(
        title=title.strip()[:160],
        slug=unique_slug(Resource, title),
        url=url,
        kind=kind,
        description=description.strip()[:4000],
        approved=False,
        submitted_by=user,
    )
    resource_reindex(resource=resource)
    return resource
