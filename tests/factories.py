"""factory_boy factories for the test suite's rows.

Tools and reviews are made through the services (`tool_create`, `tool_version_create`,
`tool_publish`, `review_upsert`), so slugs, tags, version numbers and counters are what the
site itself would store. The root conftest wraps the common ones in fixtures (`make_tool`).
"""

from __future__ import annotations

import factory
from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from store import services as store_services
from store.models import Favorite, Report, Resource, Review
from tools import services as tool_services
from tools.models import Category, Run, Tag, Tool, ToolVersion

# The "lister" tool: three typed fields (text, integer, choice) with defaults and an example.
LISTER_SCHEMA = [
    {"name": "topic", "label": "Topic", "type": "short_text", "max_length": 200},
    {"name": "count", "label": "Count", "type": "integer", "min": 1, "max": 5, "default": 2},
    {"name": "tone", "type": "choice", "choices": ["plain", "fun"], "default": "plain"},
]
VERSION_FIELDS = (
    "prompt_template",
    "system_prompt",
    "input_schema",
    "sampling_defaults",
    "example_inputs",
    "changelog",
)
CREATE_FIELDS = (
    "author",
    "name",
    "slug",
    "tagline",
    "description",
    "category",
    "icon",
    "visibility",
    "forked_from",
)


class UserFactory(DjangoModelFactory):
    """A user; the same username gives the same user (get or create)."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-test-123")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ToolFactory(DjangoModelFactory):
    """A tool made as the builder makes one: created, given a version, published.

    - `status`: published (default); draft (a version, never published); removed (published,
      then removed by staff).
    - `versioned=False`: no version at all (use with `status=Tool.Status.DRAFT`).
    - `tags`: tag names. Version fields (`prompt_template`, `input_schema`, ...) go to the
      version; `max_new_tokens` / `temperature` / `frequency_penalty` to its sampling defaults.
    - The version rewrites one long text `text` under a secret system prompt; the trait
      `lister=True` makes it list facts (topic/count/tone fields, greedy, 8 new tokens).
    - Any other model field (`featured`, `run_count`, ...) is written after the services.
    """

    class Meta:
        model = Tool
        skip_postgeneration_save = True

    class Params:
        max_new_tokens = None
        temperature = None
        frequency_penalty = None
        lister = factory.Trait(
            name="Lister",
            prompt_template="List {{count}} facts about {{topic}} ({{tone}}).",
            system_prompt="You are brief.",
            input_schema=factory.LazyFunction(lambda: [dict(f) for f in LISTER_SCHEMA]),
            example_inputs=factory.LazyFunction(lambda: [{"topic": "the moon", "count": 3}]),
            max_new_tokens=8,
            temperature=0.0,
        )

    author = factory.SubFactory(UserFactory, username="maker")
    name = factory.Sequence(lambda n: f"Tool {n}")
    slug = None  # derived from the name by tool_create
    tagline = ""
    description = ""
    category = None
    icon = "🤖"
    visibility = Tool.Visibility.PUBLIC
    tags = ()
    status = Tool.Status.PUBLISHED
    versioned = True
    # One long text and a system prompt that only the author may ever see.
    prompt_template = "Rewrite: {{text}}"
    system_prompt = "SECRET SYSTEM PROMPT"
    input_schema = factory.LazyFunction(lambda: [{"name": "text", "type": "long_text"}])
    sampling_defaults = factory.LazyAttribute(
        lambda o: {
            k: v
            for k, v in (
                ("max_new_tokens", o.max_new_tokens),
                ("temperature", o.temperature),
                ("frequency_penalty", o.frequency_penalty),
            )
            if v is not None
        }
    )
    example_inputs = factory.LazyFunction(list)
    changelog = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        version_fields = {k: kwargs.pop(k) for k in VERSION_FIELDS}
        status, versioned = kwargs.pop("status"), kwargs.pop("versioned")
        tags = list(kwargs.pop("tags"))
        create = {k: kwargs.pop(k) for k in CREATE_FIELDS if k in kwargs}
        if not versioned and status != Tool.Status.DRAFT:
            raise ValueError("a tool without a version can only be a draft")
        tool = tool_services.tool_create(tags=tags, **create)
        if versioned:
            version = tool_services.tool_version_create(tool=tool, **version_fields)
            if status != Tool.Status.DRAFT:
                tool_services.tool_publish(tool=tool, version=version)
        if status == Tool.Status.REMOVED:
            kwargs["status"] = status
        if kwargs:
            model_class.objects.filter(pk=tool.pk).update(**kwargs)
        tool.refresh_from_db()
        return tool


class ToolVersionFactory(DjangoModelFactory):
    """A new version of `tool` (numbered by the service); it is not published."""

    class Meta:
        model = ToolVersion

    tool = factory.SubFactory(ToolFactory, versioned=False, status=Tool.Status.DRAFT)
    prompt_template = "Do this: {{text}}"
    system_prompt = ""
    input_schema = factory.LazyFunction(
        lambda: [{"name": "text", "label": "Text", "type": "short_text"}]
    )
    sampling_defaults = factory.LazyFunction(dict)
    example_inputs = factory.LazyFunction(list)
    changelog = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return tool_services.tool_version_create(**kwargs)


class RunFactory(DjangoModelFactory):
    """A run stored directly (nothing enqueued): for pages and streams driven by hand.

    A running run has its first attempt and a start time, as a worker's claim leaves it."""

    class Meta:
        model = Run

    tool = factory.SubFactory(ToolFactory)
    version = factory.LazyAttribute(lambda o: o.tool.current_version if o.tool else None)
    user = factory.SubFactory(UserFactory)
    inputs = factory.LazyFunction(lambda: {"text": "x"})
    prompt = "p"
    sampling = factory.LazyFunction(dict)
    state = Run.State.QUEUED
    attempts = factory.LazyAttribute(lambda o: 1 if o.state == Run.State.RUNNING else 0)
    started_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state == Run.State.RUNNING else None
    )


class ReviewFactory(DjangoModelFactory):
    """A review through `review_upsert`, so the tool's rating counters follow."""

    class Meta:
        model = Review

    user = factory.SubFactory(UserFactory)
    tool = factory.SubFactory(ToolFactory)
    stars = 4
    text = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return store_services.review_upsert(**kwargs)


class FavoriteFactory(DjangoModelFactory):
    class Meta:
        model = Favorite

    user = factory.SubFactory(UserFactory)
    tool = factory.SubFactory(ToolFactory)


class ReportFactory(DjangoModelFactory):
    """An open report of a tool."""

    class Meta:
        model = Report

    reporter = factory.SubFactory(UserFactory)
    tool = factory.SubFactory(ToolFactory)
    reason = Report.Reason.SPAM


class ResourceFactory(DjangoModelFactory):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Resource {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    url = factory.LazyAttribute(lambda o: f"https://example.com/{o.slug}")
    kind = Resource.Kind.PAPER
    approved = True

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)
