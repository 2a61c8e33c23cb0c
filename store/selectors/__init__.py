"""Reads for the storefront, split by sub-domain; this package's names are its public face."""

from .catalog import (
    BAYES_WEIGHT,
    DEFAULT_MEAN,
    TRENDING_DAYS,
    attach_bayesian,
    author_stats,
    categories_with_counts,
    favorite_ids,
    favorites_of,
    rating_prior,
    resources_listed,
    tags_visible,
    tags_with_counts,
    tools_featured,
    tools_newest,
    tools_similar,
    tools_top_rated,
    tools_trending,
    with_bayesian_rating,
)
from .dashboard import (
    creator_dashboard,
    rating_trend,
    tool_dashboard,
)
from .reviews import (
    REVIEW_SORTS,
    tool_rating_histogram,
    tool_reviews,
)

__all__ = [
    "BAYES_WEIGHT",
    "DEFAULT_MEAN",
    "REVIEW_SORTS",
    "TRENDING_DAYS",
    "attach_bayesian",
    "author_stats",
    "categories_with_counts",
    "creator_dashboard",
    "favorite_ids",
    "favorites_of",
    "rating_prior",
    "rating_trend",
    "resources_listed",
    "tags_visible",
    "tags_with_counts",
    "tool_dashboard",
    "tool_rating_histogram",
    "tool_reviews",
    "tools_featured",
    "tools_newest",
    "tools_similar",
    "tools_top_rated",
    "tools_trending",
    "with_bayesian_rating",
]
