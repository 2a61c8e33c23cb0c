"""The run history (/runs/): one entry per conversation, filters, search, pages that keep the
filters, and deleting a conversation (the owner's only, after asking)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tools import selectors, services
from tools.models import Run

pytestmark = pytest.mark.django_db


def thread(user, tool, turns, *, minutes_ago=0, inputs=None, model=""):
    """A conversation of `turns` [(prompt, answer, state)], stored directly; its latest turn
    `minutes_ago` minutes ago, each earlier turn a minute before the next."""
    runs, parent = [], None
    for i, (prompt, answer, state) in enumerate(turns):
        run = Run.objects.create(
            user=user,
            tool=tool,
            version=tool.current_version if tool else None,
            inputs=(inputs or {}) if i == 0 else {},
            prompt=prompt,
            output=answer,
            state=state,
            model=model,
            prompt_tokens=10,
            completion_tokens=5,
            parent=parent,
            turn=i + 1,
        )
        when = timezone.now() - timedelta(minutes=minutes_ago + len(turns) - 1 - i)
        Run.objects.filter(pk=run.pk).update(queued_at=when)
        runs.append(run)
        parent = run
    return runs


OK, FAILED, RUNNING = Run.State.SUCCEEDED, Run.State.FAILED, Run.State.RUNNING


@pytest.fixture
def writer(make_tool):
    return make_tool("Story Writer", icon="✍️")


@pytest.fixture
def namer(make_tool):
    return make_tool("Name Finder", icon="🏷️")


@pytest.fixture
def chats(user, other_user, writer, namer):
    """Alice: a 3-turn story thread (first turn failed, latest succeeded), a namer run, an
    API run; Bob: one writer run."""
    story = thread(
        user,
        writer,
        [
            ("Rewrite: a dragon", "", FAILED),
            ("Try again please", "Once upon a time a Dragon slept.", OK),
            ("Make it shorter", "A dragon slept.", OK),
        ],
        minutes_ago=30,
        inputs={"text": "a dragon who hoards teacups"},
    )
    names = thread(
        user, namer, [("Rewrite: bakery", "Crumb & Co", OK)], minutes_ago=20, inputs={"text": "x"}
    )
    api = thread(user, None, [("Say hi", "Hi there", OK)], minutes_ago=10, model="smollm2")
    bobs = thread(other_user, writer, [("Rewrite: dragon", "Bob's dragon", OK)])
    return {"story": story, "names": names, "api": api, "bobs": bobs}


def latest_ids(**filters):
    return [r.pk for r in selectors.threads_of(**filters)]


# --- the selector -----------------------------------------------------------------------------


def test_one_entry_per_thread_newest_first_linking_the_latest_turn(user, chats):
    runs = list(selectors.threads_of(user=user))
    assert [r.pk for r in runs] == [chats["api"][0].pk, chats["names"][0].pk, chats["story"][2].pk]
    story = selectors.thread_entries(runs)[2]
    assert story.first.pk == chats["story"][0].pk
    assert (story.turns, story.tokens) == (3, 45)
    assert story.asked == "a dragon who hoards teacups"  # the user's input, not the prompt
    api = selectors.thread_entries(runs)[0]
    assert (api.asked, api.answer, api.turns) == ("Say hi", "Hi there", 1)


def test_filter_by_tool_and_by_the_latest_turns_state(user, chats, writer):
    assert latest_ids(user=user, tool=writer.slug) == [chats["story"][2].pk]
    assert latest_ids(user=user, tool=selectors.API_RUNS) == [chats["api"][0].pk]
    # The story's first turn failed, its latest succeeded: it counts as succeeded.
    assert latest_ids(user=user, state=FAILED) == []
    assert chats["story"][2].pk in latest_ids(user=user, state=OK)
    thread(user, writer, [("Rewrite: x", "", RUNNING)])
    assert len(latest_ids(user=user, state=RUNNING)) == 1


def test_search_finds_answers_followups_and_inputs_case_insensitively(user, chats):
    story = chats["story"][2].pk
    assert latest_ids(user=user, q="DRAGON SLEPT") == [story]  # a later turn's answer
    assert latest_ids(user=user, q="shorter") == [story]  # a follow-up the user wrote
    assert latest_ids(user=user, q="teacups") == [story]  # an input of the first turn
    assert latest_ids(user=user, q="say HI") == [chats["api"][0].pk]  # an API prompt
    assert latest_ids(user=user, q="crumb & co") == [chats["names"][0].pk]


def test_search_skips_the_tools_prompt_template_field_names_and_wildcards(user, chats):
    # "Rewrite:" is the tool's (secret) prompt template; "text" its field's name.
    assert latest_ids(user=user, q="rewrite") == []
    assert latest_ids(user=user, q="text") == []
    assert latest_ids(user=user, q="%") == []
    assert latest_ids(user=user, q="_") == []


def test_previews_are_one_line_of_plain_text(user, writer):
    answer = "# Title\n\n- **bold** point\n- `code`\n\n```python\nx = 1\n```\n" + "word " * 100
    run = thread(user, writer, [("Rewrite: a", answer, OK)], inputs={"text": "two\n\nlines"})[0]
    entry = selectors.thread_entries([run])[0]
    assert entry.answer.startswith("Title bold point code x = 1 word word")
    assert len(entry.answer) == selectors.PREVIEW_CHARS and entry.answer.endswith("…")
    assert (entry.asked, entry.ago) == ("two lines", "just now")


def test_only_the_users_own_threads(other_user, chats):
    assert latest_ids(user=other_user) == [chats["bobs"][0].pk]


# --- the service ------------------------------------------------------------------------------


def test_thread_delete_removes_every_turn_of_that_thread_only(user, chats):
    assert services.thread_delete(user=user, thread=chats["story"][0].thread) == 3
    left = set(Run.objects.values_list("pk", flat=True))
    assert left == {chats["names"][0].pk, chats["api"][0].pk, chats["bobs"][0].pk}


def test_thread_delete_leaves_anyone_elses_thread(other_user, chats):
    assert services.thread_delete(user=other_user, thread=chats["story"][0].thread) == 0
    assert Run.objects.count() == 6


def test_thread_delete_refuses_while_a_turn_is_live(user, writer):
    runs = thread(user, writer, [("Rewrite: a", "A", OK), ("more", "", RUNNING)])
    with pytest.raises(services.ThreadLive, match="still running"):
        services.thread_delete(user=user, thread=runs[0].thread)
    assert Run.objects.count() == 2


# --- the page ---------------------------------------------------------------------------------


def test_history_needs_a_login(client):
    resp = client.get(reverse("run_list"))
    assert resp.status_code == 302 and "/login" in resp["Location"]


def test_page_lists_threads_with_tool_state_turns_and_preview(client, user, chats):
    client.force_login(user)
    resp = client.get(reverse("run_list"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "3 conversations" in html
    assert html.count('class="card history-entry"') == 3
    assert chats["story"][2].get_absolute_url() in html  # the latest turn
    assert chats["story"][0].get_absolute_url() not in html
    assert "3 turns" in html and "45 tokens" in html
    assert "a dragon who hoards teacups" in html and "Bob&#x27;s dragon" not in html
    assert '<option value="~api">API (base model)</option>' in html
    assert "css/history.css" in html


def test_filters_and_search_on_the_page(client, user, chats, writer):
    client.force_login(user)
    html = client.get(reverse("run_list"), {"tool": writer.slug, "q": "teacups"}).content.decode()
    assert "1 conversation matches" in html
    assert f'<option value="{writer.slug}" selected>' in html
    html = client.get(reverse("run_list"), {"q": "no such words"}).content.decode()
    assert "No conversations match." in html and "history-entry" not in html


def test_empty_history_says_how_to_start(client, user):
    client.force_login(user)
    html = client.get(reverse("run_list")).content.decode()
    assert "No runs yet." in html and "history-filters" not in html


def test_pages_keep_the_filters(client, user, writer, namer):
    for i in range(23):
        thread(user, writer, [(f"Rewrite: {i}", f"story {i}", OK)], minutes_ago=i)
    thread(user, namer, [("Rewrite: n", "a name", OK)])
    client.force_login(user)
    resp = client.get(reverse("run_list"), {"tool": writer.slug, "state": "succeeded"})
    assert len(resp.context["entries"]) == 20
    nxt = re.search(r'rel="next" href="\?([^"]+)"', resp.content.decode())
    query = nxt.group(1).replace("&amp;", "&")
    assert query == f"tool={writer.slug}&state=succeeded&page=2"
    page2 = client.get(reverse("run_list") + "?" + query)
    assert [e.latest.tool_id for e in page2.context["entries"]] == [writer.pk] * 3
    assert 'rel="prev" href="?tool=' in page2.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"tool": "no-such-tool", "state": "exploded", "page": "abc"},
        {"page": "-1", "q": "x" * 5000},
        {"page": "99999", "tool": "", "state": ""},
        {"q": "%_\\'\""},
    ],
)
def test_bad_filter_values_are_ignored_not_a_500(client, user, chats, params):
    client.force_login(user)
    resp = client.get(reverse("run_list"), params)
    assert resp.status_code == 200
    if "tool" in params and params["tool"]:
        assert resp.context["filters"]["tool"] == "" and resp.context["filters"]["state"] == ""
        assert len(resp.context["entries"]) == 3
    assert len(resp.context["filters"]["q"]) <= selectors.MAX_QUERY_CHARS


def test_delete_asks_first_then_deletes_and_goes_back(client, user, chats):
    client.force_login(user)
    url = reverse("thread_delete", args=[chats["story"][0].thread])
    page = client.get(url, {"next": "/runs/?q=dragon"})
    html = page.content.decode()
    assert page.status_code == 200 and "Delete this conversation?" in html
    assert 'method="post"' in html and 'value="/runs/?q=dragon"' in html
    assert Run.objects.count() == 6  # asking deleted nothing

    resp = client.post(url, {"next": "/runs/?q=dragon"})
    assert resp.status_code == 302 and resp["Location"] == "/runs/?q=dragon"
    assert not Run.objects.filter(thread=chats["story"][0].thread).exists()
    assert Run.objects.count() == 3
    html = client.get(resp["Location"]).content.decode()
    assert "Conversation deleted (3 turns)." in html


def test_delete_goes_back_only_to_the_history(client, user, chats):
    client.force_login(user)
    url = reverse("thread_delete", args=[chats["names"][0].thread])
    resp = client.post(url, {"next": "https://evil.example/runs/"})
    assert resp["Location"] == reverse("run_list")


def test_anyone_elses_thread_is_a_404(client, other_user, chats):
    client.force_login(other_user)
    url = reverse("thread_delete", args=[chats["story"][0].thread])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Run.objects.filter(thread=chats["story"][0].thread).count() == 3


def test_delete_needs_a_login_and_no_other_method(client, user, chats):
    url = reverse("thread_delete", args=[chats["story"][0].thread])
    assert client.post(url).status_code == 302  # to the log-in page
    client.force_login(user)
    assert client.put(url).status_code == 405
    assert Run.objects.count() == 6


def test_a_running_conversation_is_refused_with_a_reason(client, user, writer):
    runs = thread(user, writer, [("Rewrite: a", "A", OK), ("more", "", RUNNING)])
    client.force_login(user)
    url = reverse("thread_delete", args=[runs[0].thread])
    page = client.get(url).content.decode()
    assert "still running" in page and 'type="submit" class="btn btn-danger"' not in page
    resp = client.post(url)
    assert resp.status_code == 409 and "still running" in resp.content.decode()
    assert Run.objects.count() == 2


def test_deleting_a_conversation_does_not_refill_the_days_budget(user, writer, settings):
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 1000
    runs = thread(user, writer, [("Rewrite: owls", "Owls.", OK)], inputs={"text": "owls"})
    Run.objects.filter(pk=runs[0].pk).update(prompt_tokens=300, completion_tokens=200)
    assert selectors.tokens_used_today(user) == 500
    services.thread_delete(user=user, thread=runs[0].thread)
    assert not Run.objects.filter(user=user).exists()
    assert selectors.tokens_used_today(user) == 500
    assert selectors.usage_per_day(user)[0]["tokens"] == 500  # newest day first


def test_a_preview_of_a_table_or_a_link_shows_words_not_marks(user, writer):
    answer = (
        "| owner | task |\n|---|---|\n"
        "| Bob | [docs](https://x.example) ![chart](https://x.example/c.png) |\n"
    )
    run = thread(user, writer, [("Rewrite: a", answer, OK)])[0]
    assert selectors.thread_entries([run])[0].answer == "owner task Bob docs chart"
