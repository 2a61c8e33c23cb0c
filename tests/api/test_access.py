"""Authorization matrix: owner / other user / anonymous, for every API endpoint."""

import pytest
from django.db.models import Sum

from store.models import Review
from tools.models import Tool, ToolVersion

pytestmark = pytest.mark.django_db

VERSION_BODY = {
    "prompt_template": "Shorten: {{text}}",
    "input_schema": [{"name": "text", "type": "long_text"}],
}


@pytest.fixture
def clients(alice, bob, anon):
    return {"owner": alice, "other": bob, "anon": anon}


# Which of Alice's tools each caller may open (detail, versions, reviews of it).
READABLE = {
    "public": {"owner", "other", "anon"},
    "unlisted": {"owner", "other", "anon"},
    "private": {"owner"},
    "draft": {"owner"},
    "removed": set(),
}


@pytest.mark.parametrize("state", list(READABLE))
@pytest.mark.parametrize("who", ["owner", "other", "anon"])
def test_read_matrix(clients, catalog, state, who):
    client, slug = clients[who], catalog[state].slug
    expected = 200 if who in READABLE[state] else 404
    assert client.get(f"/api/tools/{slug}/").status_code == expected
    assert client.get(f"/api/tools/{slug}/versions/").status_code == expected
    assert client.get(f"/api/tools/{slug}/versions/1/").status_code == expected
    reviews = client.get(f"/api/reviews/?tool={slug}")
    assert reviews.status_code == 200
    if expected == 404:
        assert reviews.json()["count"] == 0


@pytest.mark.parametrize("state", list(READABLE))
@pytest.mark.parametrize("who", ["owner", "other", "anon"])
def test_write_matrix(clients, catalog, state, who):
    client, tool = clients[who], catalog[state]
    url = f"/api/tools/{tool.slug}/"
    if who == "anon":
        expected = 401
    elif who == "owner" and state != "removed":
        expected = None  # allowed
    else:
        expected = 403 if who in READABLE[state] else 404
    before = (tool.name, tool.versions.count(), tool.status)
    patch = client.patch(url, {"name": "Hijacked"})
    put = client.put(url, {"name": "Hijacked"})
    version = client.post(f"{url}versions/", VERSION_BODY)
    publish = client.post(f"{url}publish/", {})
    if expected is None:
        assert (patch.status_code, put.status_code) == (200, 200)
        assert version.status_code == 201 and publish.status_code == 200
        return
    for response in (patch, put, version, publish):
        assert response.status_code == expected, response.content
    tool.refresh_from_db()
    assert (tool.name, tool.versions.count(), tool.status) == before


def test_prompts_visible_to_author_only(clients, catalog):
    slug = catalog["public"].slug
    mine = clients["owner"].get(f"/api/tools/{slug}/versions/1/").json()
    assert mine["prompt_template"] == "Rewrite: {{text}}"
    assert mine["system_prompt"] == "SECRET SYSTEM PROMPT"
    for who in ("other", "anon"):
        theirs = clients[who].get(f"/api/tools/{slug}/versions/").json()["results"][0]
        assert theirs["prompt_template"] is None and theirs["system_prompt"] is None
        assert theirs["input_schema"][0]["name"] == "text"


def test_anonymous_cannot_create(anon):
    assert anon.post("/api/tools/", {"name": "X"}).status_code == 401
    assert Tool.objects.count() == 0


def test_review_matrix(clients, catalog, other_user, user):
    bobs, public = catalog["bobs"], catalog["public"]
    # Anonymous cannot review; nobody reviews their own tool; tools one cannot see: 400.
    assert (
        clients["anon"].post("/api/reviews/", {"tool": public.slug, "stars": 5}).status_code == 401
    )
    assert (
        clients["owner"].post("/api/reviews/", {"tool": public.slug, "stars": 5}).status_code == 400
    )
    for state in ("private", "draft", "removed"):
        r = clients["other"].post("/api/reviews/", {"tool": catalog[state].slug, "stars": 1})
        assert r.status_code == 400 and "tool" in r.json()
    created = clients["other"].post(
        "/api/reviews/", {"tool": public.slug, "stars": 4, "text": "ok"}
    )
    assert created.status_code == 201
    review_id = created.json()["id"]
    url = f"/api/reviews/{review_id}/"
    # Only its author edits or deletes it.
    assert clients["owner"].patch(url, {"stars": 1}).status_code == 403
    assert clients["owner"].delete(url).status_code == 403
    assert clients["anon"].patch(url, {"stars": 1}).status_code == 401
    assert clients["anon"].delete(url).status_code == 401
    assert Review.objects.get(pk=review_id).stars == 4
    # Everyone may read it.
    for client in clients.values():
        assert client.get(url).json()["stars"] == 4
    edited = clients["other"].patch(url, {"stars": 2})
    assert edited.status_code == 200 and edited.json()["text"] == "ok"
    public.refresh_from_db()
    assert (public.review_count, public.rating_sum) == (1, 2)
    assert clients["other"].delete(url).status_code == 204
    public.refresh_from_db()
    assert (public.review_count, public.rating_sum) == (0, 0)
    del bobs


def test_review_post_twice_edits(clients, catalog):
    public = catalog["public"]
    first = clients["other"].post("/api/reviews/", {"tool": public.slug, "stars": 5})
    second = clients["other"].post("/api/reviews/", {"tool": public.slug, "stars": 3})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    public.refresh_from_db()
    assert (public.review_count, public.rating_sum) == (1, 3)


def test_reviews_of_hidden_tools_are_hidden(clients, catalog, other_user, user):
    private = catalog["private"]
    hidden = Review.objects.create(user=other_user, tool=private, stars=5)
    # (a review written before the tool went private)
    for who in ("other", "anon"):
        assert clients[who].get(f"/api/reviews/{hidden.pk}/").status_code == 404
        ids = [r["id"] for r in clients[who].get("/api/reviews/").json()["results"]]
        assert hidden.pk not in ids
    assert clients["other"].patch(f"/api/reviews/{hidden.pk}/", {"stars": 1}).status_code == 404
    assert clients["owner"].get(f"/api/reviews/{hidden.pk}/").status_code == 200


def test_me_matrix(clients):
    assert clients["owner"].get("/api/me/").json()["username"] == "alice"
    assert clients["other"].get("/api/me/").json()["username"] == "bob"
    assert clients["anon"].get("/api/me/").status_code == 401


def test_versions_never_counted_for_others(clients, catalog):
    total = ToolVersion.objects.aggregate(n=Sum("number"))["n"]
    assert total == 6  # sanity: one version per catalog tool


def test_favorites_matrix(clients, catalog):
    public, private = catalog["public"], catalog["private"]
    assert clients["anon"].get("/api/favorites/").status_code == 401
    assert clients["anon"].post("/api/favorites/", {"tool": public.slug}).status_code == 401
    # Bob cannot star what he cannot open.
    assert clients["other"].post("/api/favorites/", {"tool": private.slug}).status_code == 400
    for _ in range(2):  # starring twice keeps one star
        assert clients["other"].post("/api/favorites/", {"tool": public.slug}).status_code == 201
    listed = clients["other"].get("/api/favorites/").json()
    assert listed["count"] == 1 and listed["results"][0]["tool_detail"]["slug"] == public.slug
    # Alice's list is her own.
    assert clients["owner"].get("/api/favorites/").json()["count"] == 0
    assert clients["owner"].delete(f"/api/favorites/{public.slug}/").status_code == 404
    assert clients["other"].delete(f"/api/favorites/{public.slug}/").status_code == 204
    assert clients["other"].get("/api/favorites/").json()["count"] == 0
