"""Daily token budgets: refused the same way on the page, /api/ and /v1/; overrides; the
UTC day; and no overspending when creates race at the edge of a budget."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create
from tests.helpers import all_at_once
from tools import selectors, services, streams
from tools.models import Run, UsageBudget
from tools.selectors.usage import budget_reset_at

SPENT_TODAY = 1000


def spend(user, tool=None, *, tokens=SPENT_TODAY, days_ago=0, state=Run.State.SUCCEEDED):
    """A finished run of `user` that used `tokens` (prompt + completion), `days_ago` UTC days."""
    run = Run.objects.create(
        user=user,
        tool=tool,
        version=tool.current_version if tool else None,
        prompt="p",
        state=state,
        prompt_tokens=tokens // 4,
        completion_tokens=tokens - tokens // 4,
    )
    if days_ago:
        Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(days=days_ago))
    return run


def bearer(user) -> dict:
    _, secret = token_create(user=user, name="budget")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def assert_retry_after_is_the_reset(response):
    wait = int(response["Retry-After"])
    expected = (budget_reset_at() - timezone.now()).total_seconds()
    assert 0 < wait and abs(wait - expected) < 120


@pytest.fixture
def no_queue(monkeypatch):
    monkeypatch.setattr(streams, "ping", lambda: True)
    monkeypatch.setattr(services.runs, "run_enqueue", lambda **kw: True)


@pytest.fixture
def over_budget(user, tool, settings):
    """Alice spent today all of her 1000-token default budget."""
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = SPENT_TODAY
    spend(user, tool)


@pytest.mark.django_db
class TestRefusedEverywhere:
    def test_run_page_shows_the_message_with_429(self, client, user, tool, over_budget, no_queue):
        client.force_login(user)
        resp = client.post(f"/t/{tool.slug}/run", {"in-topic": "cats"})
        assert resp.status_code == 429
        html = resp.content.decode()
        assert "daily token budget" in html and "UTC" in html
        assert Run.objects.count() == 1

    def test_builder_test_panel_shows_the_message_with_429(
        self, client, user, draft, settings, no_queue
    ):
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = SPENT_TODAY
        spend(user)
        client.force_login(user)
        resp = client.post(reverse("builder_test", args=[draft.slug]), {"in-text": "hello"})
        assert resp.status_code == 429 and "daily token budget" in resp.content.decode()
        assert Run.objects.count() == 1

    def test_rest_api_is_429_json_with_retry_after(self, user, tool, over_budget):
        api = APIClient()
        api.credentials(**{"HTTP_AUTHORIZATION": bearer(user)["HTTP_AUTHORIZATION"]})
        resp = api.post("/api/runs/", {"tool": tool.slug, "inputs": {"topic": "x"}}, format="json")
        assert resp.status_code == 429, resp.content
        body = resp.json()
        assert body["code"] == "token_budget_exceeded" and "resets at" in body["detail"]
        assert_retry_after_is_the_reset(resp)
        assert Run.objects.count() == 1

    def test_openai_api_is_429_openai_body(self, user, tool, over_budget):
        chat = {"model": "base", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
        resp = Client().post(
            "/v1/chat/completions",
            json.dumps(chat),
            content_type="application/json",
            **bearer(user),
        )
        assert resp.status_code == 429, resp.content
        err = resp.json()["error"]
        assert err["type"] == "rate_limit_error" and err["code"] == "token_budget_exceeded"
        assert "daily token budget" in err["message"]
        assert_retry_after_is_the_reset(resp)
        assert Run.objects.count() == 1


@pytest.mark.django_db
class TestWhichBudget:
    def test_own_budget_beats_the_default_both_ways(self, user, tool, settings, no_queue):
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = SPENT_TODAY
        spend(user, tool)
        with pytest.raises(services.BudgetExceeded):
            services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        services.usage_budget_set(user=user, tokens_per_day=10 * SPENT_TODAY)
        services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = 100 * SPENT_TODAY
        services.usage_budget_set(user=user, tokens_per_day=SPENT_TODAY)
        with pytest.raises(services.BudgetExceeded):
            services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        assert UsageBudget.objects.count() == 1

    def test_zero_is_unlimited_as_default_and_as_override(self, user, tool, settings, no_queue):
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = 0
        spend(user, tool, tokens=10**9)
        services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = 10
        with pytest.raises(services.BudgetExceeded):
            services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        services.usage_budget_set(user=user, tokens_per_day=0)
        services.run_create(tool=tool, user=user, inputs={"topic": "x"})

    def test_only_today_utc_counts_and_others_do_not(
        self, user, other_user, tool, settings, no_queue
    ):
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = SPENT_TODAY
        spend(user, tool, days_ago=1)
        spend(other_user, tool)
        services.run_create(tool=tool, user=user, inputs={"topic": "x"})

    def test_a_run_bigger_than_the_whole_budget_is_refused(self, user, tool, settings, no_queue):
        settings.GPTSTORE_DAILY_TOKEN_BUDGET = 5  # lister: 8 new tokens alone
        with pytest.raises(services.BudgetExceeded) as exc:
            services.run_create(tool=tool, user=user, inputs={"topic": "x"})
        assert exc.value.status == 429 and exc.value.retry_after > 0
        assert Run.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_at_the_edge_never_overspend(user, tool, settings, no_queue):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 100
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 0
    # What one run holds while queued: its prompt estimate + its 8 new tokens.
    probe = services.run_create(tool=tool, user=user, inputs={"topic": "same"})
    held = selectors.tokens_used_today(user)
    assert held > 8
    services.run_cancel(run=probe)  # cancelled before it ran: spent nothing
    assert selectors.tokens_used_today(user) == 0
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 3 * held + held // 2
    n = 20
    results = all_at_once(
        n,
        lambda i: services.run_create(tool=tool, user=user, inputs={"topic": "same"}),
        services.BudgetExceeded,
    )
    assert results.count("ok") == 3
    assert all(isinstance(r, services.BudgetExceeded) for r in results if r != "ok")
    assert Run.objects.filter(user=user, state=Run.State.QUEUED).count() == 3
    assert selectors.tokens_used_today(user) <= settings.GPTSTORE_DAILY_TOKEN_BUDGET
