"""The storefront's own data: resources, reviews, favorites, reports and profiles.

Tools, their versions, categories and tags belong to `tools`; the storefront points at them.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from pgvector.django import VectorField

from tools.models import EMBEDDING_DIM, Category, Tag, Tool


class Resource(models.Model):
    class Kind(models.TextChoices):
        MODEL = "model"
        DATASET = "dataset"
        TUTORIAL = "tutorial"
        PAPER = "paper"
        API = "api", "API"
        TOOL = "tool"

    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="resources")
    approved = models.BooleanField(default=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [
            GinIndex(fields=["search_vector"]),
            GinIndex(fields=["title"], name="resource_title_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resource_detail", args=[self.slug])


class Review(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="reviews")
    stars = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True, max_length=4000)
    helpful_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="review_stars_1_to_5"
            ),
            models.UniqueConstraint(fields=["user", "tool"], name="review_one_per_user_tool"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.tool} by {self.user}"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()


class Favorite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="favorites")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["user", "tool"], name="favorite_one_per_user_tool"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ☆ {self.tool}"


class ReviewVote(models.Model):
    """One "this review was helpful" vote per user per review; Review.helpful_count mirrors it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_votes"
    )
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "review"], name="reviewvote_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} 👍 review {self.review_id}"


class Report(models.Model):
    """A visitor's report of a tool or a review; staff handle them in the admin queue."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        OFFENSIVE = "offensive", "Offensive or abusive"
        MISLEADING = "misleading", "Misleading or harmful"
        BROKEN = "broken", "Does not work"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"
        DISMISSED = "dismissed"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    tool = models.ForeignKey(
        Tool, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    details = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "created"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(tool__isnull=False) & Q(review__isnull=True))
                | (Q(tool__isnull=True) & Q(review__isnull=False)),
                name="report_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "tool"],
                condition=Q(status="open", tool__isnull=False),
                name="report_one_open_per_tool",
            ),
            models.UniqueConstraint(
                fields=["reporter", "review"],
                condition=Q(status="open", review__isnull=False),
                name="report_one_open_per_review",
            ),
        ]

    def __str__(self) -> str:
        target = f"tool {self.tool_id}" if self.tool_id else f"review {self.review_id}"
        return f"{self.get_reason_display()} on {target} ({self.status})"
