"""Forms from typed schemas: widgets, server-side errors, examples; the run form page."""

import pytest

from tools.forms import run_form_for
from tools.models import Run

pytestmark = pytest.mark.django_db

ALL_TYPES = [
    {"name": "title", "type": "short_text", "max_length": 10, "help": "Short"},
    {"name": "body", "type": "long_text", "required": False},
    {"name": "n", "type": "integer", "min": 1, "max": 3, "default": 2},
    {"name": "x", "type": "number", "min": 0.5, "max": 1.5, "required": False},
    {"name": "lang", "type": "choice", "choices": ["en", "fr"]},
    {"name": "loud", "type": "boolean"},
]


def test_form_fields_follow_the_schema(make_tool):
    tool = make_tool(input_schema=ALL_TYPES, prompt_template="{{title}} {{n}} {{lang}}")
    form = run_form_for(tool.current_version)
    html = form.as_p()
    assert 'maxlength="10"' in html and "<textarea" in html and 'type="checkbox"' in html
    assert form.fields["n"].initial == 2 and not form.fields["n"].required
    assert form.fields["title"].required and not form.fields["body"].required
    assert 'min="0.5"' in html and "<select" in html


def test_form_validates_on_the_server(make_tool):
    tool = make_tool(input_schema=ALL_TYPES, prompt_template="{{title}} {{n}} {{lang}}")
    data = {"in-title": "x" * 11, "in-n": "9", "in-x": "abc", "in-lang": "de"}
    form = run_form_for(tool.current_version, data=data)
    assert not form.is_valid()
    assert set(form.errors) == {"title", "n", "x", "lang"}
    good = {"in-title": "Hi", "in-lang": "fr", "in-loud": "on"}
    form = run_form_for(tool.current_version, data=good)
    assert form.is_valid(), form.errors
    assert form.inputs() == {"title": "Hi", "body": "", "n": 2, "lang": "fr", "loud": True, "x": ""}


def test_examples_fill_by_html_name_and_skip_bad_ones(make_tool):
    examples = [{"topic": "cats", "count": 3}, {"topic": "x", "count": 99}, "no"]
    tool = make_tool(lister=True, example_inputs=examples)
    form = run_form_for(tool.current_version)
    assert form.examples == [
        {"label": "cats", "values": {"in-topic": "cats", "in-count": 3, "in-tone": "plain"}}
    ]


def test_no_version_means_no_form():
    assert run_form_for(None) is None


def test_run_page_shows_field_errors_and_enqueues_nothing(client, user, tool, monkeypatch):
    from tools import services

    sent = []
    monkeypatch.setattr(services.runs, "run_enqueue", lambda **kw: sent.append(kw))
    client.force_login(user)
    resp = client.post(f"/t/{tool.slug}/run", {"in-topic": "", "in-count": "7"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="id_in-topic-errors"' not in html or "This field is required." in html
    assert "This field is required." in html and "Ensure this value is less than" in html
    assert Run.objects.count() == 0 and sent == []


def test_anonymous_sees_sign_in_and_cannot_post(client, tool):
    page = client.get(f"/t/{tool.slug}/run")
    assert page.status_code == 200 and "Sign in to run" in page.content.decode()
    assert 'src="/static/js/run_form.js"' in page.content.decode()
    resp = client.post(f"/t/{tool.slug}/run", {"in-topic": "cats"})
    assert resp.status_code == 302 and Run.objects.count() == 0


def test_hidden_tools_are_404(client, user, make_tool):
    from tools.models import Tool

    tool = make_tool(lister=True, slug="secret")
    Tool.objects.filter(pk=tool.pk).update(visibility=Tool.Visibility.PRIVATE)
    client.force_login(user)
    assert client.post("/t/secret/run", {"in-topic": "cats"}).status_code == 404
    assert client.get("/t/secret/run").status_code == 404


def test_tool_page_includes_the_run_form(client, user, tool):
    client.force_login(user)
    html = client.get(tool.get_absolute_url()).content.decode()
    assert 'id="run-form"' in html and f'action="/t/{tool.slug}/run"' in html
    assert 'id="run-examples"' in html and "csrfmiddlewaretoken" in html
