"""Who may do what in the builder: the authorization matrix over every owner action, remix,
the personal pages, deleted tools and CSRF."""

from __future__ import annotations

import pytest
from django.urls import reverse

from store.models import Resource
from tests.tools.builder_form import builder_post
from tools import services as tool_services
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


OWNER_ACTIONS = [
    ("builder_edit", "get"),
    ("builder_edit", "post"),
    ("builder_test", "post"),
    ("tool_publish", "get"),
    ("tool_publish", "post"),
    ("tool_unpublish", "post"),
    ("tool_delete", "get"),
    ("tool_delete", "post"),
    ("tool_versions", "get"),
    ("tool_rollback", "post"),
]


def _who(client, who, user, other_user, admin_user):
    if who == "author":
        client.force_login(user)
    elif who == "other":
        client.force_login(other_user)
    elif who == "staff":
        client.force_login(admin_user)


def _payload(name, tool):
    if name == "builder_edit":
        return builder_post(
            name=tool.name, prompt_template="Echo {{text}}", **{"fields-TOTAL_FORMS": "1"}
        )
    if name == "tool_publish":
        return {"visibility": "public"}
    if name == "tool_rollback":
        return {"version": "1"}
    if name == "builder_test":
        return {"in-text": "hello"}
    return {}


@pytest.mark.parametrize(("name", "method"), OWNER_ACTIONS)
@pytest.mark.parametrize("who", ["author", "other", "anonymous", "staff"])
@pytest.mark.parametrize("state", ["draft", "published"])
def test_owner_actions_matrix(
    client, user, other_user, admin_user, draft, published, name, method, who, state, monkeypatch
):
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: False)  # a test run never reaches the queue
    tool = draft if state == "draft" else published
    before = Tool.objects.filter(pk=tool.pk).values().get()
    versions = tool.versions.count()
    _who(client, who, user, other_user, admin_user)
    url = reverse(name, args=[tool.slug])
    resp = getattr(client, method)(url, _payload(name, tool) if method == "post" else None)
    if who == "anonymous":
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    elif who == "other":
        assert resp.status_code == 404
    else:
        assert resp.status_code in (200, 302, 503), resp.status_code
    if who in ("anonymous", "other"):
        after = Tool.objects.filter(pk=tool.pk).values().get()
        assert after == before and tool.versions.count() == versions
        assert not Run.objects.exists()


@pytest.mark.parametrize("who", ["author", "other", "anonymous", "staff"])
def test_remix_matrix(client, user, other_user, admin_user, published, draft, who):
    Tool.objects.filter(pk=published.pk).update(prompt_public=True)
    _who(client, who, user, other_user, admin_user)
    resp = client.post(reverse("tool_remix", args=[published.slug]))
    if who == "anonymous":
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
        assert not Tool.objects.filter(forked_from=published).exists()
    else:
        assert resp.status_code == 302
        copy = Tool.objects.get(forked_from=published)
        assert copy.status == Tool.Status.DRAFT
        assert resp["Location"] == reverse("builder_edit", args=[copy.slug])
    # A draft cannot be remixed by anyone but its author (404 hides it from others).
    resp = client.post(reverse("tool_remix", args=[draft.slug]))
    expected = {"anonymous": 302, "other": 404, "author": 302, "staff": 302}[who]
    assert resp.status_code == expected


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("builder_new", "get"),
        ("builder_new", "post"),
        ("builder_preview", "post"),
        ("dashboard", "get"),
        ("resource_submit", "get"),
        ("resource_submit", "post"),
    ],
)
@pytest.mark.parametrize("who", ["author", "other", "anonymous", "staff"])
def test_personal_pages_need_login(client, user, other_user, admin_user, name, method, who):
    _who(client, who, user, other_user, admin_user)
    resp = getattr(client, method)(reverse(name), {} if method == "post" else None)
    if who == "anonymous":
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    else:
        assert resp.status_code in (200, 400)
    assert not Tool.objects.exists() and not Resource.objects.exists()


def test_deleted_tool_is_gone_for_its_author_but_not_staff(client, published, admin_user):
    tool_services.tool_delete(tool=published)
    client.force_login(published.author)
    assert client.get(reverse("builder_edit", args=[published.slug])).status_code == 404
    assert client.get(reverse("tool_detail", args=[published.slug])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("builder_edit", args=[published.slug])).status_code == 200


def test_csrf_enforced_on_builder_posts(user, published):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    assert c.post(reverse("tool_unpublish", args=[published.slug])).status_code == 403
