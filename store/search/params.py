"""What a search asks for and what it answers: the query's normal form, the parameters
parsed from a request, and the result page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page

from tools.models import Category, Tag

MAX_QUERY_CHARS = 200

KIND_TOOLS, KIND_RESOURCES = "tools", "resources"
SORTS = {
    "relevance": "Best match",
    "rating": "Top rated",
    "runs": "Most used",
    "newest": "Newest",
}


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


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return min(max(n, lo), hi)


def params_from_query(data) -> SearchParams:
    """Lenient parsing of GET parameters: anything odd falls back to its default."""
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
