"""Conversations: a follow-up is a run that carries the whole conversation before it."""

import pytest

from core.errors import ApplicationError
from tools import selectors, services
from tools.models import Run
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db

INPUTS = {"count": 3, "topic": "owls", "tone": "plain"}


def _answered(run: Run, text: str, state: str = Run.State.SUCCEEDED) -> Run:
    Run.objects.filter(pk=run.pk).update(state=state, output=text)
    run.refresh_from_db()
    return run


@pytest.fixture
def first(user, make_tool):
    tool = make_tool(lister=True)
    return _answered(services.run_create(tool=tool, user=user, inputs=INPUTS), "A1")


def test_a_followup_sends_the_system_prompt_first_prompt_answers_and_message(user, first):
    second = services.run_followup(parent=first, user=user, message="  And bats?  ")
    assert second.messages == [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "List 3 facts about owls (plain)."},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "And bats?"},
    ]
    assert (second.parent_id, second.thread, second.turn) == (first.pk, first.pk, 2)
    assert (second.tool_id, second.version_id) == (first.tool_id, first.version_id)
    assert second.prompt == "And bats?" and second.state == Run.State.QUEUED

    third = services.run_followup(parent=_answered(second, "A2"), user=user, message="Shorter.")
    assert [m["content"] for m in third.messages] == [
        "You are brief.",
        "List 3 facts about owls (plain).",
        "A1",
        "And bats?",
        "A2",
        "Shorter.",
    ]
    assert (third.thread, third.turn) == (first.pk, 3)
    assert [t.pk for t in selectors.thread_turns(third)] == [first.pk, second.pk, third.pk]


def test_a_first_turn_is_its_own_thread(first):
    assert (first.thread, first.turn, first.parent_id) == (first.pk, 1, None)
    assert selectors.thread_turns(first) == [first]


def test_a_branch_shows_only_its_own_line(user, first):
    a = _answered(services.run_followup(parent=first, user=user, message="a"), "x")
    b = services.run_followup(parent=first, user=user, message="b")
    assert [t.pk for t in selectors.thread_turns(b)] == [first.pk, b.pk]
    assert [t.pk for t in selectors.thread_turns(a)] == [first.pk, a.pk]


def test_a_turn_cancelled_before_any_answer_keeps_the_thread_usable(user, first):
    second = services.run_followup(parent=first, user=user, message="Go on")
    services.run_cancel(run=second)
    second.refresh_from_db()
    assert second.state == Run.State.CANCELLED
    third = services.run_followup(parent=second, user=user, message="Try again")
    roles = [m["role"] for m in third.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert third.messages[4]["content"] == ""


def test_a_live_turn_cannot_be_followed_up(user, make_tool):
    run = services.run_create(tool=make_tool(lister=True), user=user, inputs=INPUTS)
    with pytest.raises(ApplicationError, match="Wait for this answer"):
        services.run_followup(parent=run, user=user, message="hi")
    assert Run.objects.count() == 1


def test_only_the_owner_can_follow_up(other_user, first):
    with pytest.raises(ApplicationError) as exc:
        services.run_followup(parent=first, user=other_user, message="hi")
    assert exc.value.status == 403
    assert Run.objects.count() == 1


def test_a_plain_completion_cannot_be_continued(user):
    run = _answered(services.run_create_base(user=user, prompt="Once upon"), " a time")
    with pytest.raises(ApplicationError, match="plain-text completion"):
        services.run_followup(parent=run, user=user, message="hi")


@pytest.mark.parametrize("message", ["", "   ", "x" * 8001])
def test_a_bad_message_is_a_field_error(user, first, message):
    with pytest.raises(SchemaError) as exc:
        services.run_followup(parent=first, user=user, message=message)
    assert "message" in exc.value.errors
    assert Run.objects.count() == 1


def test_a_conversation_over_the_prompt_limit_is_refused_clearly(user, first, settings):
    settings.GPTSTORE_MAX_PROMPT_TOKENS = 200
    long = _answered(first, "word " * 400)
    with pytest.raises(SchemaError) as exc:
        services.run_followup(parent=long, user=user, message="and?")
    assert exc.value.code == Run.ErrorCode.PROMPT_TOO_LONG
    assert "Start a new run" in exc.value.errors["message"][0]
    assert Run.objects.count() == 1


def test_a_followup_keeps_the_sampling_and_sharing_of_its_thread(user, first):
    Run.objects.filter(pk=first.pk).update(shared=True, sampling={"temperature": 0.0})
    first.refresh_from_db()
    second = services.run_followup(parent=first, user=user, message="more")
    assert second.shared and second.sampling == {"temperature": 0.0}


def test_the_budget_reserves_the_whole_conversation(user, first):
    before = selectors.tokens_used_today(user)
    second = services.run_followup(parent=_answered(first, "word " * 300), user=user, message="x")
    reserved = selectors.tokens_used_today(user) - before
    assert reserved > 300 + int(second.sampling.get("max_new_tokens") or 0)


def test_deleting_a_first_turn_deletes_its_followups(user, first):
    services.run_followup(parent=first, user=user, message="more")
    Run.objects.filter(pk=first.pk).delete()
    assert not Run.objects.filter(thread=first.pk).exists()
