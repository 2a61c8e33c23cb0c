"""The creator's dashboard: run figures, rating trend, chart geometry, which tools it lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from store import selectors
from store.charts import runs_chart
from store.models import Review
from tests.factories import ReviewFactory, UserFactory
from tools import services as tool_services
from tools.models import Run

pytestmark = pytest.mark.django_db


def test_dashboard_figures(client, published, other_user):
    """Runs per day are counted runs (succeeded, not the author's); success, speed and tokens
    cover other people's runs; the author's own runs are shown apart and count nowhere."""
    now = timezone.now()
    v1 = published.current_version

    def run(state, *, days_ago=0, ttft=None, tokens=None, user=other_user):
        r = Run.objects.create(
            tool=published,
            version=v1,
            user=user,
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
    for _ in range(2):  # the author's own tries: slow and wordy, and never counted
        run("succeeded", ttft=10.0, tokens=100, user=published.author)
    ReviewFactory(user=other_user, tool=published, stars=4)
    published.refresh_from_db()
    data = selectors.tool_dashboard(published)
    assert data["last_30"] == 2 and data["own_last_30"] == 2
    assert data["runs"] == 5 and data["counted"] == 3
    assert data["success_rate"] == 75  # 3 of the 4 others' runs that finished
    assert data["median_ttft"] == 2.0
    assert data["tokens"] == 36
    assert data["series"][-1]["count"] == 2 and data["series"][-3]["count"] == 0
    assert len(data["series"]) == 30 and data["average_rating"] == 4.0
    assert (data["per_version"][0]["runs"], data["per_version"][0]["counted"]) == (5, 3)
    client.force_login(published.author)
    html = client.get(reverse("dashboard")).content.decode()
    assert "<svg" in html and 'class="chart-bar"' in html and "style=" not in html
    assert "75%" in html and "2.0 s" in html and published.name in html
    assert "What counts as a run:" in html
    assert '<dd data-testid="own-30">2</dd>' in html
    assert '<dd data-testid="counted-30">2</dd>' in html


def test_rating_trend_and_chart(published, other_user):
    old = ReviewFactory(user=other_user, tool=published, stars=2)
    Review.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=60))
    ReviewFactory(user=UserFactory(username="carol"), tool=published, stars=5)
    trend = selectors.rating_trend(published)
    assert trend == {"recent": 5.0, "before": 2.0, "delta": 3.0, "direction": "up"}
    chart = runs_chart([{"day": None, "count": c} for c in (0, 2, 4)])
    assert chart["peak"] == 4 and [b["h"] for b in chart["bars"]] == ["0.00", "34.00", "68.00"]
    assert runs_chart([])["bars"] == []


def test_dashboard_lists_only_own_live_tools(client, published, draft, other_user):
    mine = tool_services.tool_create(author=other_user, name="Not Yours")
    tool_services.tool_delete(tool=draft)
    client.force_login(published.author)
    html = client.get(reverse("dashboard")).content.decode()
    assert published.name in html and mine.name not in html and draft.name not in html
