"""The builder's Model select: the registered models, a new version when a published tool
changes model, unknown ids as form errors, and a version whose model left the registry."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.tools.builder_form import builder_post
from tests.tools.model_files import use_two_models
from tools import services as tool_services
from tools.models import Run, Tool, ToolVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_models(settings, tmp_path):
    # Autouse, so tools made by the other fixtures pin a model of this registry.
    return use_two_models(settings, tmp_path)


def _one_field(**overrides) -> dict:
    return builder_post(
        prompt_template="Echo {{text}}",
        **{"fields-TOTAL_FORMS": "1", "fields-0-ORDER": "1"},
        **overrides,
    )


def _selected(html: str) -> list[str]:
    select = re.search(r'<select name="model".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_new_tool_offers_every_model_and_defaults_to_the_default(client, user):
    client.force_login(user)
    html = client.get(reverse("builder_new")).content.decode()
    assert '<option value="smol"' in html and '<option value="big-remote"' in html
    assert ">SmolLM2 135M</option>" in html and ">Big remote</option>" in html
    assert _selected(html) == ["smol"]
    # The chosen model's description and context length under the select; every option
    # carries its own for the script.
    assert (
        '<small class="help" id="id_model_helptext" data-model-help>'
        "Small and fast; English. Up to 2,048 tokens of context.</small>"
    ) in html
    assert 'aria-describedby="id_model_helptext"' in html
    assert 'data-help="A large model on a GPU server. Up to 32,768 tokens of context."' in html


def test_a_new_tool_is_saved_on_the_chosen_model(client, user):
    client.force_login(user)
    resp = client.post(reverse("builder_new"), _one_field(model="big-remote"))
    assert resp.status_code == 302
    tool = Tool.objects.get(author=user)
    assert tool_services.tool_head_version(tool).model == "big-remote"
    html = client.get(reverse("builder_edit", args=[tool.slug])).content.decode()
    assert _selected(html) == ["big-remote"]
    assert "data-model-help>A large model on a GPU server. Up to 32,768" in html
    assert "version 1, on Big remote" in html  # the Test panel runs the head, on its model


def test_changing_the_model_of_a_published_tool_makes_a_new_version(client, published):
    client.force_login(published.author)
    url = reverse("builder_edit", args=[published.slug])
    html = client.get(url).content.decode()
    assert _selected(html) == ["smol"]
    assert "saving with another model starts version 2" in html
    resp = client.post(url, _one_field(name="Public Tool", model="big-remote"), follow=True)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "as version 2 on Big remote; version 1 stays as it was" in html
    published.refresh_from_db()
    assert published.current_version.number == 1 and published.current_version.model == "smol"
    head = tool_services.tool_head_version(published)
    assert head.number == 2 and head.model == "big-remote"
    # Saving the draft again with the same model changes it in place.
    client.post(url, _one_field(name="Public Tool", model="big-remote", changelog="x"))
    assert ToolVersion.objects.filter(tool=published).count() == 2


def test_an_unknown_model_id_is_a_form_error_and_saves_nothing(client, published):
    client.force_login(published.author)
    url = reverse("builder_edit", args=[published.slug])
    resp = client.post(url, _one_field(name="Renamed", model="no-such-model"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "Nothing was saved." in html
    assert "The model no-such-model is not available on this store." in html
    published.refresh_from_db()
    assert published.name == "Public Tool" and published.versions.count() == 1


def test_the_test_panel_runs_on_the_head_versions_model(client, draft, monkeypatch):
    from tools import services as run_services
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: True)
    monkeypatch.setattr(run_services.runs, "run_enqueue", lambda **kw: True)
    client.force_login(draft.author)
    url = reverse("builder_edit", args=[draft.slug])
    assert client.post(url, _one_field(name="Draft Tool", model="big-remote")).status_code == 302
    resp = client.post(reverse("builder_test", args=[draft.slug]), {"in-text": "hi"})
    assert resp.status_code == 302
    assert Run.objects.get().model_key == "big-remote"


@pytest.fixture
def orphaned(published):
    """Alice's published tool whose model the operator removed from the registry."""
    ToolVersion.objects.filter(tool=published).update(model="gone-model")
    published.refresh_from_db()
    return published


def test_a_removed_model_asks_for_another_instead_of_failing(client, orphaned):
    client.force_login(orphaned.author)
    url = reverse("builder_edit", args=[orphaned.slug])
    resp = client.get(url)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "This tool&#x27;s model (gone-model) is no longer available on this store" in html
    assert _selected(html) in ([], [""])  # "Choose a model", not a silent switch
    assert '<option value="" selected>Choose a model</option>' in html
    assert 'aria-invalid="true"' in html
    assert 'id="test-form"' not in html and 'id="test-model-unavailable"' in html
    # Saving without choosing keeps the removed model, which is refused on the form...
    resp = client.post(url, _one_field(name="Public Tool", model=""))
    assert resp.status_code == 400
    assert "The model gone-model is not available on this store." in resp.content.decode()
    assert orphaned.versions.count() == 1
    # ...choosing one saves a new version on it (the published one is frozen).
    assert client.post(url, _one_field(name="Public Tool", model="smol")).status_code == 302
    head = tool_services.tool_head_version(orphaned)
    assert head.number == 2 and head.model == "smol"
    html = client.get(url).content.decode()
    assert _selected(html) == ["smol"] and "is no longer available" not in html


def test_the_no_js_field_editing_keeps_the_chosen_model(client, published):
    client.force_login(published.author)
    url = reverse("builder_edit", args=[published.slug])
    resp = client.post(url, _one_field(model="big-remote", add_field="1"))
    assert resp.status_code == 200 and _selected(resp.content.decode()) == ["big-remote"]


def test_versions_page_names_each_versions_model(client, orphaned):
    tool_services.tool_draft_save(
        tool=orphaned,
        prompt_template="V2 {{text}}",
        input_schema=[{"name": "text", "type": "long_text"}],
        model="big-remote",
    )
    client.force_login(orphaned.author)
    html = client.get(reverse("tool_versions", args=[orphaned.slug])).content.decode()
    v2 = re.search(r'<tr id="version-2">.*?</tr>', html, re.S).group(0)
    v1 = re.search(r'<tr id="version-1">.*?</tr>', html, re.S).group(0)
    assert 'title="Model id: big-remote">Big remote<' in v2
    assert "gone-model (not available)" in v1


def test_no_js_field_editing_of_an_orphan_keeps_the_model_chosen_so_far(client, orphaned):
    client.force_login(orphaned.author)
    url = reverse("builder_edit", args=[orphaned.slug])
    resp = client.post(url, _one_field(model="big-remote", add_field="1"))
    assert _selected(resp.content.decode()) == ["big-remote"]
