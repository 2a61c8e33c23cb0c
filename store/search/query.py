"""The search itself: three retrievers, their fusion, and the pages built from it.

Full-text and trigram run in PostgreSQL on the filtered catalog; the semantic list needs
the query's embedding (see `embeddings`). Plain browsing (no words in the query), the
as-you-type suggestions and "did you mean" live here too.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from pgvector.django import CosineDistance

from tools import selectors as tool_selectors
from tools.models import Tool

from .. import selectors
from ..models import Resource
from .params import KIND_RESOURCES, SearchParams, SearchResult, normalize_query

CANDIDATES = 60  # per retriever
RRF_K = 60
ANY_WORD_WEIGHT = 0.5  # full-text hits that match only some of the words are weaker evidence
TRIGRAM_MIN = 0.3
TRIGRAM_SKIP_AFTER = 10  # full-text hits (all words) beyond which the trigram pass is skipped
SEMANTIC_MAX_DISTANCE = 0.7  # cosine similarity >= 0.3; unrelated text scores ~0.1-0.2
PAGE_SIZE = 12

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def rrf_merge(
    rankings: list[list[int]], *, weights: list[float] | None = None, k: int = RRF_K
) -> list[int]:
    """Reciprocal rank fusion: ids ordered by the sum of weight / (k + rank) over the lists."""
    scores: dict[int, float] = {}
    first_seen: dict[int, int] = {}
    n = 0
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + weight / (k + rank)
            if pk not in first_seen:
                first_seen[pk] = n
                n += 1
    return sorted(scores, key=lambda pk: (-scores[pk], first_seen[pk]))


def _fulltext_ids(qs: QuerySet, q: str) -> tuple[list[int], float]:
    """Ids by ts_rank, and the list's weight: 1 when all words matched, less for any-word."""
    query = SearchQuery(q, search_type="websearch", config="english")
    ids = list(
        qs.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "pk")
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    words = _WORD_RE.findall(q)[:8]
    if ids or len(words) < 2:
        return ids, 1.0
    any_word = SearchQuery(words[0], config="english")
    for word in words[1:]:
        any_word |= SearchQuery(word, config="english")
    ids = list(
        qs.filter(search_vector=any_word)
        .annotate(rank=SearchRank(F("search_vector"), any_word))
        .order_by("-rank", "pk")
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    return ids, ANY_WORD_WEIGHT


def _trigram_ids(qs: QuerySet, q: str, *, name: str, extra: str | None) -> list[int]:
    """Typo-tolerant matches on the name (and the tagline, weaker).

    The `%` / `%>` operators pre-filter through the GIN trigram indexes (thresholds set for
    this transaction only); the exact score then orders the few rows that pass.
    """
    parts = [TrigramSimilarity(name, q), TrigramWordSimilarity(q, name)]
    candidates = Q(**{f"{name}__trigram_similar": q}) | Q(**{f"{name}__trigram_word_similar": q})
    if extra:
        parts.append(TrigramWordSimilarity(q, extra) * 0.6)
        candidates |= Q(**{f"{extra}__trigram_word_similar": q})
    with transaction.atomic(using=qs.db), connections[qs.db].cursor() as cursor:
        cursor.execute(
            "SET LOCAL pg_trgm.similarity_threshold = %s; "
            "SET LOCAL pg_trgm.word_similarity_threshold = %s",
            [TRIGRAM_MIN, TRIGRAM_MIN],
        )
        return list(
            qs.filter(candidates)
            .annotate(trgm=Greatest(*parts))
            .filter(trgm__gte=TRIGRAM_MIN)
            .order_by("-trgm", "pk")
            .values_list("pk", flat=True)[:CANDIDATES]
        )


def _semantic_ids(qs: QuerySet, q: str) -> list[int]:
    # Looked up on the package at call time: replacing `store.search.embed_query` (the tests
    # do, to keep the sentence model out) then reaches this retriever too.
    from store import search as package

    vector = package.embed_query(q)
    if vector is None:
        return []
    return list(
        qs.exclude(embedding=None)
        .annotate(distance=CosineDistance("embedding", vector))
        .filter(distance__lte=SEMANTIC_MAX_DISTANCE)
        .order_by("distance", "pk")
        .values_list("pk", flat=True)[:CANDIDATES]
    )


def _filtered_tools(params: SearchParams) -> QuerySet[Tool]:
    qs = tool_selectors.tools_listed()
    if params.category:
        qs = qs.filter(category__slug=params.category)
    for tag in params.tags:
        qs = qs.filter(tags__slug=tag)
    if params.min_rating:
        qs = qs.filter(review_count__gt=0, rating_sum__gte=F("review_count") * params.min_rating)
    return qs


def _filtered_resources(params: SearchParams) -> QuerySet[Resource]:
    qs = selectors.resources_listed()
    if params.category:
        qs = qs.filter(category__slug=params.category)
    for tag in params.tags:
        qs = qs.filter(tags__slug=tag)
    return qs


def ordered(qs: QuerySet, sort: str, kind: str) -> QuerySet:
    if kind == KIND_RESOURCES:
        return qs.order_by("-created", "pk") if sort == "newest" else qs.order_by("title", "pk")
    if sort == "runs":
        return qs.order_by("-run_count", "-pk")
    if sort == "newest":
        return qs.order_by(F("published_at").desc(nulls_last=True), "-pk")
    return selectors.with_bayesian_rating(qs).order_by(
        "-bayes", "-review_count", "-run_count", "-pk"
    )


def _browse_tools(base: QuerySet[Tool], params: SearchParams, page_size: int):
    """One page of the filtered tools in the chosen order, ranked on ids only.

    Sorting needs only the counters and dates, which the listed-tools indexes hold; the
    page's dozen rows are loaded afterwards (in the same order, with `bayes` attached).
    """
    prior = selectors.rating_prior()
    if params.sort in ("runs", "newest"):
        ranked = ordered(base, params.sort, params.kind)
    else:
        ranked = selectors.with_bayesian_rating(base, prior).order_by(
            "-bayes", "-review_count", "-run_count", "-pk"
        )
    paginator = Paginator(ranked.values_list("pk", flat=True), page_size)
    page = paginator.get_page(params.page)
    ids = list(page.object_list)
    objects = base.in_bulk(ids)
    page.object_list = [objects[pk] for pk in ids if pk in objects]
    selectors.attach_bayesian(page.object_list, prior)
    return page, paginator


def search(params: SearchParams, *, page_size: int = PAGE_SIZE) -> SearchResult:
    """Run a search; never raises for odd input (an empty query lists everything filtered)."""
    q = normalize_query(params.q)
    params.q = q
    resources = params.kind == KIND_RESOURCES
    base = _filtered_resources(params) if resources else _filtered_tools(params)
    used: list[str] = []
    if not _WORD_RE.search(q):
        # No query (or only punctuation): browse the filtered catalog in the chosen order.
        if resources:
            paginator = Paginator(ordered(base, params.sort, params.kind), page_size)
            page = paginator.get_page(params.page)
        else:
            page, paginator = _browse_tools(base, params, page_size)
        return SearchResult(params=params, page=page, total=paginator.count, used=used)

    # Trigram on names/titles only: full-text already covers taglines word for word.
    name, extra = ("title", None) if resources else ("name", None)
    rankings, weights = [], []
    fulltext, fulltext_weight = _fulltext_ids(base, q)
    # Typo tolerance is for when the words themselves do not match well: skip the (costly)
    # trigram scan when full-text already found plenty with every word.
    strong = fulltext_weight == 1.0 and len(fulltext) >= TRIGRAM_SKIP_AFTER
    trigram = [] if strong else _trigram_ids(base, q, name=name, extra=extra)
    for label, ids, weight in (
        ("fulltext", fulltext, fulltext_weight),
        ("trigram", trigram, 1.0),
        ("semantic", _semantic_ids(base, q), 1.0),
    ):
        if ids:
            used.append(label)
            rankings.append(ids)
            weights.append(weight)
    merged = rrf_merge(rankings, weights=weights)
    if params.sort == "relevance" or not merged:
        paginator = Paginator(merged, page_size)
        page = paginator.get_page(params.page)
        # Every id came from `base`, so the listed rows; load them with their relations
        # (a card shows the category: no query per result).
        listed = selectors.resources_listed() if resources else tool_selectors.tools_listed()
        objects = listed.in_bulk(list(page.object_list))
        page.object_list = [objects[pk] for pk in page.object_list if pk in objects]
        if not resources:
            selectors.attach_bayesian(page.object_list)
    else:
        paginator = Paginator(
            ordered(base.filter(pk__in=merged), params.sort, params.kind), page_size
        )
        page = paginator.get_page(params.page)
    suggestion = "" if merged else did_you_mean(q)
    return SearchResult(
        params=params, page=page, total=paginator.count, used=used, suggestion=suggestion
    )


def did_you_mean(q: str) -> str:
    """The closest listed tool name for a query that found nothing (or "")."""
    hit = (
        tool_selectors.tools_listed()
        .annotate(trgm=TrigramWordSimilarity(q, "name"))
        .filter(trgm__gte=0.2)
        .order_by("-trgm")
        .values_list("name", flat=True)
        .first()
    )
    return hit or ""


def suggest(q: str, *, limit: int = 6) -> list[Tool]:
    """Quick as-you-type suggestions: name prefix and trigram matches, then full-text."""
    q = normalize_query(q)
    if len(q) < 2:
        return []
    base = tool_selectors.tools_listed()
    ids = list(
        base.annotate(trgm=Greatest(TrigramSimilarity("name", q), TrigramWordSimilarity(q, "name")))
        .filter(Q(name__icontains=q) | Q(trgm__gte=TRIGRAM_MIN))
        .order_by("-trgm", "-run_count")
        .values_list("pk", flat=True)[:limit]
    )
    if len(ids) < limit:
        for pk in _fulltext_ids(base, q)[0]:
            if pk not in ids:
                ids.append(pk)
            if len(ids) >= limit:
                break
    objects = base.in_bulk(ids)
    return [objects[pk] for pk in ids if pk in objects]
