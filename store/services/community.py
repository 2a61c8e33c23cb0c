"""Writes for what visitors do around tools: favorites, reports, profiles, resources."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ApplicationError
from tools.models import Tool
from tools.services import unique_slug

from ..models import Favorite, Profile, Report, Resource, Review
from .search_index import resource_reindex


class ReportError(ApplicationError):
    code = "report_refused"


class ResourceError(ApplicationError):
    code = "invalid_resource"


@transaction.atomic
def favorite_toggle(*, user: AbstractBaseUser, tool: Tool) -> bool:
    """Star or unstar `tool`; returns True when it is now a favorite."""
    deleted, _ = Favorite.objects.filter(user=user, tool=tool).delete()
    if deleted:
        return False
    Favorite.objects.get_or_create(user=user, tool=tool)
    return True


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
        raise ResourceError(
            "Choose a kind of resource.", errors={"kind": ["Choose a kind of resource."]}
        )
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
