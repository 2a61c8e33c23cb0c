"""The tool page names the model its published version runs on, and a tool whose model left
the registry says so instead of offering a Run button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.tools.model_files import use_two_models
from tools import services as tool_services
from tools.models import Run, ToolVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_models(settings, tmp_path):
    return use_two_models(settings, tmp_path)


def test_the_tool_page_shows_the_published_versions_model(client, published, other_user):
    # A draft on another model does not change what the page says: visitors run version 1.
    tool_services.tool_draft_save(
        tool=published,
        prompt_template="V2 {{text}}",
        input_schema=[{"name": "text", "type": "long_text"}],
        model="big-remote",
    )
    client.force_login(other_user)
    html = client.get(published.get_absolute_url()).content.decode()
    assert 'Runs on <span title="Model id: smol">SmolLM2 135M</span>' in html
    assert "Model: SmolLM2 135M (<code>smol</code>). Small and fast; English." in html
    assert 'id="run-form"' in html and 'id="model-unavailable"' not in html


@pytest.fixture
def orphaned(published):
    ToolVersion.objects.filter(tool=published).update(model="gone-model")
    published.refresh_from_db()
    return published


def test_a_removed_model_replaces_the_run_form_with_a_clear_message(client, orphaned, other_user):
    client.force_login(other_user)
    resp = client.get(orphaned.get_absolute_url())
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "This tool's model (gone-model) is not available on this store right now" in html
    assert "Its author can choose another model." in html
    assert 'id="run-form"' not in html and ">Run</button>" not in html
    assert "Model gone-model (not available)" in html
    # Its author is pointed at the builder.
    client.force_login(orphaned.author)
    html = client.get(orphaned.get_absolute_url()).content.decode()
    assert f'href="{reverse("builder_edit", args=[orphaned.slug])}">Choose another model' in html


def test_posting_the_run_form_anyway_is_refused_on_the_form(client, orphaned, other_user):
    client.force_login(other_user)
    resp = client.post(reverse("run_new", args=[orphaned.slug]), {"in-text": "hello"})
    assert resp.status_code == 409
    html = resp.content.decode()
    assert 'class="form-error run-alert" role="alert"' in html
    assert "This tool runs on the model gone-model, which this store no longer offers." in html
    assert not Run.objects.exists()
