"""Writes for the storefront, split by sub-domain; this package's names are its public face."""

from .accounts import user_signup
from .community import (
    ReportError,
    ResourceError,
    favorite_toggle,
    profile_update,
    report_close,
    report_create,
    resource_submit,
)
from .reviews import ReviewError, review_delete, review_helpful_toggle, review_upsert
from .search_index import (
    embedding_enqueue,
    embeddings_compute_missing,
    resource_embed,
    resource_reindex,
    tool_embed,
    tool_reindex,
)

__all__ = [
    "ReportError",
    "ResourceError",
    "ReviewError",
    "embedding_enqueue",
    "embeddings_compute_missing",
    "favorite_toggle",
    "profile_update",
    "report_close",
    "report_create",
    "resource_embed",
    "resource_reindex",
    "resource_submit",
    "review_delete",
    "review_helpful_toggle",
    "review_upsert",
    "tool_embed",
    "tool_reindex",
    "user_signup",
]
