"""A conversation on the run page: the follow-up box, earlier turns above the followed one,
and sharing a whole thread."""

import re

import pytest
from django.test import Client

from tools import services
from tools.models import Run

pytestmark = pytest.mark.django_db


def _finish(run: Run, text: str) -> Run:
    Run.objects.filter(pk=run.pk).update(state=Run.State.SUCCEEDED, output=text)
    run.refresh_from_db()
    return run


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _followup(c: Client, run: Run, message: str):
    return c.post(f"/runs/{run.pk}/followup", {"message": message})


@pytest.fixture
def lister(make_tool):
    return make_tool(lister=True)


def test_three_turns_through_the_web_form(user, lister):
    c = _client(user)
    start = c.post(
        f"/t/{lister.slug}/run", {"in-count": "2", "in-topic": "owls", "in-tone": "plain"}
    )
    assert start.status_code == 302
    first = _finish(Run.objects.get(), "Owls **hoot**.")
    page = c.get(start["Location"]).content.decode()
    assert 'id="run-followup"' in page and "hidden" not in _tag(page, "run-followup")

    second_url = _followup(c, first, "And bats?")["Location"]
    second = _finish(Run.objects.get(parent=first), "Bats *squeak*.")
    assert second_url == second.get_absolute_url()
    page = c.get(second_url).content.decode()
    # The first turn's inputs and rendered answer, then this turn's message.
    assert "owls" in page and "<strong>hoot</strong>" in page
    assert page.index("<strong>hoot</strong>") < page.index("And bats?")

    _followup(c, second, "Which is louder?")
    third = Run.objects.get(parent=second)
    assert [m["content"] for m in third.messages][1:] == [
        "List 2 facts about owls (plain).",
        "Owls **hoot**.",
        "And bats?",
        "Bats *squeak*.",
        "Which is louder?",
    ]
    page = c.get(third.get_absolute_url()).content.decode()
    assert "Answer (turn 3)" in page and "<em>squeak</em>" in page
    # The box waits for the live turn's answer (run.js shows it on the final event).
    assert "hidden" in _tag(page, "run-followup")


def _tag(page: str, element_id: str) -> str:
    return re.search(rf'<[^>]*id="{element_id}"[^>]*>', page)[0]


def test_a_bad_followup_keeps_the_message_and_says_why(user, lister, settings):
    c = _client(user)
    first = _finish(services.run_create(tool=lister, user=user, inputs=_inputs()), "A1")
    blank = _followup(c, first, "   ")
    assert blank.status_code == 400 and "This field is required" in blank.content.decode()
    settings.GPTSTORE_MAX_PROMPT_TOKENS = 120
    _finish(first, "word " * 200)
    full = _followup(c, first, "Tell me more")
    page = full.content.decode()
    assert full.status_code == 400 and "too long for the model" in page
    assert "Tell me more</textarea>" in page
    assert Run.objects.count() == 1


def test_the_live_run_cap_is_shown_at_the_box(user, lister, settings):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 1
    first = _finish(services.run_create(tool=lister, user=user, inputs=_inputs()), "A1")
    services.run_create(tool=lister, user=user, inputs=_inputs())  # holds the one slot
    response = _followup(_client(user), first, "More?")
    assert response.status_code == 429 and "runs in progress" in response.content.decode()


def test_only_the_owner_may_follow_up(user, other_user, lister):
    first = _finish(services.run_create(tool=lister, user=user, inputs=_inputs()), "A1")
    assert _followup(_client(other_user), first, "hi").status_code == 404
    assert Client().post(f"/runs/{first.pk}/followup", {"message": "hi"}).status_code == 404
    assert _client(user).get(f"/runs/{first.pk}/followup").status_code == 405
    assert Run.objects.count() == 1


def test_an_earlier_turn_points_to_the_latest_and_has_no_box(user, lister):
    first = _finish(services.run_create(tool=lister, user=user, inputs=_inputs()), "A1")
    second = services.run_followup(parent=first, user=user, message="More")
    page = _client(user).get(first.get_absolute_url()).content.decode()
    assert second.get_absolute_url() in page and 'id="run-followup"' not in page


def test_sharing_a_turn_shares_its_thread(user, other_user, lister):
    first = _finish(services.run_create(tool=lister, user=user, inputs=_inputs()), "Owls hoot.")
    second = _finish(services.run_followup(parent=first, user=user, message="Bats?"), "Squeak.")
    _client(user).post(f"/runs/{second.pk}/share", {"shared": "1"})
    assert set(Run.objects.values_list("shared", flat=True)) == {True}
    page = _client(other_user).get(f"/s/{second.pk}/").content.decode()
    assert "Owls hoot." in page and "Bats?" in page and "Squeak." in page
    assert 'id="run-followup"' not in page
    second.refresh_from_db()
    third = services.run_followup(parent=second, user=user, message="And?")
    assert third.shared  # a follow-up of a shared thread is shared too
    _client(user).post(f"/runs/{second.pk}/share", {"shared": "0"})
    assert Client().get(f"/s/{first.pk}/").status_code == 404


def _inputs() -> dict:
    return {"count": 2, "topic": "owls", "tone": "plain"}
