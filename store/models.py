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


class ToolVersion(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    prompt_template = models.TextField()
    system_prompt = models.TextField(blank=True)
    input_schema = models.JSONField(default=list)
    sampling_defaults = models.JSONField(default=dict, blank=True)
    example_inputs = models.JSONField(default=list, blank=True)
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
