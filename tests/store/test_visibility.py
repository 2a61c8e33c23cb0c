"""Draft, private and removed tools never appear to others: pages, lists, search, counts."""

import pytest
from django.urls import reverse

from store import selectors, services
from store.search import SearchParams, search
from tools.models import Tool

pytestmark = pytest.mark.django_db

HIDDEN = [
    ("Zebra Draft", {"status": Tool.Status.DRAFT}),
    ("Zebra Private", {"visibility": Tool.Visibility.PRIVATE}),
    ("Zebra Removed", {"status": Tool.Status.REMOVED}),
]


@pytest.fixture
def tools(make_tool, category, user):
    shown = make_tool("Zebra Public", author=user, category=category, tags=["zebra"])
    hidden = [
        make_tool(name, author=user, category=category, tags=["zebra"], **kw) for name, kw in HIDDEN
    ]
    unlisted = make_tool(
        "Zebra Unlisted", author=user, category=category, visibility=Tool.Visibility.UNLISTED
    )
    for tool in [shown, *hidden, unlisted]:
        services.tool_embed(tool=tool)
        Tool.objects.filter(pk=tool.pk).update(featured=True, run_count=5)
    return shown, hidden, unlisted


def _pages(client, user):
    urls = [
        "/",
        reverse("search") + "?q=zebra",
        reverse("search") + "?q=",
        reverse("search") + "?q=zebar",  # typo path
        reverse("search") + "?q=striped+horse+animal",  # semantic path
        reverse("search_suggest") + "?q=zebra",
        reverse("category", args=["writing"]),
        reverse("tag", args=["zebra"]),
        reverse("categories"),
        reverse("author", args=[user.username]),
        reverse("tool_detail", args=["zebra-public"]),  # similar tools
    ]
    return "\n".join(client.get(url).content.decode() for url in urls)


@pytest.mark.parametrize("who", ["anonymous", "other", "staff"])
def test_hidden_tools_invisible_to_others(client, tools, user, other_user, admin_user, who):
    shown, hidden, unlisted = tools
    if who == "other":
        client.force_login(other_user)
    elif who == "staff":
        client.force_login(admin_user)  # staff may open them by URL, but lists stay clean
    html = _pages(client, user)
    assert "Zebra Public" in html
    for tool in [*hidden, unlisted]:
        assert tool.name not in html, tool.name
    for tool in hidden:
        status = client.get(tool.get_absolute_url()).status_code
        assert status == (200 if who == "staff" else 404)
        if who == "other":
            for name in ("favorite_toggle", "review_submit", "report_tool"):
                response = client.post(reverse(name, args=[tool.slug]), {"stars": 5})
                assert response.status_code == 404, name
    assert client.get(unlisted.get_absolute_url()).status_code == 200  # by link only


def test_counts_only_listed(tools, category, user):
    counts = {c.slug: c.tool_count for c in selectors.categories_with_counts()}
    assert counts["writing"] == 1
    assert {t.slug: t.tool_count for t in selectors.tags_with_counts()}["zebra"] == 1
    assert selectors.author_stats(user)["tool_count"] == 1
    assert search(SearchParams(q="zebra")).total == 1
    assert search(SearchParams(q="")).total == 1


def test_owner_sees_own_draft_but_not_in_lists(client, tools, user):
    shown, hidden, unlisted = tools
    client.force_login(user)
    draft, private, removed = hidden
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert client.get(private.get_absolute_url()).status_code == 200
    assert client.get(removed.get_absolute_url()).status_code == 404
    html = _pages(client, user)
    assert "Zebra Draft" not in html and "Zebra Private" not in html
