"""The builder form through its pages: validation messages, tricky templates, field
reordering, previews, and mass assignment (posted fields the form must ignore)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.tools.builder_form import builder_post
from tools import services as tool_services
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


def _errors(resp) -> str:
    assert resp.status_code == 400, resp.status_code
    return resp.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt_template": "Hi {{text}} {{tone}} {{mood}}"}, "undeclared fields: {{mood}}"),
        (
            {"prompt_template": "Only {{text}}"},
            "Required fields are not used in the template: tone",
        ),
        ({"fields-0-name": "Bad Name", "prompt_template": "{{tone}}"}, "name must start with"),
        ({"fields-0-name": "1abc", "prompt_template": "{{tone}}"}, "name must start with"),
        ({"fields-1-name": "text", "prompt_template": "{{text}}"}, "name is used twice"),
        ({"fields-1-choices": "  \n "}, "choices must be a non-empty list"),
        (
            {
                "fields-1-type": "integer",
                "fields-1-min": "1",
                "fields-1-max": "5",
                "fields-1-default": "9",
                "fields-1-choices": "",
            },
            "default does not fit the field: must be at most 5",
        ),
        (
            {"fields-1-type": "integer", "fields-1-default": "abc", "fields-1-choices": ""},
            "default does not fit the field",
        ),
        ({"fields-1-default": "loud"}, "default does not fit the field: must be one of"),
        ({"fields-0-max_length": "100000"}, "max_length must be a whole number from 1 to 8000"),
        ({"max_new_tokens": "999999"}, "less than or equal to"),
        ({"temperature": "5"}, "less than or equal to 2"),
        ({"prompt_template": "x" * 9000}, "at most 8000 characters"),
        ({"name": "n" * 200}, "at most 80 characters"),
        ({"example_inputs": '[{"text": "hi", "tone": "loud"}]'}, "Example 1 does not fit"),
        ({"example_inputs": "not json"}, "Not valid JSON"),
    ],
)
def test_invalid_builds_say_why_and_save_nothing(client, user, overrides, message):
    client.force_login(user)
    html = _errors(client.post(reverse("builder_new"), builder_post(**overrides)))
    from html import unescape

    assert message in unescape(html)
    assert "Nothing was saved" in html
    assert not Tool.objects.filter(author=user).exists()


def test_undeclared_placeholder_then_fixed(client, user):
    client.force_login(user)
    bad = builder_post(prompt_template="{{text}} {{tone}} {{extra}}")
    assert client.post(reverse("builder_new"), bad).status_code == 400
    resp = client.post(reverse("builder_new"), builder_post())
    assert resp.status_code == 302
    tool = Tool.objects.get(author=user)
    assert resp["Location"].startswith(reverse("builder_edit", args=[tool.slug]))
    assert tool.status == Tool.Status.DRAFT and tool.current_version is None
    head = tool_services.tool_head_version(tool)
    assert [f["name"] for f in head.input_schema] == ["text", "tone"]
    assert head.input_schema[1]["choices"] == ["plain", "fun"]
    assert head.sampling_defaults == {"temperature": 0.5, "max_new_tokens": 64}
    assert sorted(tool.tags.values_list("name", flat=True)) == ["summary", "writing"]


@pytest.mark.parametrize(
    ("template", "saved"),
    [
        ("{{__class__}} {{text}} {{tone}}", False),  # an undeclared field: refused
        ("{0.__dict__} {{text}} {{tone}}", True),
        ("%s %(x)s {{text}} {{tone}}", True),
        ("{{ nested {{text}} }} {{tone}}", True),
        ("{% raw %}{{text}} {{tone}}", True),
    ],
)
def test_tricky_templates_are_literal_or_refused(client, user, template, saved):
    from tools.schema import render

    client.force_login(user)
    resp = client.post(reverse("builder_new"), builder_post(prompt_template=template))
    assert resp.status_code == (302 if saved else 400)
    if not saved:
        assert "undeclared fields: {{__class__}}" in resp.content.decode()
        return
    head = tool_services.tool_head_version(Tool.objects.get(author=user))
    values = {"text": "{0.__dict__} %s {{tone}} {{__class__}}", "tone": "fun"}
    out = render(head.prompt_template, values)
    assert values["text"] in out  # user text is never interpreted
    literal = template.replace("{{text}}", "").replace("{{tone}}", "")
    for piece in literal.split():
        assert piece in out


def test_very_long_test_inputs_are_refused_with_a_message(client, draft, monkeypatch):
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: True)
    client.force_login(draft.author)
    resp = client.post(reverse("builder_test", args=[draft.slug]), {"in-text": "x" * 100_000})
    assert resp.status_code == 400 and "at most" in resp.content.decode()
    assert not Run.objects.exists()


def test_reorder_and_delete_fields(client, user):
    client.force_login(user)
    data = builder_post(
        **{
            "fields-TOTAL_FORMS": "3",
            "fields-0-ORDER": "2",
            "fields-1-ORDER": "1",
            "fields-2-name": "junk",
            "fields-2-type": "short_text",
            "fields-2-DELETE": "on",
            "fields-2-ORDER": "3",
        }
    )
    assert client.post(reverse("builder_new"), data).status_code == 302
    head = tool_services.tool_head_version(Tool.objects.get(author=user))
    assert [f["name"] for f in head.input_schema] == ["tone", "text"]


def test_no_js_add_field_rerenders_without_saving(client, user):
    client.force_login(user)
    resp = client.post(reverse("builder_new"), builder_post(add_field="1"))
    html = resp.content.decode()
    assert resp.status_code == 200 and 'name="fields-2-name"' in html
    assert 'value="Summarizer"' in html
    assert not Tool.objects.filter(author=user).exists()


def test_preview_sanitises_markdown(client, user):
    client.force_login(user)
    resp = client.post(
        reverse("builder_preview"),
        {
            "description": "**hi** <script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=alert(1)>"
        },
    )
    html = resp.content.decode()
    assert "<strong>hi</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


# --- mass assignment ------------------------------------------------------------------------


def test_mass_assignment_changes_nothing(client, published, other_user):
    Tool.objects.filter(pk=published.pk).update(run_count=7, review_count=1, rating_sum=4)
    client.force_login(published.author)
    evil = builder_post(
        name="Public Tool",
        prompt_template="Echo {{text}}",
        author=str(other_user.pk),
        author_id=str(other_user.pk),
        featured="on",
        status="removed",
        run_count="9999",
        review_count="100",
        rating_sum="500",
        slug="hijacked",
        current_version="",
        forked_from="1",
        **{"fields-TOTAL_FORMS": "1"},
    )
    assert client.post(reverse("builder_edit", args=[published.slug]), evil).status_code == 302
    client.post(
        reverse("tool_publish", args=[published.slug]),
        {"visibility": "public", "status": "removed", "featured": "on", "author": other_user.pk},
    )
    published.refresh_from_db()
    assert published.author_id != other_user.pk
    assert (published.featured, published.status, published.slug) == (
        False,
        Tool.Status.PUBLISHED,
        "public-tool",
    )
    assert (published.run_count, published.review_count, published.rating_sum) == (7, 1, 4)
    assert published.forked_from is None


def test_new_tool_ignores_posted_owner_and_status(client, user, other_user):
    client.force_login(user)
    data = builder_post(author=str(other_user.pk), status="published", featured="on")
    assert client.post(reverse("builder_new"), data).status_code == 302
    tool = Tool.objects.get(name="Summarizer")
    assert tool.author == user and tool.status == Tool.Status.DRAFT and not tool.featured
