"""The builder's sampling settings: the repetition penalty it offers, and the settings it
does not show (set over the API) kept when an author saves from the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.tools.builder_form import builder_post
from tools import services
from tools.models import Tool

pytestmark = pytest.mark.django_db


def _head(user):
    return services.tool_head_version(Tool.objects.get(author=user))


def test_the_repetition_penalty_is_saved_shown_and_bounded(client, user):
    client.force_login(user)
    assert (
        client.post(reverse("builder_new"), builder_post(frequency_penalty="0.7")).status_code
        == 302
    )
    head = _head(user)
    assert head.sampling_defaults == {
        "temperature": 0.5,
        "max_new_tokens": 64,
        "frequency_penalty": 0.7,
    }
    page = client.get(reverse("builder_edit", args=[head.tool.slug])).content.decode()
    assert 'name="frequency_penalty"' in page and 'value="0.7"' in page
    assert "Repetition penalty" in page

    bad = client.post(
        reverse("builder_edit", args=[head.tool.slug]), builder_post(frequency_penalty="3")
    )
    assert bad.status_code == 400 and "less than or equal to 2" in bad.content.decode()
    assert _head(user).sampling_defaults["frequency_penalty"] == 0.7  # nothing saved


def test_settings_the_page_does_not_show_survive_a_save(client, user):
    client.force_login(user)
    client.post(reverse("builder_new"), builder_post())
    head = _head(user)
    head.sampling_defaults = {**head.sampling_defaults, "top_p": 0.8, "presence_penalty": 0.2}
    head.save()
    saved = client.post(
        reverse("builder_edit", args=[head.tool.slug]),
        builder_post(temperature="0.9", frequency_penalty=""),
    )
    assert saved.status_code == 302
    assert _head(user).sampling_defaults == {
        "temperature": 0.9,
        "max_new_tokens": 64,
        "top_p": 0.8,
        "presence_penalty": 0.2,
    }
