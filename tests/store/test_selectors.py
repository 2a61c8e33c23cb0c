from datetime import timedelta

import pytest
from django.utils import timezone

from store import selectors, services
from tools import services as tool_services
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


def _review(tool, django_user_model, stars_list):
    for i, stars in enumerate(stars_list):
        user = django_user_model.objects.create_user(f"r{tool.pk}-{i}")
        services.review_upsert(user=user, tool=tool, stars=stars)


def test_bayesian_top_rated_beats_one_lone_five(make_tool, django_user_model):
    lone = make_tool("Lone five")
    solid = make_tool("Solid")
    meh = make_tool("Meh")
    _review(lone, django_user_model, [5])
    _review(solid, django_user_model, [5, 5, 4, 5, 4, 5, 5, 4, 5, 5])
    _review(meh, django_user_model, [2, 3, 2])
    order = [t.name for t in selectors.tools_top_rated()]
    assert order == ["Solid", "Lone five", "Meh"]
    lone_bayes = next(t.bayes for t in selectors.tools_top_rated() if t.name == "Lone five")
    assert lone_bayes < 5


def test_trending_counts_only_last_week_runs(make_tool, user):
    old, fresh, hidden = make_tool("Old"), make_tool("Fresh"), make_tool("Hidden")
    Tool.objects.filter(pk=old.pk).update(run_count=100)

    def runs(tool, n, age_days):
        for _ in range(n):
            run = Run.objects.create(
                tool=tool, version=tool.current_version, user=user, prompt="x", state="succeeded"
            )
            when = timezone.now() - timedelta(days=age_days)
            Run.objects.filter(pk=run.pk).update(queued_at=when)

    runs(old, 5, age_days=30)
    runs(fresh, 2, age_days=1)
    runs(hidden, 7, age_days=1)
    Tool.objects.filter(pk=hidden.pk).update(visibility=Tool.Visibility.PRIVATE)
    trending = selectors.tools_trending()
    assert [t.name for t in trending] == ["Fresh"]
    assert trending[0].recent_runs == 2


def test_category_counts_and_author_stats_ignore_hidden(make_tool, category, user):
    make_tool("Pub", author=user, category=category)
    make_tool("Draft", author=user, category=category, status=Tool.Status.DRAFT)
    make_tool("Private", author=user, category=category, visibility=Tool.Visibility.PRIVATE)
    make_tool("Removed", author=user, category=category, status=Tool.Status.REMOVED)
    make_tool("Unlisted", author=user, category=category, visibility=Tool.Visibility.UNLISTED)
    Tool.objects.filter(author=user).update(run_count=10)
    counts = {c.slug: c.tool_count for c in selectors.categories_with_counts()}
    assert counts["writing"] == 1
    stats = selectors.author_stats(user)
    assert stats["tool_count"] == 1 and stats["total_runs"] == 10


def test_histogram_and_review_sorts(make_tool, django_user_model):
    tool = make_tool("Rated")
    _review(tool, django_user_model, [5, 5, 3])
    hist = {row["stars"]: row for row in selectors.tool_rating_histogram(tool)}
    assert hist[5]["count"] == 2 and hist[5]["percent"] == 67 and hist[1]["count"] == 0
    reviews = list(selectors.tool_reviews(tool))
    voter = django_user_model.objects.create_user("voter")
    services.review_helpful_toggle(user=voter, review=reviews[-1])
    assert selectors.tool_reviews(tool, sort="helpful")[0].pk == reviews[-1].pk
    assert selectors.tool_reviews(tool, sort="newest")[0].pk == reviews[0].pk


def test_similar_tools_without_embeddings_use_tags(make_tool):
    base = make_tool("Base", tags=["poetry", "fun"])
    close = make_tool("Close", tags=["poetry", "fun"])
    make_tool("Far", tags=["sql"])
    hidden = make_tool("Hidden twin", tags=["poetry", "fun"], status=Tool.Status.DRAFT)
    similar = selectors.tools_similar(base)
    assert similar[0] == close and hidden not in similar
    assert all(t.name != "Far" for t in similar)


def test_an_authors_own_runs_are_not_popularity(make_tool, user, django_user_model):
    """Neither trending nor the run count moves when authors run their own tools."""
    fan = django_user_model.objects.create_user("fan")
    mine, liked = make_tool("Mine", author=user), make_tool("Liked", author=user)
    for _ in range(5):
        own = Run.objects.create(
            tool=mine, version=mine.current_version, user=user, prompt="x", state="succeeded"
        )
        tool_services.tool_run_count_increment(run=own)
    fans = Run.objects.create(
        tool=liked, version=liked.current_version, user=fan, prompt="x", state="succeeded"
    )
    tool_services.tool_run_count_increment(run=fans)
    assert [t.name for t in selectors.tools_trending()] == ["Liked"]
    mine.refresh_from_db()
    liked.refresh_from_db()
    assert (mine.run_count, liked.run_count) == (0, 1)
