"""Writes to reviews and helpful votes; the tool's rating counters follow them exactly."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import ApplicationError
from tools.models import Tool

from ..models import Review, ReviewVote


class ReviewError(ApplicationError):
    code = "review_refused"


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
