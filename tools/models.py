"""A tool's life: where it is filed (category, tags), what it is (versions) and its runs.

The storefront (`store`) builds on these: reviews, favorites and reports point at a `Tool`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from pgvector.django import VectorField

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    ordering = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("category", args=[self.slug])


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag", args=[self.slug])


class Tool(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        REMOVED = "removed"

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        UNLISTED = "unlisted"
        PRIVATE = "private"

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=100, unique=True)
    tagline = models.CharField(max_length=160, blank=True)
    description = models.TextField(blank=True, help_text="Markdown")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="tools"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tools")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tools"
    )
    icon = models.CharField(max_length=16, default="🤖", help_text="An emoji")
    icon_image = models.ImageField(upload_to="tool-icons/", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    featured = models.BooleanField(default=False)
    # Off: the prompt template and system prompt are the author's secret (staff see them
    # too) and nobody else may remix the tool. On: whoever may open the tool sees and remixes.
    prompt_public = models.BooleanField(
        "Prompt visible and remixable",
        default=False,
        help_text="Let everyone who can open the tool read its prompt and remix it.",
    )
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remixes"
    )
    current_version = models.ForeignKey(
        "ToolVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Denormalised for listings; only ever changed with F() expressions (see services).
    run_count = models.PositiveIntegerField(default=0)
    review_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        indexes = [
            GinIndex(fields=["search_vector"]),
            models.Index(fields=["status", "visibility"]),
            # pg_trgm: typo-tolerant search and suggestions (the % and <% operators).
            GinIndex(fields=["name"], name="tool_name_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["tagline"], name="tool_tagline_trgm", opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_sum__gte=0) & Q(review_count__gte=0) & Q(run_count__gte=0),
                name="tool_counters_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tool_detail", args=[self.slug])

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.review_count, 2) if self.review_count else None

    @property
    def is_listed(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC

    def prompt_visible_to(self, user) -> bool:
        """Whether `user` may read (and so remix) the prompt template and system prompt."""
        if user is None or not user.is_authenticated:
            return self.prompt_public
        return self.prompt_public or self.author_id == user.pk or user.is_staff


class ToolVersion(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    prompt_template = models.TextField()
    system_prompt = models.TextField(blank=True)
    input_schema = models.JSONField(default=list)
    sampling_defaults = models.JSONField(default=dict, blank=True)
    example_inputs = models.JSONField(default=list, blank=True)
    # The registry id (tools/registry.py) of the model this version runs on, pinned when the
    # version is made: changing the default model later does not move published versions.
    model = models.CharField(max_length=100)
    changelog = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tool", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "number"], name="toolversion_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="toolversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tool.name} v{self.number}"


class Run(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class FinishReason(models.TextChoices):
        STOP = "stop"
        LENGTH = "length"
        CANCELLED = "cancelled"
        TIMEOUT = "timeout"
        ERROR = "error"

    class ErrorCode(models.TextChoices):
        """Why a run failed, for clients and the admin (`error` is the sentence for people)."""

        MODEL_UNAVAILABLE = "model_unavailable"
        PROMPT_TOO_LONG = "prompt_too_long"
        ENGINE_BUSY = "engine_busy"
        ENGINE_ERROR = "engine_error"
        TIMEOUT = "timeout"
        WORKER_LOST = "worker_lost"
        TOO_MANY_ATTEMPTS = "too_many_attempts"

    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.CANCELLED)
    LIVE_STATES = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Both empty for a run of the base model itself (the OpenAI-compatible API, /v1/).
    tool = models.ForeignKey(
        Tool, on_delete=models.CASCADE, related_name="runs", null=True, blank=True
    )
    version = models.ForeignKey(
        ToolVersion, on_delete=models.CASCADE, related_name="runs", null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs"
    )
    inputs = models.JSONField(default=dict)
    system_prompt = models.TextField(blank=True)
    prompt = models.TextField()
    sampling = models.JSONField(default=dict)
    output = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    finish_reason = models.CharField(max_length=12, choices=FinishReason.choices, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="Shown to the user")
    error_code = models.CharField(max_length=40, choices=ErrorCode.choices, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_token_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    shared = models.BooleanField(default=False)
    # Set by the OpenAI-compatible API only. `messages`: chat messages sent to the engine as
    # they are (instead of system_prompt + prompt); `raw_prompt`: `prompt` is sent without a
    # chat template (/v1/completions); `model`: the model name the client asked for.
    messages = models.JSONField(null=True, blank=True)
    raw_prompt = models.BooleanField(default=False)
    model = models.CharField(max_length=200, blank=True)
    # The registry id of the model that serves the run (its tool version's, or the one /v1/
    # named); the run goes to that model's Celery queue, `inference.<model_key>`.
    model_key = models.CharField(max_length=100, db_index=True)
    # A conversation is a chain of runs: a follow-up names the turn it answers (`parent`);
    # every turn carries its first turn's id (`thread`) and its position (`turn`, from 1).
    # A follow-up's `prompt` is the user's message and its `messages` the whole conversation
    # sent to the engine (see tools.services.threads).
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, related_name="followups", null=True, blank=True
    )
    thread = models.UUIDField(db_index=True, editable=False)
    turn = models.PositiveSmallIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["user", "-queued_at"]),
            models.Index(fields=["state", "queued_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "succeeded", "failed", "cancelled"]),
                name="run_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.id} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        if self.thread is None:
            self.thread = self.parent.thread if self.parent_id else self.id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("run_detail", args=[self.id])

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return max((self.finished_at - self.started_at).total_seconds(), 0.0)
        return None

    @property
    def tokens_per_second(self) -> float | None:
        # Decode speed: tokens after the first over the time after the first token.
        if not self.completion_tokens or not self.finished_at:
            return None
        start = self.first_token_at or self.started_at
        if start is None:
            return None
        seconds = (self.finished_at - start).total_seconds()
        if seconds <= 0 or self.completion_tokens < 2:
            return None
        return round((self.completion_tokens - 1) / seconds, 1)

    def totals(self) -> dict:
        """The figures the page and the final stream event show."""
        return {
            "state": self.state,
            "finish_reason": self.finish_reason,
            "error": self.error,
            "error_code": self.error_code,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 2),
            "tokens_per_second": self.tokens_per_second,
        }


class UsageBudget(models.Model):
    """A user's own daily token budget, set by staff; without one the operator's default
    (`GPTSTORE_DAILY_TOKEN_BUDGET`) applies. 0 means unlimited, as for the setting."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_budget"
    )
    tokens_per_day = models.PositiveIntegerField(
        help_text="Prompt + completion tokens per UTC day; 0 = unlimited."
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why, for other staff")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user}: {self.tokens_per_day} tokens/day"


class DeletedUsage(models.Model):
    """Tokens of runs a user deleted from their history, per UTC day they were queued.

    Deleting a conversation removes its text, not what it cost: the daily budget and the
    usage page keep counting these tokens, so deleting today's runs does not refill a budget.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deleted_usage"
    )
    day = models.DateField()
    tokens = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="deleted_usage_user_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.day}: {self.tokens} deleted tokens"
