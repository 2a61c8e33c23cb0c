"""`{% load answers %}{{ run.output|markdown }}`: a run's answer as sanitised HTML."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from ..answers import render_markdown

register = template.Library()


@register.filter
def markdown(text: str | None) -> str:
    return mark_safe(render_markdown(text or ""))  # sanitised by tools.answers (nh3)
