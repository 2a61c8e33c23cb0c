"""Search relevance on the demo catalog: the expected tool in the top 3 for >= 90% of queries."""

import pytest

from store.search import SearchParams, search

QUERIES = [
    # exact names and words
    ("summarizer", "summarizer"),
    ("translator", "translator"),
    ("haiku", "haiku"),
    ("headlines", "headline-generator"),
    ("regular expression", "regex-helper"),
    ("sql", "sql-from-description"),
    # typos
    ("transalte", "translator"),
    ("summarizr", "summarizer"),
    ("grammer", "grammar-fixer"),
    ("regx", "regex-helper"),
    ("pyton helper", "python-helper"),
    ("emial writer", "email-writer"),
    # synonyms and descriptions of the job, no shared words with the name
    ("shorten this text", "summarizer"),
    ("condense my meeting notes", "summarizer"),
    ("convert english to french", "translator"),
    ("fix my spelling mistakes", "grammar-fixer"),
    ("poem about autumn", "haiku"),
    ("explain to a child", "eli5"),
    ("catchy titles for a blog post", "headline-generator"),
    ("name for my dog", "name-ideas"),
    ("copy for an online shop", "product-description"),
    ("how to learn faster", "study-tips"),
    ("general knowledge question", "ask-anything"),
    ("database query", "sql-from-description"),
    ("write a message to my boss", "email-writer"),
    ("code snippet in python", "python-helper"),
]


@pytest.mark.django_db
def test_relevance_top3(demo_embedded):
    misses = []
    for query, expected in QUERIES:
        top = [t.slug for t in search(SearchParams(q=query)).items[:3]]
        if expected not in top:
            misses.append((query, expected, top))
    hit_rate = 1 - len(misses) / len(QUERIES)
    print(f"relevance: {hit_rate:.0%} top-3; misses: {misses}")
    assert hit_rate >= 0.9, misses
