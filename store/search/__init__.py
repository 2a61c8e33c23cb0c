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

`params` holds the request side (parameters, result), `embeddings` the model (loaded on
the first query, never at import time), `query` the retrievers and the search. The names
below are the package's public face; callers import them from `store.search`.
"""

from .embeddings import (
    embed_query,
    embed_texts,
    get_model,
    resource_document,
    tool_document,
    warm_up_in_background,
)
from .params import (
    KIND_RESOURCES,
    KIND_TOOLS,
    MAX_QUERY_CHARS,
    SORTS,
    SearchParams,
    SearchResult,
    normalize_query,
    params_from_query,
)
from .query import CANDIDATES, PAGE_SIZE, did_you_mean, ordered, rrf_merge, search, suggest

__all__ = [
    "CANDIDATES",
    "KIND_RESOURCES",
    "KIND_TOOLS",
    "MAX_QUERY_CHARS",
    "PAGE_SIZE",
    "SORTS",
    "SearchParams",
    "SearchResult",
    "did_you_mean",
    "embed_query",
    "warm_up_in_background",
    "embed_texts",
    "get_model",
    "normalize_query",
    "ordered",
    "params_from_query",
    "resource_document",
    "rrf_merge",
    "search",
    "suggest",
    "tool_document",
]
