"""Reads of the catalog. Every list a visitor can see goes through `tools_visible_to`."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Resource, Tool


def tools_listed() -> QuerySet[Tool]:
    """Published, public tools: the only ones that appear in lists, search and counts."""
    return Tool.objects.filter(
        status=Tool.Status.PUBLISHED, visibility=Tool.Visibility.PUBLIC
    ).select_related("category", "author__profile", "current_version")


def tools_visible_to(user) -> QuerySet[Tool]:
    """Tools a user may open by URL: listed and unlisted ones, plus their own."""
    qs = Tool.objects.select_related("category", "author__profile", "current_version")
    visible = Q(status=Tool.Status.PUBLISHED) & ~Q(visibility=Tool.Visibility.PRIVATE)
    if user is not None and user.is_authenticated:
        if user.is_staff:
            return qs
        visible |= Q(author=user) & ~Q(status=Tool.Status.REMOVED)
    return qs.filter(visible)


def resources_listed() -> QuerySet[Resource]:
    return Resource.objects.filter(approved=True).select_related("category")
