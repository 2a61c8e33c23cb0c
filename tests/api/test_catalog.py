"""Reads: categories, tags, resources, tool lists with filters, sorts and pagination."""

import pytest

from store.models import Resource
from tools.models import Tool

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_tool_list_shows_only_listed_tools(anon, alice, catalog):
    expected = {catalog["public"].slug, catalog["bobs"].slug}
    assert set(slugs(anon.get("/api/tools/"))) == expected
    # Even the author's own drafts and private tools stay out of the public list.
    assert set(slugs(alice.get("/api/tools/"))) == expected


def test_mine_lists_own_tools_in_every_state_but_removed(alice, bob, anon, catalog):
    own = {t.slug for k, t in catalog.items() if k not in ("bobs", "removed")}
    assert set(slugs(alice.get("/api/tools/?mine=true"))) == own
    assert set(slugs(bob.get("/api/tools/?mine=true"))) == {catalog["bobs"].slug}
    assert set(slugs(anon.get("/api/tools/?mine=true"))) == {
        catalog["public"].slug,
        catalog["bobs"].slug,
    }


def test_tool_filters(anon, catalog, category):
    public, bobs = catalog["public"].slug, catalog["bobs"].slug
    assert slugs(anon.get("/api/tools/?category=writing")) == [public]
    assert slugs(anon.get("/api/tools/?tag=summary")) == [bobs]
    assert slugs(anon.get("/api/tools/?author=bob")) == [bobs]
    assert slugs(anon.get("/api/tools/?q=summarizer")) == [bobs]
    assert slugs(anon.get("/api/tools/?q=paraphraser")) == [public]
    assert slugs(anon.get("/api/tools/?q=zzzznothing")) == []
    assert slugs(anon.get("/api/tools/?featured=true")) == []
    assert anon.get("/api/tools/?category=nope").status_code == 400
    assert anon.get("/api/tools/?sort=sideways").status_code == 400


def test_tool_sorts(anon, user, other_user, django_user_model, make_tool):
    a = make_tool("Alpha", author=user)
    b = make_tool("Beta", author=user)
    Tool.objects.filter(pk=a.pk).update(run_count=10, review_count=20, rating_sum=90)
    Tool.objects.filter(pk=b.pk).update(run_count=1, review_count=1, rating_sum=5)
    c = make_tool("Gamma", author=user)
    Tool.objects.filter(pk=c.pk).update(run_count=0, review_count=20, rating_sum=40)
    assert slugs(anon.get("/api/tools/?sort=runs")) == [a.slug, b.slug, c.slug]
    # One lone 5-star review does not beat twenty 4.5-star ones (Bayesian average).
    assert slugs(anon.get("/api/tools/?sort=rating")) == [a.slug, b.slug, c.slug]
    assert slugs(anon.get("/api/tools/?sort=newest")) == [c.slug, b.slug, a.slug]
    assert slugs(anon.get("/api/tools/?min_rating=4.6")) == [b.slug]
    assert slugs(anon.get("/api/tools/?q=alpah")) == [a.slug]  # typo: the site's trigram search


def test_pagination(anon, user, make_tool):
    for i in range(5):
        make_tool(f"Tool {i}", author=user)
    first = anon.get("/api/tools/?page_size=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = anon.get("/api/tools/?page_size=2&page=3").json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert anon.get("/api/tools/?page=99").status_code == 404
    assert len(anon.get("/api/tools/?page_size=1000").json()["results"]) == 5


def test_tool_detail_shape(anon, catalog):
    data = anon.get(f"/api/tools/{catalog['public'].slug}/").json()
    assert data["author"] == "alice" and data["category"] == "writing"
    assert data["tags"] == ["text"] and data["current_version"] == 1
    assert data["status"] == "published" and data["average_rating"] is None


def test_categories_count_only_listed_tools(anon, catalog):
    data = anon.get("/api/categories/").json()
    assert data["results"] == [
        {"slug": "writing", "name": "Writing", "description": "", "tool_count": 1}
    ]
    assert anon.get("/api/categories/writing/").status_code == 200
    assert anon.get("/api/categories/nope/").status_code == 404


def test_tags(anon, catalog):
    assert {t["slug"] for t in anon.get("/api/tags/").json()["results"]} == {"text", "summary"}
    assert anon.get("/api/tags/text/").json() == {"slug": "text", "name": "text"}


def test_resources_filter_by_kind_and_hide_unapproved(anon):
    Resource.objects.create(title="SmolLM2", slug="smollm2", url="https://x.test/m", kind="model")
    Resource.objects.create(title="Squad", slug="squad", url="https://x.test/d", kind="dataset")
    Resource.objects.create(
        title="Spam", slug="spam", url="https://x.test/s", kind="model", approved=False
    )
    assert slugs(anon.get("/api/resources/")) == ["smollm2", "squad"]
    assert slugs(anon.get("/api/resources/?kind=model")) == ["smollm2"]
    assert slugs(anon.get("/api/resources/?q=squad")) == ["squad"]
    assert anon.get("/api/resources/?kind=alien").status_code == 400
    assert anon.get("/api/resources/spam/").status_code == 404
    assert anon.get("/api/resources/squad/").json()["kind"] == "dataset"
