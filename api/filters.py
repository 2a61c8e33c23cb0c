"""django-filter sets for the API lists; the same filters and sorts as the site."""

from __future__ import annotations

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.models import Case, F, IntegerField, Q, Value, When

from store import search
from store.models import Resource, Review
from tools.models import Category, Tag, Tool

# Enough for every hit of the site's search (each retriever returns a bounded candidate list).
SEARCH_HITS = 4 * search.CANDIDATES


def _text_search(qs, fields: tuple[str, ...], value: str):
    """Full-text match on search_vector, or a plain substring on the named fields."""
    value = search.normalize_query(value)
    if not value:
        return qs
    query = SearchQuery(value, config="english", search_type="websearch")
    substring = Q()
    for name in fields:
        substring |= Q(**{f"{name}__icontains": value})
    return qs.filter(Q(search_vector=query) | substring)


class ToolFilter(django_filters.FilterSet):
    SORTS = tuple(search.SORTS.items())  # the site's sorts: relevance, rating, runs, newest

    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Search text.")
    category = django_filters.ModelChoiceFilter(
        field_name="category", to_field_name="slug", queryset=Category.objects.all()
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", to_field_name="slug", queryset=Tag.objects.all()
    )
    author = django_filters.CharFilter(field_name="author__username", max_length=150)
    featured = django_filters.BooleanFilter()
    min_rating = django_filters.NumberFilter(method="filter_min_rating", min_value=0, max_value=5)
    sort = django_filters.ChoiceFilter(choices=SORTS, method="filter_sort", empty_label=None)
    mine = django_filters.BooleanFilter(
        method="filter_noop",  # applied by the view, which picks the base queryset
        help_text="true: your own tools (drafts and private ones too) instead of listed ones.",
    )

    class Meta:
        model = Tool
        fields = ["q", "category", "tag", "author", "featured", "min_rating", "sort", "mine"]

    def filter_q(self, qs, name, value):
        return qs  # applied in `qs` below: the site's hybrid search needs the other filters

    def filter_min_rating(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(review_count__gt=0, rating_sum__gte=F("review_count") * float(value))

    def filter_sort(self, qs, name, value):
        return qs  # applied in `qs` below, after every other filter

    def filter_noop(self, qs, name, value):
        return qs

    @property
    def qs(self):
        qs = super().qs
        data = self.form.cleaned_data
        q = search.normalize_query(data.get("q"))
        if not any(ch.isalnum() for ch in q):
            q = ""  # punctuation only: browse, as the site does
        sort = data.get("sort") or ("relevance" if q else "newest")
        if q and data.get("mine"):
            # Own tools (drafts too) are not in the site's index of listed tools.
            qs = _text_search(qs, ("name", "tagline"), q)
            sort = "newest" if sort == "relevance" else sort
        elif q:
            # The site's hybrid search (full text + trigram + embeddings, rank fusion),
            # with the same category and tag filters; the other filters narrow its hits.
            params = search.SearchParams(
                q=q,
                category=data["category"].slug if data.get("category") else "",
                tags=[data["tag"].slug] if data.get("tag") else [],
                sort="relevance",
            )
            hits = search.search(params, page_size=SEARCH_HITS).items
            ranked = [tool.pk for tool in hits]
            qs = qs.filter(pk__in=ranked)
            if sort == "relevance":
                position = Case(
                    *(When(pk=pk, then=Value(i)) for i, pk in enumerate(ranked)),
                    output_field=IntegerField(),
                )
                return qs.order_by(position) if ranked else qs
        elif sort == "relevance":
            sort = "newest"
        return search.ordered(qs, sort, search.KIND_TOOLS)


class ResourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Search text.")
    kind = django_filters.ChoiceFilter(choices=Resource.Kind.choices)
    category = django_filters.ModelChoiceFilter(
        field_name="category", to_field_name="slug", queryset=Category.objects.all()
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", to_field_name="slug", queryset=Tag.objects.all()
    )

    class Meta:
        model = Resource
        fields = ["q", "kind", "category", "tag"]

    def filter_q(self, qs, name, value):
        return _text_search(qs, ("title",), value)


class ReviewFilter(django_filters.FilterSet):
    SORTS = (("newest", "newest"), ("helpful", "most helpful"))

    tool = django_filters.CharFilter(field_name="tool__slug", max_length=100)
    user = django_filters.CharFilter(field_name="user__username", max_length=150)
    sort = django_filters.ChoiceFilter(choices=SORTS, method="filter_sort", empty_label=None)

    class Meta:
        model = Review
        fields = ["tool", "user", "sort"]

    def filter_sort(self, qs, name, value):
        if value == "helpful":
            return qs.order_by("-helpful_count", "-created", "-pk")
        return qs.order_by("-created", "-pk")
