"""The usage page (/me/usage/): a user's own figures only; the admin's top users and tools."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tools import services
from tools.models import Run

pytestmark = pytest.mark.django_db


def spend(user, tool, tokens, *, days_ago=0, state=Run.State.SUCCEEDED):
    run = Run.objects.create(
        user=user,
        tool=tool,
        version=tool.current_version if tool else None,
        prompt="p",
        state=state,
        prompt_tokens=tokens // 2 if tokens else None,
        completion_tokens=tokens - tokens // 2 if tokens else None,
    )
    if days_ago:
        Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(days=days_ago))
    return run


@pytest.fixture
def history(user, other_user, make_tool, settings):
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 5000
    writer = make_tool("Story Writer")
    namer = make_tool("Name Finder")
    spend(user, writer, 300)
    spend(user, writer, 120)
    spend(user, namer, 77, days_ago=2)
    spend(user, None, 11, days_ago=3)  # the base model through /v1/
    spend(user, namer, 999, days_ago=45)  # out of the 30-day window
    spend(other_user, namer, 40_000)  # Bob's: never on Alice's page
    return {"writer": writer, "namer": namer}


def test_usage_page_shows_the_users_own_figures(client, user, history):
    client.force_login(user)
    resp = client.get(reverse("usage"))
    assert resp.status_code == 200
    status = resp.context["status"]
    assert (status.budget, status.used, status.left) == (5000, 420, 4580)
    days = {d["day"]: d for d in resp.context["active_days"]}
    today = timezone.now().date()
    assert days[today]["tokens"] == 420 and days[today]["runs"] == 2
    assert days[today - timedelta(days=2)]["tokens"] == 77
    assert len(days) == 3
    by_tool = [
        (r["tool"].name if r["tool"] else None, r["tokens"]) for r in resp.context["by_tool"]
    ]
    assert by_tool == [("Story Writer", 420), ("Name Finder", 77), (None, 11)]
    assert resp.context["total_tokens"] == 508
    html = resp.content.decode()
    assert "4,580" in html and "Story Writer" in html and "00:00 UTC" in html
    assert "40000" not in html


def test_usage_page_counts_runs_in_flight_at_their_reservation(client, user, tool, settings):
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 0
    services.usage_budget_set(user=user, tokens_per_day=1000)
    run = Run.objects.create(
        user=user,
        tool=tool,
        version=tool.current_version,
        prompt="p",
        sampling={"max_new_tokens": 200},
    )
    client.force_login(user)
    status = client.get(reverse("usage")).context["status"]
    assert status.budget == 1000 and status.used > 200 and status.left < 800
    Run.objects.filter(pk=run.pk).update(state=Run.State.CANCELLED)
    assert client.get(reverse("usage")).context["status"].used == 0


def test_usage_page_is_only_for_the_signed_in_user(client, other_user, history):
    resp = client.get(reverse("usage"))
    assert resp.status_code == 302 and "/login" in resp["Location"]
    client.force_login(other_user)
    resp = client.get(reverse("usage"))
    assert resp.context["status"].used == 40_000
    html = resp.content.decode()
    assert "Story Writer" not in html and "Name Finder" in html


def test_usage_page_is_linked_from_the_tokens_and_runs_pages(client, user):
    client.force_login(user)
    for page in ("api_tokens", "run_list"):
        assert reverse("usage") in client.get(reverse(page)).content.decode()


def test_admin_top_users_and_tools_for_staff_only(client, user, history):
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    top = reverse("admin:tools_usage_top")
    client.force_login(user)
    assert client.get(top).status_code == 302  # to the admin login
    client.force_login(staff)
    resp = client.get(top)
    assert resp.status_code == 200
    today, month = resp.context["windows"]
    assert [(r["user"].username, r["tokens"]) for r in today["users"]] == [
        ("bob", 40_000),
        ("alice", 420),
    ]
    assert [(r["tool"].name if r["tool"] else None, r["tokens"]) for r in month["tools"]] == [
        ("Name Finder", 40_077),
        ("Story Writer", 420),
        (None, 11),
    ]
    html = resp.content.decode()
    assert "Top users" in html and "Name Finder" in html and "40,000" in html
    changelist = client.get(reverse("admin:tools_usagebudget_changelist"))
    assert changelist.status_code == 200 and top in changelist.content.decode()
    add = client.post(
        reverse("admin:tools_usagebudget_add"), {"user": user.pk, "tokens_per_day": 123, "note": ""}
    )
    assert add.status_code == 302 and user.usage_budget.tokens_per_day == 123
