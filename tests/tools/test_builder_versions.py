"""The builder's services: draft versions, publishing, protected fields, unpublish and
delete, remix and rollback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import RunFactory
from tests.tools.builder_form import TWO_FIELDS
from tools import selectors as tool_selectors
from tools import services as tool_services
from tools.models import Tool, ToolVersion
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db


def test_draft_edits_stay_one_version_until_published(user):
    tool = tool_services.tool_create(author=user, name="T")
    v = tool_services.tool_draft_save(
        tool=tool, prompt_template="A {{text}}", input_schema=TWO_FIELDS[:1]
    )
    v2 = tool_services.tool_draft_save(
        tool=tool, prompt_template="B {{text}}", input_schema=TWO_FIELDS[:1]
    )
    assert v.pk == v2.pk and v2.number == 1 and v2.prompt_template == "B {{text}}"
    tool_services.tool_publish_head(tool=tool, changelog="first")
    tool.refresh_from_db()
    assert tool.status == Tool.Status.PUBLISHED and tool.current_version.number == 1
    # An unchanged save of a published version makes nothing new.
    same = tool_services.tool_draft_save(
        tool=tool, prompt_template="B {{text}}", input_schema=TWO_FIELDS[:1]
    )
    assert same.pk == v.pk
    # A change starts version 2 (a draft); the published one is untouched.
    v3 = tool_services.tool_draft_save(
        tool=tool, prompt_template="C {{text}}", input_schema=TWO_FIELDS[:1]
    )
    assert v3.number == 2
    tool.refresh_from_db()
    assert tool.current_version.number == 1
    assert ToolVersion.objects.get(pk=v.pk).prompt_template == "B {{text}}"
    tool_services.tool_publish_head(tool=tool, changelog="better")
    tool.refresh_from_db()
    assert tool.current_version.number == 2 and tool.current_version.changelog == "better"


def test_tool_build_is_atomic(user):
    with pytest.raises(SchemaError):
        tool_services.tool_build(
            author=user,
            tool=None,
            tool_fields={"name": "Broken"},
            tags=["x"],
            version_fields={"prompt_template": "{{nope}}", "input_schema": []},
        )
    assert not Tool.objects.filter(name="Broken").exists()


def test_tool_update_refuses_protected_fields(published):
    for field in ("author", "status", "featured", "run_count", "slug"):
        with pytest.raises(TypeError):
            tool_services.tool_update(tool=published, **{field: None})


def test_api_tool_update_is_the_store_one(published):
    from api import services as api_services

    api_services.tool_update(tool=published, tagline="via api", tags=["beta"])
    published.refresh_from_db()
    assert published.tagline == "via api"
    assert list(published.tags.values_list("name", flat=True)) == ["beta"]


def test_unpublish_delete_and_runs_stay_readable(published, other_user, client):
    run = RunFactory(tool=published, user=other_user)
    tool_services.tool_unpublish(tool=published)
    published.refresh_from_db()
    assert published.status == Tool.Status.DRAFT
    assert not tool_selectors.tools_visible_to(other_user).filter(pk=published.pk).exists()
    tool_services.tool_delete(tool=published)
    published.refresh_from_db()
    assert published.status == Tool.Status.REMOVED
    assert not tool_selectors.tools_visible_to(published.author).filter(pk=published.pk).exists()
    client.force_login(other_user)
    resp = client.get(reverse("run_detail", args=[run.pk]))
    assert resp.status_code == 200 and "v1" in resp.content.decode()


def test_remix_copies_into_a_draft(published, other_user):
    Tool.objects.filter(pk=published.pk).update(prompt_public=True)
    published.refresh_from_db()
    copy = tool_services.tool_remix(tool=published, user=other_user)
    assert copy.author == other_user and copy.status == Tool.Status.DRAFT
    assert copy.forked_from == published and copy.current_version is None
    head = tool_services.tool_head_version(copy)
    assert head.number == 1 and head.prompt_template == published.current_version.prompt_template
    assert list(copy.tags.values_list("name", flat=True)) == ["alpha"]


def test_remix_refused_for_private_or_draft(draft, published, other_user):
    with pytest.raises(tool_services.ToolError):
        tool_services.tool_remix(tool=draft, user=other_user)
    Tool.objects.filter(pk=published.pk).update(visibility=Tool.Visibility.PRIVATE)
    published.refresh_from_db()
    with pytest.raises(tool_services.ToolError):
        tool_services.tool_remix(tool=published, user=other_user)


def test_rollback_makes_a_new_current_version(published):
    tool_services.tool_draft_save(
        tool=published, prompt_template="New {{text}}", input_schema=TWO_FIELDS[:1]
    )
    tool_services.tool_publish_head(tool=published)
    published.refresh_from_db()
    v1 = published.versions.get(number=1)
    new = tool_services.tool_rollback(tool=published, version=v1)
    published.refresh_from_db()
    assert new.number == 3 and published.current_version == new
    assert new.prompt_template == v1.prompt_template and "version 1" in new.changelog
