"""A run: one execution of a tool version for a user, from queued to a final state."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


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

    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.CANCELLED)
    LIVE_STATES = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Both empty for a run of the base model itself (the OpenAI-compatible API, /v1/).
    tool = models.ForeignKey(
        "store.Tool", on_delete=models.CASCADE, related_name="runs", null=True, blank=True
    )
    version = models.ForeignKey(
        "store.ToolVersion", on_delete=models.CASCADE, related_name="runs", null=True, blank=True
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
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 2),
            "tokens_per_second": self.tokens_per_second,
        }
