"""The tool builder: services, validation messages, authorization matrix, mass assignment,
versions, remix, deletion, dashboard figures and resource submission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from store import selectors, services
from store.models import Resource, Review
from tools import selectors as tool_selectors
from tools import services as tool_services
from tools.models import Run, Tool, ToolVersion
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db

TWO_FIELDS = [
    {"name": "text", "label": "Text", "type": "long_text"},
    {"name": "tone", "label": "Tone", "type": "choice", "choices": ["plain", "fun"]},
]


def builder_post(**overrides) -> dict:
    """A complete, valid builder POST with two fields (a long text and a choice)."""
    data = {
        "name": "Summarizer",
        "tagline": "Short summaries",
        "description": "Makes **short** summaries.",
        "category": "",
        "tags": "writing, summary",
        "icon": "📝",
        "visibility": "public",
        "system_prompt": "You are brief.",
        "prompt_template": "Summarize in a {{tone}} tone: {{text}}",
        "temperature": "0.5",
        "max_new_tokens": "64",
        "example_inputs": "",
        "changelog": "",
        "fields-TOTAL_FORMS": "2",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "20",
        "fields-0-name": "text",
        "fields-0-label": "Text",
        "fields-0-type": "long_text",
        "fields-0-required": "on",
        "fields-0-ORDER": "1",
        "fields-1-name": "tone",
        "fields-1-label": "Tone",
        "fields-1-type": "choice",
        "fields-1-required": "on",
        "fields-1-choices": "plain\nfun",
        "fields-1-ORDER": "2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def draft(user):
    tool = tool_services.tool_create(author=user, name="Draft Tool")
    tool_services.tool_draft_save(
        tool=tool, prompt_template="Echo {{text}}", input_schema=TWO_FIELDS[:1]
    )
    return tool


@pytest.fixture
def published(user):
    tool = tool_services.tool_create(author=user, name="Public Tool", tags=["alpha"])
    tool_services.tool_draft_save(
        tool=tool, prompt_template="Echo {{text}}", input_schema=TWO_FIELDS[:1]
    )
    tool_services.tool_publish_head(tool=tool)
    tool.refresh_from_db()
    return tool


# --- services -------------------------------------------------------------------------------


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
    run = Run.objects.create(
        tool=published, version=published.current_version, user=other_user, prompt="p"
    )
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


def test_resource_submit_waits_for_approval(user):
    res = services.resource_submit(
        user=user, title="Cool paper", url="https://example.com/p", kind="paper"
    )
    assert res.approved is False and res.submitted_by == user
    assert not selectors.resources_listed().filter(pk=res.pk).exists()


# --- validation messages (through the page) -------------------------------------------------


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


def test_resource_submit_ignores_approved(client, user):
    client.force_login(user)
    resp = client.post(
        reverse("resource_submit"),
        {
            "title": "A",
            "url": "https://e.com",
            "kind": "paper",
            "approved": "on",
            "submitted_by": "999",
        },
    )
    assert resp.status_code == 302
    res = Resource.objects.get(title="A")
    assert res.approved is False and res.submitted_by == user


def test_resource_submit_refuses_javascript_url(client, user):
    client.force_login(user)
    resp = client.post(
        reverse("resource_submit"), {"title": "A", "url": "javascript:alert(1)", "kind": "paper"}
    )
    assert resp.status_code == 200 and not Resource.objects.filter(title="A").exists()


# --- authorization matrix -------------------------------------------------------------------

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


# --- pages ----------------------------------------------------------------------------------


def test_tool_page_buttons_and_remix_links(client, published, other_user):
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


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_figures(client, published, other_user):
    now = timezone.now()
    v1 = published.current_version

    def run(state, *, days_ago=0, ttft=None, tokens=None):
        r = Run.objects.create(
            tool=published,
            version=v1,
            user=other_user,
            prompt="p",
            state=state,
            completion_tokens=tokens,
        )
        queued = now - timedelta(days=days_ago)
        Run.objects.filter(pk=r.pk).update(
            queued_at=queued,
            first_token_at=queued + timedelta(seconds=ttft) if ttft is not None else None,
        )

    run("succeeded", ttft=1.0, tokens=10)
    run("succeeded", ttft=3.0, tokens=20)
    run("failed", days_ago=2, ttft=2.0, tokens=5)
    run("succeeded", days_ago=40, tokens=1)  # outside the chart, inside the totals
    run("queued")
    Review.objects.create(user=other_user, tool=published, stars=4)
    Tool.objects.filter(pk=published.pk).update(review_count=1, rating_sum=4)
    published.refresh_from_db()
    data = selectors.tool_dashboard(published)
    assert data["runs"] == 5 and data["last_30"] == 4
    assert data["success_rate"] == 75  # 3 of 4 finished
    assert data["median_ttft"] == 2.0
    assert data["tokens"] == 36
    assert data["series"][-1]["count"] == 3 and data["series"][-3]["count"] == 1
    assert len(data["series"]) == 30 and data["average_rating"] == 4.0
    assert data["per_version"][0]["runs"] == 5
    client.force_login(published.author)
    html = client.get(reverse("dashboard")).content.decode()
    assert "<svg" in html and 'class="chart-bar"' in html and "style=" not in html
    assert "75%" in html and "2.0 s" in html and published.name in html


def test_rating_trend_and_chart(published, other_user, django_user_model):
    carol = django_user_model.objects.create_user("carol", password="pw-carol-123")
    old = Review.objects.create(user=other_user, tool=published, stars=2)
    Review.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=60))
    Review.objects.create(user=carol, tool=published, stars=5)
    trend = selectors.rating_trend(published)
    assert trend == {"recent": 5.0, "before": 2.0, "delta": 3.0, "direction": "up"}
    chart = selectors.runs_chart([{"day": None, "count": c} for c in (0, 2, 4)])
    assert chart["peak"] == 4 and [b["h"] for b in chart["bars"]] == ["0.00", "34.00", "68.00"]
    assert selectors.runs_chart([])["bars"] == []


def test_dashboard_lists_only_own_live_tools(client, published, draft, other_user):
    mine = tool_services.tool_create(author=other_user, name="Not Yours")
    tool_services.tool_delete(tool=draft)
    client.force_login(published.author)
    html = client.get(reverse("dashboard")).content.decode()
    assert published.name in html and mine.name not in html and draft.name not in html
