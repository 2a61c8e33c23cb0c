"""Tags are shown only when a visitor could find what uses them: a listed tool (published
and public) or an approved resource. A tag only on drafts, private, unlisted or removed
tools (or on unapproved resources) is not listed by the API, not in the tag cloud, and its
page is a 404."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from store import selectors
from tests.factories import ResourceFactory, TagFactory, ToolFactory
from tools.models import Tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(user):
    ToolFactory(author=user, name="Shown", tags=["open"])
    ToolFactory(author=user, name="Drafty", status=Tool.Status.DRAFT, tags=["secret-draft"])
    ToolFactory(author=user, name="Hidden", visibility="private", tags=["secret-private"])
    ToolFactory(author=user, name="Linked", visibility="unlisted", tags=["secret-unlisted"])
    ToolFactory(author=user, name="Gone", status=Tool.Status.REMOVED, tags=["secret-removed"])
    on_paper = TagFactory(name="paper-tag", slug="paper-tag")
    ResourceFactory(title="A paper", tags=[on_paper])
    pending = TagFactory(name="pending-tag", slug="pending-tag")
    ResourceFactory(title="Pending", approved=False, tags=[pending])
    TagFactory(name="unused", slug="unused")


SECRET = ["secret-draft", "secret-private", "secret-unlisted", "secret-removed", "pending-tag"]


def test_api_lists_only_tags_of_listed_tools_and_approved_resources(tags):
    r = APIClient().get("/api/tags/")
    assert r.status_code == 200
    body = r.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert sorted(t["slug"] for t in rows) == ["open", "paper-tag"]
    for slug in [*SECRET, "unused"]:
        assert APIClient().get(f"/api/tags/{slug}/").status_code == 404
    assert APIClient().get("/api/tags/open/").status_code == 200


def test_tag_pages_404_for_tags_of_unlisted_tools(client, tags):
    assert client.get(reverse("tag", args=["open"])).status_code == 200
    assert client.get(reverse("tag", args=["paper-tag"])).status_code == 200
    for slug in [*SECRET, "unused"]:
        assert client.get(reverse("tag", args=[slug])).status_code == 404, slug
    # The tag cloud agrees: listed tools only.
    assert [(t.slug, t.tool_count) for t in selectors.tags_with_counts()] == [("open", 1)]
    html = client.get(reverse("categories")).content.decode()
    assert not [slug for slug in SECRET if slug in html]


def test_tag_disappears_when_its_only_tool_is_unpublished(client, user):
    tool = ToolFactory(author=user, name="Solo", tags=["solo"])
    assert client.get(reverse("tag", args=["solo"])).status_code == 200
    Tool.objects.filter(pk=tool.pk).update(visibility=Tool.Visibility.PRIVATE)
    assert client.get(reverse("tag", args=["solo"])).status_code == 404
    assert APIClient().get("/api/tags/solo/").status_code == 404
