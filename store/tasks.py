"""Background work for the catalog (default queue): sentence embeddings for search."""

from __future__ import annotations

from celery import shared_task

from tools.models import Tool

from . import services
from .models import Resource


@shared_task(name="store.tool_embed", ignore_result=True, acks_late=True)
def tool_embed(tool_id: int) -> bool:
    """Idempotent: recomputing an embedding gives the same vector; a deleted tool is skipped."""
    tool = Tool.objects.filter(pk=tool_id).first()
    return services.tool_embed(tool=tool) if tool is not None else False


@shared_task(name="store.resource_embed", ignore_result=True, acks_late=True)
def resource_embed(resource_id: int) -> bool:
    resource = Resource.objects.filter(pk=resource_id).first()
    return services.resource_embed(resource=resource) if resource is not None else False
