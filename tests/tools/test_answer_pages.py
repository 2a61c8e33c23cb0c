"""The run page's answer and actions: rendered Markdown, the fragment and download endpoints
(who may read them), "Run again" and "Edit inputs"."""

import re

import pytest

from tests.factories import RunFactory
from tools import services
from tools.models import Run

pytestmark = pytest.mark.django_db

ANSWER = (
    "# Facts\n\n| Planet | Moons |\n|---|--:|\n| Mars | 2 |\n\n"
    '```python\nprint("hi")\n```\n\n<script>alert(1)</script> [x](javascript:alert(1))'
)


@pytest.fixture
def enqueued(monkeypatch):
    sent = []
    monkeypatch.setattr(services.runs, "run_enqueue", lambda **kw: sent.append(kw))
    return sent


def _done(user, tool, output=ANSWER, **fields) -> Run:
    fields.setdefault("inputs", {"topic": "the moon", "count": 3, "tone": "fun"})
    return RunFactory(
        user=user,
        tool=tool,
        state=Run.State.SUCCEEDED,
        output=output,
        completion_tokens=12,
        **fields,
    )


def _answer_html(page: str) -> str:
    return re.search(r'<div class="answer-body answer-md" id="run-output">(.*?)</div>', page, re.S)[
        1
    ]


