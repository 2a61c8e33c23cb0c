"""Indexes for the catalog's hot reads (found with `python -m bench.catalog`, docs/bench-catalog.md).

Raw SQL on purpose: partial and covering indexes that the model state does not need to
know about (so `makemigrations` stays quiet), all restricted to listed tools
(published and public), the only rows lists, counts and search ever read:

* tool_listed_stats: index-only scans for the Bayesian prior (sum of ratings), the
  top-rated shelf and the rating-ordered browse list;
* tool_listed_category: per-category counts without reading the table;
* tool_listed_newest / tool_listed_featured: the home page's "Newest" and "Featured" shelves
  straight from an index;
* embedding storage MAIN: the 384-float vector (1.5 kB) stays in the row instead of TOAST, so
  the semantic scan reads the table once instead of one TOAST lookup per row (3x faster).
"""

from django.db import migrations

LISTED = "status = 'published' AND visibility = 'public'"

INDEXES = {
    "tool_listed_stats": "(id) INCLUDE (rating_sum, review_count, run_count)",
    "tool_listed_category": "(category_id)",
    "tool_listed_newest": "(published_at DESC NULLS LAST, id DESC)",
    "tool_listed_featured": "(run_count DESC, id DESC)",
}
WHERE = {"tool_listed_featured": f"{LISTED} AND featured"}


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0004_trigram_indexes"),
    ]

    operations = [
        *(
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON store_tool {columns} "
                f"WHERE {WHERE.get(name, LISTED)}",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, columns in INDEXES.items()
        ),
        migrations.RunSQL(
            [
                "ALTER TABLE store_tool ALTER COLUMN embedding SET STORAGE MAIN",
                # Move the vectors already stored out of TOAST (a fresh value is re-stored).
                "UPDATE store_tool SET embedding = embedding::real[]::vector "
                "WHERE embedding IS NOT NULL",
            ],
            "ALTER TABLE store_tool ALTER COLUMN embedding SET STORAGE EXTERNAL",
        ),
    ]
