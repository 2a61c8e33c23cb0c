"""Serializers validate shapes only; every write goes through store (or tools) services.
Fields a client must never set (author, status, featured, counters) are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from store.models import Resource, Review
from tools import selectors as tool_selectors
from tools.models import Category, Tag, Tool, ToolVersion
from tools.registry import default_model_id
from tools.sampling import SAMPLING_RANGES


class SafeJSONField(serializers.JSONField):
    """JSON that PostgreSQL's jsonb can store: no NUL characters or lone surrogates in any
    string, bounded depth and size (else a 400, never a database error)."""

    MAX_DEPTH, MAX_CHARS = 8, 64_000

    def to_internal_value(self, data: Any) -> Any:
        data = super().to_internal_value(data)
        self._walk(data, 0, 0)
        return data

    def _walk(self, value: Any, depth: int, chars: int) -> int:
        """Check `value` and all it holds; returns `chars` plus the characters of its text."""
        if depth > self.MAX_DEPTH:
            raise serializers.ValidationError("Nested too deeply.")
        if isinstance(value, dict):
            for key, item in value.items():
                chars = self._walk(item, depth + 1, self._walk(key, depth + 1, chars))
        elif isinstance(value, list):
            for item in value:
                chars = self._walk(item, depth + 1, chars)
        elif isinstance(value, str):
            chars += len(value)
            _check_text(value)
        elif isinstance(value, float) and value != value:  # NaN
            raise serializers.ValidationError("Numbers must be finite.")
        if chars > self.MAX_CHARS:
            raise serializers.ValidationError("Too large.")
        return chars


def _check_text(value: str) -> None:
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise serializers.ValidationError("Text may not contain NUL characters.")


class SlugField(serializers.SlugRelatedField):
    """A related object named by its slug; text that cannot be a slug is simply not found
    (PostgreSQL refuses NUL characters, so they must never reach a query)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > 200:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:200])
        return super().to_internal_value(data)


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=40)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [t.name for t in data.all()] if hasattr(data, "all") else list(data)


class CategorySerializer(serializers.ModelSerializer):
    tool_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "description", "tool_count"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


class ResourceSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = TagListField(read_only=True)

    class Meta:
        model = Resource
        fields = ["slug", "title", "url", "kind", "description", "category", "tags", "created"]


class ToolSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    category = SlugField(
        slug_field="slug",
        queryset=Category.objects.all(),
        required=False,
        allow_null=True,
    )
    tags = TagListField(required=False)
    current_version = serializers.IntegerField(
        source="current_version.number", read_only=True, allow_null=True
    )
    average_rating = serializers.FloatField(read_only=True, allow_null=True)
    # The stored counter of counted runs (tools.selectors.COUNTED_RUN), the same figure as
    # the store's cards and tool pages.
    run_count = serializers.IntegerField(
        read_only=True,
        help_text="Runs that finished successfully, not counting the author's own runs.",
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    model = serializers.CharField(
        source="current_version.model",
        read_only=True,
        allow_null=True,
        help_text="The model the published version runs on (an id of /v1/models).",
    )

    class Meta:
        model = Tool
        fields = [
            "slug",
            "name",
            "tagline",
            "description",
            "icon",
            "category",
            "tags",
            "visibility",
            "prompt_public",
            "author",
            "status",
            "featured",
            "current_version",
            "model",
            "run_count",
            "review_count",
            "average_rating",
            "created",
            "updated",
            "published_at",
            "url",
        ]
        read_only_fields = [
            "slug",
            "status",
            "featured",
            "run_count",
            "review_count",
            "created",
            "updated",
            "published_at",
        ]
        extra_kwargs = {"description": {"max_length": 20000}}

    def validate_icon(self, value: str) -> str:
        return value.strip() or "🤖"


class ToolVersionSerializer(serializers.ModelSerializer):
    """`prompt_template` and `system_prompt` are shown only to those who may read the prompt:
    the author, staff, and everyone when the tool's `prompt_public` is on."""

    # Null in answers to anyone else (Tool.prompt_visible_to).
    prompt_template = serializers.CharField(max_length=20000, allow_null=True)
    system_prompt = serializers.CharField(
        max_length=20000, allow_blank=True, allow_null=True, required=False
    )
    input_schema = SafeJSONField()
    sampling_defaults = SafeJSONField(required=False)
    example_inputs = SafeJSONField(required=False)
    model = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The model this version runs on (an id of /v1/models; empty: the default).",
    )

    class Meta:
        model = ToolVersion
        fields = [
            "number",
            "model",
            "prompt_template",
            "system_prompt",
            "input_schema",
            "sampling_defaults",
            "example_inputs",
            "changelog",
            "created",
        ]
        read_only_fields = ["number", "created"]

    def validate_prompt_template(self, value):
        if value is None:
            raise serializers.ValidationError("This field may not be null.")
        return value

    def validate_system_prompt(self, value):
        return value or ""

    def validate_example_inputs(self, value):
        if not isinstance(value, list) or len(value) > 20:
            raise serializers.ValidationError("A list of at most 20 example input objects.")
        if not all(isinstance(v, dict) for v in value):
            raise serializers.ValidationError("Each example is an object of field values.")
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not instance.tool.prompt_visible_to(user):
            data["prompt_template"] = None
            data["system_prompt"] = None
        return data


class PublishSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Version number; the newest when omitted."
    )


class ReviewSerializer(serializers.ModelSerializer):
    tool = SlugField(slug_field="slug", queryset=Tool.objects.none())
    user = serializers.CharField(source="user.username", read_only=True)
    stars = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    class Meta:
        model = Review
        fields = ["id", "tool", "user", "stars", "text", "helpful_count", "created", "updated"]
        read_only_fields = ["id", "helpful_count", "created", "updated"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        tool_field = self.fields["tool"]
        if self.instance is not None:
            tool_field.read_only = True  # a review never moves to another tool
        elif request is not None:
            tool_field.queryset = tool_selectors.tools_visible_to(request.user)


class MeSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="profile.display_name", read_only=True)
    bio = serializers.CharField(source="profile.bio", read_only=True)
    tool_count = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["username", "email", "display_name", "bio", "date_joined", "tool_count"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_tool_count(self, user) -> int:
        return user.tools.exclude(status=Tool.Status.REMOVED).count()


class FavoriteSerializer(serializers.Serializer):
    tool = SlugField(slug_field="slug", queryset=Tool.objects.none(), write_only=True)
    tool_detail = ToolSerializer(source="tool", read_only=True)
    created = serializers.DateTimeField(read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["tool"].queryset = tool_selectors.tools_visible_to(request.user)


def _ranged(field_class, name: str):
    lo, hi = SAMPLING_RANGES[name]
    return field_class(min_value=lo, max_value=hi, required=False)


class RunSamplingSerializer(serializers.Serializer):
    temperature = _ranged(serializers.FloatField, "temperature")
    top_p = _ranged(serializers.FloatField, "top_p")
    max_new_tokens = _ranged(serializers.IntegerField, "max_new_tokens")
    frequency_penalty = _ranged(serializers.FloatField, "frequency_penalty")
    presence_penalty = _ranged(serializers.FloatField, "presence_penalty")


class RunCreateSerializer(serializers.Serializer):
    tool = SlugField(slug_field="slug", queryset=Tool.objects.none())
    inputs = SafeJSONField(help_text="Field values, as the tool's input schema describes.")
    sampling = RunSamplingSerializer(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["tool"].queryset = tool_selectors.tools_visible_to(request.user)

    def validate_inputs(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of field values.")
        return value


class RunFollowupSerializer(serializers.Serializer):
    message = serializers.CharField(
        trim_whitespace=True, help_text="The follow-up; the model sees the whole conversation."
    )


class RunSerializer(serializers.Serializer):
    """A run; every field is read-only (state and token counts belong to the worker)."""

    id = serializers.UUIDField(read_only=True)
    # Null for a run of the base model itself (the OpenAI-compatible API, /v1/).
    tool = serializers.CharField(source="tool.slug", read_only=True, allow_null=True)
    version = serializers.IntegerField(source="version.number", read_only=True, allow_null=True)
    inputs = serializers.JSONField(read_only=True)
    sampling = serializers.JSONField(read_only=True)
    state = serializers.CharField(read_only=True)
    finish_reason = serializers.CharField(read_only=True)
    error = serializers.CharField(read_only=True)
    error_code = serializers.CharField(
        read_only=True, help_text="Why a failed run failed (stable, for programs); empty otherwise."
    )
    output = serializers.CharField(read_only=True)
    prompt_tokens = serializers.IntegerField(read_only=True, allow_null=True)
    completion_tokens = serializers.IntegerField(read_only=True, allow_null=True)
    queued_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_token_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    shared = serializers.BooleanField(read_only=True)
    parent = serializers.UUIDField(
        source="parent_id",
        read_only=True,
        allow_null=True,
        help_text="The turn this run follows up (a conversation); null for a first turn.",
    )
    thread = serializers.UUIDField(
        read_only=True, help_text="The conversation's first turn (its own id for a first turn)."
    )
    turn = serializers.IntegerField(
        read_only=True, help_text="Position in the conversation, from 1."
    )
    model = serializers.SerializerMethodField(
        help_text="The model that serves the run (an id of /v1/models)."
    )
    message = serializers.SerializerMethodField(
        help_text="A follow-up's message (null for a first turn, whose `inputs` say what it asked)."
    )
    events_url = serializers.SerializerMethodField(
        help_text="Server-Sent Events stream of the run's text (JSON events; Last-Event-ID "
        "resumes)."
    )

    def get_model(self, run) -> str:
        return run.model_key or default_model_id()

    def get_message(self, run) -> str | None:
        return run.prompt if run.parent_id else None

    def get_events_url(self, run) -> str:
        return f"/api/runs/{run.pk}/events/"
