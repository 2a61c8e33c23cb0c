"""Keeps the search index of tools and resources fresh: full-text vectors at once, sentence
embeddings in a worker after commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Value

from tools.models import Tool

from .. import search
from ..models import Resource

log = logging.getLogger(__name__)


def tool_reindex(*, tool: Tool, embed: bool = True) -> None:
    """Refresh the weighted full-text vector (name > tagline, tags > description).

    Also queues the sentence embedding for a background worker once the transaction
    commits (the text it is computed from may have changed).
    """
    tag_text = " ".join(tool.tags.values_list("name", flat=True))
    Tool.objects.filter(pk=tool.pk).update(
        search_vector=SearchVector("name", weight="A", config="english")
        + SearchVector("tagline", weight="B", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    if embed:
        embedding_enqueue(kind="tool", pk=tool.pk)


def resource_reindex(*, resource: Resource, embed: bool = True) -> None:
    tag_text = " ".join(resource.tags.values_list("name", flat=True))
    Resource.objects.filter(pk=resource.pk).update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector(Value(tag_text), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    if embed:
        embedding_enqueue(kind="resource", pk=resource.pk)


def embedding_enqueue(*, kind: str, pk: int) -> None:
    """Ask a worker (default queue) to (re)compute an embedding after this transaction commits.

    Best effort: when the broker is down the row keeps no embedding and is still found by
    full-text and trigram search; `manage.py reindex` fills the gaps later.
    """
    if not getattr(settings, "GPTSTORE_EMBED_ON_SAVE", True):
        return

    def send() -> None:
        from .. import tasks  # late: tasks import this module

        task = tasks.tool_embed if kind == "tool" else tasks.resource_embed
        try:
            task.apply_async(args=[pk], retry=False)
        except Exception:  # noqa: BLE001 - broker errors must not break a save
            log.warning("could not queue the %s %s embedding; run manage.py reindex", kind, pk)

    transaction.on_commit(send)


def tool_embed(*, tool: Tool) -> bool:
    """Compute and store the tool's embedding now (synchronously). False if no model."""
    tool = Tool.objects.select_related("category").prefetch_related("tags").get(pk=tool.pk)
    vectors = search.embed_texts([search.tool_document(tool)])
    if vectors is None:
        return False
    Tool.objects.filter(pk=tool.pk).update(embedding=vectors[0])
    return True


def resource_embed(*, resource: Resource) -> bool:
    resource = Resource.objects.prefetch_related("tags").get(pk=resource.pk)
    vectors = search.embed_texts([search.resource_document(resource)])
    if vectors is None:
        return False
    Resource.objects.filter(pk=resource.pk).update(embedding=vectors[0])
    return True


def embeddings_compute_missing(*, everything: bool = False, batch: int = 64) -> dict[str, int]:
    """Fill in missing embeddings (all of them with everything=True), in batches."""
    done = {"tools": 0, "resources": 0}
    jobs = (
        ("tools", Tool, search.tool_document, ["category"]),
        ("resources", Resource, search.resource_document, []),
    )
    for label, model, document, related in jobs:
        qs = model.objects.all() if everything else model.objects.filter(embedding=None)
        pks = list(qs.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(pks), batch):
            rows = list(
                model.objects.filter(pk__in=pks[i : i + batch])
                .select_related(*related)
                .prefetch_related("tags")
            )
            vectors = search.embed_texts([document(row) for row in rows])
            if vectors is None:
                return done
            for row, vector in zip(rows, vectors, strict=True):
                model.objects.filter(pk=row.pk).update(embedding=vector)
            done[label] += len(rows)
    return done
