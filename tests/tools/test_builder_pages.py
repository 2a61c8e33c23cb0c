"""The builder's pages for an existing tool: editing and publishing a new version, the tool
page's buttons and remix links, the Test panel, the versions page and rollback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.tools.builder_form import TWO_FIELDS, builder_post
from tools import services as tool_services
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


def test_editing_a_published_tool_makes_version_two(client, published):
    client.force_login(published.author)
    url = reverse("builder_edit", args=[published.slug])
    page = client.get(url)
    assert page.status_code == 200 and "Echo {{text}}" in page.content.decode()
    data = builder_post(
        name="Public Tool",
        prompt_template="Echo twice: {{text}}",
        **{"fields-TOTAL_FORMS": "1", "fields-0-ORDER": "1", "changelog": "twice"},
    )
    assert client.post(url, data).status_code == 302
    published.refresh_from_db()
    assert published.current_version.number == 1  # not yet published
    page = client.get(reverse("tool_publish", args=[published.slug])).content.decode()
    assert 'type="radio" name="visibility" value="public"' in page
    assert "This publishes version 2; version 1 stays" in page
    resp = client.post(
        reverse("tool_publish", args=[published.slug]),
        {"visibility": "public", "changelog": "Echo twice"},
    )
    assert resp.status_code == 302
    published.refresh_from_db()
    assert published.current_version.number == 2
    assert published.current_version.changelog == "Echo twice"


def test_tool_page_buttons_and_remix_links(client, published, other_user):
    Tool.objects.filter(pk=published.pk).update(prompt_public=True)
    published.refresh_from_db()
    copy = tool_services.tool_remix(tool=published, user=other_user)
    tool_services.tool_publish_head(tool=copy)
    client.force_login(published.author)
    html = client.get(published.get_absolute_url()).content.decode()
    assert reverse("builder_edit", args=[published.slug]) in html
    assert reverse("tool_versions", args=[published.slug]) in html
    assert 'id="remixes"' in html and copy.name in html
    client.force_login(other_user)
    html = client.get(published.get_absolute_url()).content.decode()
    assert reverse("builder_edit", args=[published.slug]) not in html
    assert reverse("tool_remix", args=[published.slug]) in html
    html = client.get(copy.get_absolute_url()).content.decode()
    assert 'id="remixed-from"' in html and published.get_absolute_url() in html


def test_builder_test_panel_runs_the_draft_version(client, draft, monkeypatch):
    from tools import services as run_services
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: True)
    monkeypatch.setattr(run_services.runs, "run_enqueue", lambda **kw: True)
    client.force_login(draft.author)
    resp = client.post(reverse("builder_test", args=[draft.slug]), {"in-text": "hello"})
    assert resp.status_code == 302
    run = Run.objects.get()
    assert run.version == tool_services.tool_head_version(draft) and run.prompt == "Echo hello"
    html = client.get(resp["Location"]).content.decode()
    assert 'id="run-output"' in html and "/static/js/run.js" in html
    assert reverse("run_events", args=[run.pk]) in html


def test_builder_test_panel_field_errors(client, draft, monkeypatch):
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: True)
    client.force_login(draft.author)
    resp = client.post(reverse("builder_test", args=[draft.slug]), {"in-text": ""})
    assert resp.status_code == 400 and not Run.objects.exists()


def test_versions_page_and_rollback(client, published):
    tool_services.tool_draft_save(
        tool=published, prompt_template="V2 {{text}}", input_schema=TWO_FIELDS[:1]
    )
    tool_services.tool_publish_head(tool=published, changelog="second")
    client.force_login(published.author)
    html = client.get(reverse("tool_versions", args=[published.slug])).content.decode()
    assert "v2" in html and "second" in html and "Roll back to v1" in html
    resp = client.post(reverse("tool_rollback", args=[published.slug]), {"version": "1"})
    assert resp.status_code == 302
    published.refresh_from_db()
    assert published.current_version.number == 3
    assert published.current_version.prompt_template == "Echo {{text}}"
    assert (
        client.post(reverse("tool_rollback", args=[published.slug]), {"version": "abc"}).status_code
        == 302
    )