def test_finished_answer_is_rendered_markdown_with_copy_and_download(client, user, tool):
    run = _done(user, tool)
    client.force_login(user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    body = _answer_html(page)
    assert "<h3>Facts</h3>" in body and '<td class="align-right">2</td>' in body
    assert '<pre data-lang="python"><code><span class="nb">print</span>' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in page
    assert "javascript:" not in body.replace("[x](javascript:alert(1))", "")
    # The Markdown source rides along (inert) for the Copy button; the tools are shown.
    assert '<template class="answer-source"># Facts' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</template>" in page
    assert '<div class="answer-tools">' in page and ">Copy answer</button>" in page
    assert f'href="/runs/{run.pk}/answer.md" download>Download .md</a>' in page
    assert f'data-answer-url="/runs/{run.pk}/answer"' in page
    assert "/static/css/run.css" in page and "/static/css/pygments.css" in page


def test_live_answer_is_plain_text_until_the_end(client, user, tool):
    run = RunFactory(user=user, tool=tool, state=Run.State.RUNNING, output="**so far**")
    client.force_login(user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert (
        '<div class="answer-body answer-live" id="run-output" aria-live="polite">**so far**</div>'
        in page
    )
    assert '<div class="answer-tools" hidden>' in page
    assert re.search(r'<p id="run-stats" class="meta" hidden>', page)


def test_figures_stay_hidden_when_a_run_ended_without_any(client, user, tool):
    run = RunFactory(user=user, tool=tool, state=Run.State.CANCELLED, completion_tokens=None)
    client.force_login(user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert '<p id="run-stats" class="meta" hidden>' in page
    assert '<p class="answer-empty">No answer.</p>' in page
    assert '<div class="answer-tools" hidden>' in page


def test_answer_fragment_follows_read_access(client, user, other_user, tool):
    run = _done(user, tool)
    url = f"/runs/{run.pk}/answer"
    client.force_login(user)
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "text/html; charset=utf-8"
    html = resp.content.decode()
    assert html.startswith("<h3>Facts</h3>") and "<script>" not in html
    assert client.post(url).status_code == 405
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    Run.objects.filter(pk=run.pk).update(shared=True)
    assert client.get(url).content.decode() == html


def test_download_is_the_markdown_source_as_an_attachment(client, user, other_user, tool):
    run = _done(user, tool)
    url = f"/runs/{run.pk}/answer.md"
    client.force_login(user)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.content.decode() == ANSWER
    assert resp["Content-Type"] == "text/markdown; charset=utf-8"
    assert resp["Content-Disposition"] == f'attachment; filename="{tool.slug}-{run.pk.hex[:8]}.md"'
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    Run.objects.filter(pk=run.pk).update(shared=True)
    shared = client.get(url)
    assert shared.status_code == 200 and shared.content.decode() == ANSWER
    assert shared["Content-Disposition"].startswith("attachment;")


def test_base_model_answer_downloads_under_a_generic_name(client, user):
    run = Run.objects.create(user=user, prompt="hi", model="base", state="succeeded", output="x")
    client.force_login(user)
    resp = client.get(f"/runs/{run.pk}/answer.md")
    assert resp["Content-Disposition"] == f'attachment; filename="answer-{run.pk.hex[:8]}.md"'


def test_owner_sees_run_again_and_edit_inputs_others_do_not(client, user, other_user, tool):
    run = _done(user, tool, shared=True)
    client.force_login(user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f'action="/runs/{run.pk}/again"' in page and ">Run again</button>" in page
    assert f'href="/t/{tool.slug}/run?from={run.pk}">Edit inputs</a>' in page
    client.force_login(other_user)
    page = client.get(f"/s/{run.pk}/").content.decode()
    assert "Run again" not in page and "Edit inputs" not in page
    assert ">Copy answer</button>" in page and "Download .md" in page


def test_a_follow_up_turn_has_neither_action(client, user, tool):
    first = _done(user, tool)
    followup = _done(user, tool, parent=first, inputs={}, prompt="And Venus?")
    client.force_login(user)
    page = client.get(f"/runs/{followup.pk}/").content.decode()
    assert "Run again" not in page and "Edit inputs" not in page
    assert client.post(f"/runs/{followup.pk}/again").status_code == 404
    form = client.get(f"/t/{tool.slug}/run?from={followup.pk}").content.decode()
    assert 'value="the moon"' not in form


def test_run_again_starts_a_run_with_the_same_inputs(
    client, user, tool, enqueued, django_capture_on_commit_callbacks
):
    run = _done(user, tool)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(f"/runs/{run.pk}/again")
    again = Run.objects.exclude(pk=run.pk).get()
    assert resp.status_code == 302 and resp["Location"] == f"/runs/{again.pk}/"
    assert again.inputs == run.inputs and again.tool == tool and again.user == user
    assert again.state == Run.State.QUEUED and len(enqueued) == 1
    assert client.get(f"/runs/{run.pk}/again").status_code == 405


def test_run_again_is_only_for_the_owner(client, user, other_user, tool, enqueued):
    run = _done(user, tool, shared=True)
    assert client.post(f"/runs/{run.pk}/again").status_code == 404
    client.force_login(other_user)
    assert client.post(f"/runs/{run.pk}/again").status_code == 404
    assert Run.objects.count() == 1 and not enqueued


def test_run_again_at_the_cap_shows_the_form_with_the_reason(
    client, user, tool, settings, enqueued
):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 1
    run = _done(user, tool)
    RunFactory(user=user, tool=tool, state=Run.State.RUNNING)
    client.force_login(user)
    resp = client.post(f"/runs/{run.pk}/again")
    page = resp.content.decode()
    assert resp.status_code == 429 and Run.objects.count() == 2 and not enqueued
    alert = re.search(r'<div class="form-error run-alert" role="alert">(.*?)</div>', page, re.S)[1]
    assert "in progress" in alert and 'href="/runs/"' in alert
    assert 'value="the moon"' in page  # the inputs are kept, to run once a slot frees


def test_run_again_with_inputs_the_tool_no_longer_accepts(client, user, tool, enqueued):
    run = _done(user, tool, inputs={"topic": "the moon", "count": 9, "tone": "fun"})
    client.force_login(user)
    resp = client.post(f"/runs/{run.pk}/again")
    page = resp.content.decode()
    assert resp.status_code == 400 and Run.objects.count() == 1 and not enqueued
    assert 'id="id_in-count_error"' in page and "less than or equal to 5" in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_in-count_error"' in page


def test_edit_inputs_prefills_the_form_from_the_owners_run(client, user, other_user, tool):
    run = _done(user, tool)
    client.force_login(user)
    page = client.get(f"/t/{tool.slug}/run?from={run.pk}").content.decode()
    assert 'name="in-topic" value="the moon"' in page and 'value="3"' in page
    assert re.search(r'<option value="fun" selected>', page)
    assert f'href="/runs/{run.pk}/"' in page  # says where the inputs came from
    for bad in ("nope", "", "00000000-0000-0000-0000-000000000000"):
        page = client.get(f"/t/{tool.slug}/run?from={bad}")
        assert page.status_code == 200 and 'value="the moon"' not in page.content.decode()
    client.force_login(other_user)
    page = client.get(f"/t/{tool.slug}/run?from={run.pk}").content.decode()
    assert 'value="the moon"' not in page


def test_run_form_page_uses_the_site_components(client, user, tool):
    client.force_login(user)
    page = client.get(f"/t/{tool.slug}/run").content.decode()
    assert '<form method="post" action="/t/' in page and 'class="form run-form"' in page
    assert '<button type="submit" class="btn btn-primary">Run</button>' in page
    assert 'class="btn-chip example"' in page and "/static/css/run.css" in page


def test_queue_down_is_a_styled_alert_on_the_form(client, user, tool, monkeypatch):
    from tools import streams

    monkeypatch.setattr(streams, "ping", lambda: False)
    client.force_login(user)
    resp = client.post(f"/t/{tool.slug}/run", {"in-topic": "cats"})
    page = resp.content.decode()
    assert resp.status_code == 503 and Run.objects.count() == 0
    assert '<div class="form-error run-alert" role="alert">' in page
    assert 'name="in-topic" value="cats"' in page


def test_run_form_data_round_trips_every_field_type(make_tool):
    from tools.forms import run_form_data, run_form_for

    schema = [
        {"name": "title", "type": "short_text"},
        {"name": "body", "type": "long_text", "required": False},
        {"name": "n", "type": "integer", "min": 1, "max": 3, "default": 2},
        {"name": "x", "type": "number", "required": False},
        {"name": "lang", "type": "choice", "choices": ["en", "fr"]},
        {"name": "loud", "type": "boolean"},
        {"name": "quiet", "type": "boolean"},
    ]
    template = "{{title}} {{n}} {{lang}}"
    version = make_tool(input_schema=schema, prompt_template=template).current_version
    inputs = {"title": "Hi", "body": "a\nb", "n": 3, "x": 0.25, "lang": "fr", "loud": True,
              "quiet": False}  # fmt: skip
    form = run_form_for(version, data=run_form_data(inputs))
    assert form.is_valid(), form.errors
    assert form.inputs() == inputs
