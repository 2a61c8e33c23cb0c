import pytest
from django.test import RequestFactory
from django.urls import reverse

from store import search as search_mod
from store import services
from store.models import Resource
from store.search import SearchParams, rrf_merge, search
from tools.models import Tool

pytestmark = pytest.mark.django_db


def slugs(result):
    return [t.slug for t in result.items]


@pytest.fixture
def no_model(monkeypatch):
    """Semantic matching unavailable (no embeddings, no model): search must still work."""
    monkeypatch.setattr(search_mod, "embed_query", lambda q: None)


def test_rrf_merge_rewards_agreement():
    assert rrf_merge([[1, 2, 3], [3, 2], [2]]) == [2, 3, 1]
    assert rrf_merge([]) == []
    assert rrf_merge([[5], [6]]) == [5, 6]  # ties keep first-seen order


def test_fulltext_weights_name_over_description(make_tool, no_model):
    in_desc = make_tool("Helper", description="It can summarize things too, among others.")
    in_name = make_tool("Summarize Pro", tagline="Short summaries")
    in_tag = make_tool("Digest", tags=["summarize"])
    result = search(SearchParams(q="summarize"))
    assert slugs(result)[0] == in_name.slug
    assert set(slugs(result)) >= {in_desc.slug, in_name.slug, in_tag.slug}
    assert slugs(result).index(in_tag.slug) < slugs(result).index(in_desc.slug)
    assert "fulltext" in result.used


def test_typo_finds_translator(demo, no_model):
    result = search(SearchParams(q="transalte"))
    assert slugs(result)[0] == "translator"
    assert "trigram" in result.used


def test_semantic_match_without_shared_words(make_tool):
    summarizer = make_tool(
        "Summarizer", tagline="Turn long text into a short, clear summary.", tags=["writing"]
    )
    poet = make_tool("Haiku Poet", tagline="A haiku about anything.", tags=["poetry"])
    sql = make_tool("SQL Builder", tagline="Describe the data; get a SQL query.", tags=["sql"])
    assert search(SearchParams(q="condense my meeting notes")).total == 0  # not embedded yet
    for tool in (summarizer, poet, sql):
        assert services.tool_embed(tool=tool)
    result = search(SearchParams(q="condense my meeting notes"))
    assert slugs(result)[0] == summarizer.slug and result.used == ["semantic"]
    assert slugs(search(SearchParams(q="a short poem about spring")))[0] == poet.slug


def test_filters_and_sorts(make_tool, category, django_user_model, no_model):
    a = make_tool("Alpha writer", category=category, tags=["email"])
    b = make_tool("Beta writer", tags=["email", "formal"])
    c = make_tool("Gamma writer")
    Tool.objects.filter(pk=c.pk).update(run_count=99)
    for i, stars in enumerate([5, 5]):
        services.review_upsert(
            user=django_user_model.objects.create_user(f"u{i}"), tool=b, stars=stars
        )
    assert slugs(search(SearchParams(q="writer", category="writing"))) == [a.slug]
    assert slugs(search(SearchParams(q="writer", tags=["email", "formal"]))) == [b.slug]
    assert slugs(search(SearchParams(q="writer", min_rating=4))) == [b.slug]
    assert slugs(search(SearchParams(q="writer", sort="runs")))[0] == c.slug
    assert slugs(search(SearchParams(q="writer", sort="rating")))[0] == b.slug
    assert slugs(search(SearchParams(q="writer", sort="newest")))[0] == c.slug


def test_pagination(make_tool, no_model):
    for i in range(7):
        make_tool(f"Pager tool {i}")
    first = search(SearchParams(q="pager"), page_size=3)
    assert first.total == 7 and len(first.items) == 3 and first.page.has_next()
    last = search(SearchParams(q="pager", page=3), page_size=3)
    assert len(last.items) == 1
    beyond = search(SearchParams(q="pager", page=99), page_size=3)
    assert len(beyond.items) == 1  # clamps to the last page
    all_pages = {
        t.pk for p in (1, 2, 3) for t in search(SearchParams(q="pager", page=p), page_size=3).items
    }
    assert len(all_pages) == 7


@pytest.mark.parametrize("q", ["", "   ", "?!*&|", "zxqvbnmlkj", "'); DROP TABLE x; --", "a" * 500])
def test_empty_or_nonsense_query_is_helpful(client, demo, q, no_model):
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    if q.strip() and any(ch.isalnum() for ch in q) and "DROP" not in q:
        assert "Nothing matches" in html and "Popular tools" in html
    if not q.strip():
        assert "All tools" in html and "Summarizer" in html


def test_did_you_mean(demo, no_model):
    result = search(SearchParams(q="summarizzzer toolz xyz"))
    assert result.total == 0 or slugs(result)[0] == "summarizer"
    assert search_mod.did_you_mean("summarizzer") == "Summarizer"


def test_resources_kind(demo, no_model):
    result = search(SearchParams(q="transformer", kind="resources"))
    assert result.items and all(isinstance(r, Resource) for r in result.items)
    assert any("Transformer" in r.title for r in result.items)
    Resource.objects.update(approved=False)
    assert search(SearchParams(q="transformer", kind="resources")).total == 0


def test_suggest_endpoint(client, demo, no_model):
    html = client.get(reverse("search_suggest"), {"q": "transl"}).content.decode()
    assert "Translator" in html
    assert client.get(reverse("search_suggest"), {"q": "x"}).content.strip() == b""


def test_params_parsing_is_lenient(demo):
    data = (
        RequestFactory()
        .get(
            "/",
            {
                "q": " a\x00b ",
                "kind": "x",
                "sort": "y",
                "page": "z",
                "min_rating": "99",
                "category": "nope",
                "tag": ["writing", "nope"],
            },
        )
        .GET
    )
    params = search_mod.params_from_query(data)
    assert params.q == "a b" and params.kind == "tools" and params.sort == "relevance"
    assert params.page == 1 and params.min_rating == 5 and params.category == ""
    assert params.tags == ["writing"]
