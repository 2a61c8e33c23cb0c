"""Writes through the API: tools, versions, publish; read-only fields stay read-only."""

import pytest

from tools.models import Tool

pytestmark = pytest.mark.django_db

VERSION_BODY = {
    "prompt_template": "Summarise in {{n}} words: {{text}}",
    "system_prompt": "Be brief.",
    "input_schema": [
        {"name": "text", "type": "long_text"},
        {"name": "n", "type": "integer", "min": 1, "max": 100, "default": 20},
    ],
    "sampling_defaults": {"temperature": 0.2},
    "example_inputs": [{"text": "Hello", "n": 5}],
    "changelog": "first",
}


def test_create_version_publish_flow(alice, anon, user, category):
    created = alice.post(
        "/api/tools/",
        {"name": "Summer", "tagline": "Short", "category": "writing", "tags": ["Text", "sum"]},
    )
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    assert created.json()["status"] == "draft" and created.json()["author"] == "alice"
    assert anon.get(f"/api/tools/{slug}/").status_code == 404  # drafts are private
    # Publishing without a version is refused with a clear message.
    refused = alice.post(f"/api/tools/{slug}/publish/", {})
    assert refused.status_code == 400 and "version" in str(refused.json())
    version = alice.post(f"/api/tools/{slug}/versions/", VERSION_BODY)
    assert version.status_code == 201, version.content
    assert version.json()["number"] == 1
    assert alice.post(f"/api/tools/{slug}/publish/", {"version": 7}).status_code == 400
    published = alice.post(f"/api/tools/{slug}/publish/", {"version": 1})
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["current_version"] == 1
    listed = anon.get("/api/tools/?q=summer").json()["results"]
    assert [t["slug"] for t in listed] == [slug]
    assert sorted(listed[0]["tags"]) == ["sum", "text"]


def test_invalid_version_gives_field_errors(alice, catalog):
    slug = catalog["public"].slug
    body = {**VERSION_BODY, "prompt_template": "Say {{missing}}"}
    response = alice.post(f"/api/tools/{slug}/versions/", body)
    assert response.status_code == 400 and "prompt_template" in response.json()
    bad_schema = {**VERSION_BODY, "input_schema": [{"name": "Bad Name", "type": "nope"}]}
    assert alice.post(f"/api/tools/{slug}/versions/", bad_schema).status_code == 400
    bad_sampling = {**VERSION_BODY, "sampling_defaults": {"temperature": 9}}
    assert alice.post(f"/api/tools/{slug}/versions/", bad_sampling).status_code == 400
    nul = {**VERSION_BODY, "example_inputs": [{"text": "a\x00b"}]}
    assert alice.post(f"/api/tools/{slug}/versions/", nul).status_code == 400
    assert catalog["public"].versions.count() == 1


def test_update_own_tool(alice, catalog):
    slug = catalog["public"].slug
    response = alice.patch(f"/api/tools/{slug}/", {"tagline": "New", "tags": ["fresh"]})
    assert response.status_code == 200
    assert response.json()["tagline"] == "New" and response.json()["tags"] == ["fresh"]
    assert alice.get("/api/tools/?q=fresh").json()["count"] == 1  # reindexed


READ_ONLY = {
    "author": "bob",
    "status": "published",
    "featured": True,
    "run_count": 999,
    "review_count": 999,
    "average_rating": 5,
    "current_version": 42,
    "slug": "taken-over",
    "published_at": "2001-01-01T00:00:00Z",
    "created": "2001-01-01T00:00:00Z",
}


def test_mass_assignment_on_create_is_ignored(alice, user):
    response = alice.post("/api/tools/", {"name": "Sneaky", **READ_ONLY})
    assert response.status_code == 201
    tool = Tool.objects.get(name="Sneaky")
    assert tool.author == user and tool.status == "draft" and not tool.featured
    assert (tool.run_count, tool.review_count, tool.rating_sum) == (0, 0, 0)
    assert tool.slug == "sneaky" and tool.current_version is None and tool.published_at is None


def test_mass_assignment_on_update_is_ignored(alice, catalog, user):
    draft = catalog["draft"]
    response = alice.patch(f"/api/tools/{draft.slug}/", {"tagline": "ok", **READ_ONLY})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.tagline == "ok" and draft.author == user
    assert draft.status == "draft" and not draft.featured and draft.run_count == 0
    assert draft.slug != "taken-over" and draft.current_version is None


def test_mass_assignment_on_versions_and_reviews(alice, bob, catalog, user):
    slug = catalog["public"].slug
    v = alice.post(f"/api/tools/{slug}/versions/", {**VERSION_BODY, "number": 99, "tool": 1})
    assert v.status_code == 201 and v.json()["number"] == 2
    r = bob.post(
        "/api/reviews/",
        {"tool": slug, "stars": 4, "helpful_count": 50, "user": "alice", "id": 12345},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["user"] == "bob" and body["helpful_count"] == 0 and body["id"] != 12345
    moved = bob.patch(f"/api/reviews/{body['id']}/", {"tool": catalog["bobs"].slug})
    assert moved.status_code == 200 and moved.json()["tool"] == slug


def test_invalid_tool_bodies(alice):
    assert alice.post("/api/tools/", {}).status_code == 400
    assert alice.post("/api/tools/", {"name": "x" * 81}).status_code == 400
    assert alice.post("/api/tools/", {"name": "A", "category": "nope"}).status_code == 400
    assert alice.post("/api/tools/", {"name": "A", "visibility": "secret"}).status_code == 400
    assert alice.post("/api/tools/", {"name": "A", "tags": ["x"] * 11}).status_code == 400
    assert alice.post("/api/tools/", "[1]", content_type="application/json").status_code == 400
    assert alice.post("/api/tools/", "{", content_type="application/json").status_code == 400
    assert Tool.objects.count() == 0


def test_session_auth_needs_csrf(user, catalog):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/me/").status_code == 200
    response = client.patch(f"/api/tools/{catalog['public'].slug}/", {"tagline": "csrf"})
    assert response.status_code == 403


def test_lone_surrogates_are_refused_not_a_server_error(alice):
    response = alice.post("/api/tools/", '{"name": "bad \\ud800"}', content_type="application/json")
    assert response.status_code == 400
    assert Tool.objects.count() == 0
