"""Prompt secrecy (`Tool.prompt_public`, "Prompt visible and remixable"): off by default; when
off only the author and staff read the prompt template and system prompt, on every path, and
nobody else may remix the tool (a remix would copy the prompt). When on, everyone who may
open the tool reads the prompt and may remix it."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import token_create
from tests.factories import ToolFactory
from tests.tools.builder_form import builder_post
from tools import services as tool_services
from tools.models import Tool

pytestmark = pytest.mark.django_db

SECRET = "SECRET SYSTEM PROMPT"  # the factory's system prompt
TEMPLATE = "Rewrite: {{text}}"  # and its prompt template


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, secret = token_create(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def tool(user):
    return ToolFactory(author=user, name="Secret Sauce")


def _version(client, tool) -> dict:
    r = client.get(f"/api/tools/{tool.slug}/versions/1/")
    assert r.status_code == 200, r.content
    listed = client.get(f"/api/tools/{tool.slug}/versions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["system_prompt"] == r.json()["system_prompt"]
    return r.json()


def test_new_tools_keep_their_prompt_private(tool):
    assert tool.prompt_public is False
    assert Tool._meta.get_field("prompt_public").default is False


def test_api_shows_prompt_to_author_and_staff_only_when_private(tool, user, other_user, admin_user):
    for client in (api(), api(other_user)):
        data = _version(client, tool)
        assert data["prompt_template"] is None and data["system_prompt"] is None
    for who in (user, admin_user):
        data = _version(api(who), tool)
        assert data["prompt_template"] == TEMPLATE and data["system_prompt"] == SECRET


def test_api_shows_prompt_to_everyone_when_public(tool, other_user):
    Tool.objects.filter(pk=tool.pk).update(prompt_public=True)
    for client in (api(), api(other_user)):
        data = _version(client, tool)
        assert data["prompt_template"] == TEMPLATE and data["system_prompt"] == SECRET


def test_author_sets_the_flag_through_the_api(tool, user, other_user):
    r = api(user).patch(f"/api/tools/{tool.slug}/", {"prompt_public": True}, format="json")
    assert r.status_code == 200 and r.json()["prompt_public"] is True
    tool.refresh_from_db()
    assert tool.prompt_public is True
    r = api(other_user).patch(f"/api/tools/{tool.slug}/", {"prompt_public": False}, format="json")
    assert r.status_code == 403
    r = api(user).patch(f"/api/tools/{tool.slug}/", {"prompt_public": "maybe"}, format="json")
    assert r.status_code == 400 and "prompt_public" in r.json()
    r = api(user).post("/api/tools/", {"name": "Open Book", "prompt_public": True}, format="json")
    assert r.status_code == 201 and Tool.objects.get(name="Open Book").prompt_public is True


def test_remix_of_a_private_prompt_is_refused(client, tool, other_user, admin_user):
    for who in (other_user, admin_user):
        with pytest.raises(tool_services.ToolError, match="prompt private"):
            tool_services.tool_remix(tool=tool, user=who)
    client.force_login(other_user)
    page = client.get(tool.get_absolute_url()).content.decode()
    assert reverse("tool_remix", args=[tool.slug]) not in page
    assert SECRET not in page and "Rewrite:" not in page
    resp = client.post(reverse("tool_remix", args=[tool.slug]), follow=True)
    assert resp.status_code == 200
    assert "keeps this tool's prompt private" in resp.content.decode().replace("&#x27;", "'")
    assert not Tool.objects.filter(forked_from=tool).exists()


def test_author_remixes_own_and_anyone_remixes_a_public_prompt(tool, user, other_user):
    own = tool_services.tool_remix(tool=tool, user=user)
    assert own.author == user
    Tool.objects.filter(pk=tool.pk).update(prompt_public=True)
    tool.refresh_from_db()
    copy = tool_services.tool_remix(tool=tool, user=other_user)
    head = tool_services.tool_head_version(copy)
    assert head.system_prompt == SECRET and head.prompt_template == TEMPLATE
    assert copy.prompt_public is False  # the remixer decides again for their copy


def test_builder_checkbox_sets_and_shows_the_flag(client, user):
    client.force_login(user)
    resp = client.post(reverse("builder_new"), builder_post(prompt_public="on"))
    assert resp.status_code == 302
    made = Tool.objects.get(name="Summarizer")
    assert made.prompt_public is True
    page = client.get(reverse("builder_edit", args=[made.slug])).content.decode()
    box = re.search(r'<input[^>]*name="prompt_public"[^>]*>', page)
    assert box is not None and "checked" in box.group(0)
    resp = client.post(reverse("builder_edit", args=[made.slug]), builder_post())
    assert resp.status_code == 302
    made.refresh_from_db()
    assert made.prompt_public is False


def test_builder_of_another_authors_tool_is_closed(client, tool, other_user):
    client.force_login(other_user)
    assert client.get(reverse("builder_edit", args=[tool.slug])).status_code == 404


def test_openai_model_listing_carries_no_prompt(tool, other_user):
    client = api(other_user)
    r = client.get("/v1/models")
    assert r.status_code == 200 and f"tool:{tool.slug}" in r.content.decode()
    r2 = client.get(f"/v1/models/tool:{tool.slug}")
    for body in (r.content.decode(), r2.content.decode()):
        assert SECRET not in body and "Rewrite:" not in body
