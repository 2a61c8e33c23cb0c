import threading

import pytest
from django.db import connection
from django.urls import reverse

from store import services
from store.models import Favorite, Report, Review, ReviewVote
from tools.models import Tool

pytestmark = pytest.mark.django_db


def test_second_review_edits_the_first(make_tool, user):
    tool = make_tool()
    services.review_upsert(user=user, tool=tool, stars=2, text="meh")
    services.review_upsert(user=user, tool=tool, stars=4, text="better now")
    tool.refresh_from_db()
    assert Review.objects.filter(tool=tool).count() == 1
    assert (tool.review_count, tool.rating_sum, tool.average_rating) == (1, 4, 4.0)
    assert Review.objects.get(tool=tool).text == "better now"


def test_no_review_of_own_tool(make_tool, user, client):
    tool = make_tool(author=user)
    with pytest.raises(services.ReviewError):
        services.review_upsert(user=user, tool=tool, stars=5)
    client.force_login(user)
    client.post(reverse("review_submit", args=[tool.slug]), {"stars": 5})
    assert not Review.objects.exists()


def test_review_through_the_page_and_htmx(make_tool, user, client):
    tool = make_tool()
    client.force_login(user)
    url = reverse("review_submit", args=[tool.slug])
    response = client.post(url, {"stars": 4, "text": "Nice"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="average-rating">4.0<' in html and 'hx-swap-oob="true"' in html
    response = client.post(url, {"stars": 9})  # invalid: nothing changes, no error page
    assert response.status_code == 302
    tool.refresh_from_db()
    assert (tool.review_count, tool.rating_sum) == (1, 4)


def test_anonymous_cannot_post(make_tool, client):
    tool = make_tool()
    for name, args in [
        ("review_submit", [tool.slug]),
        ("favorite_toggle", [tool.slug]),
        ("report_tool", [tool.slug]),
    ]:
        response = client.post(reverse(name, args=args), {"stars": 5, "reason": "spam"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Review.objects.exists() and not Favorite.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_counters_exact_under_concurrent_reviews(make_tool, django_user_model):
    tool = make_tool()
    users = [django_user_model.objects.create_user(f"c{i}") for i in range(8)]
    stars = [1, 2, 3, 4, 5, 5, 4, 3]
    errors = []
    barrier = threading.Barrier(len(users))

    def review(u, s):
        try:
            barrier.wait(timeout=10)
            services.review_upsert(user=u, tool=tool, stars=s)
            services.review_upsert(user=u, tool=tool, stars=s)  # an edit, same value
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=a) for a in zip(users, stars, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    tool.refresh_from_db()
    assert tool.review_count == 8 == Review.objects.filter(tool=tool).count()
    assert tool.rating_sum == sum(stars)


def test_helpful_vote_once_per_user_and_not_own(make_tool, user, other_user, client):
    tool = make_tool()
    review = services.review_upsert(user=user, tool=tool, stars=5)
    assert services.review_helpful_toggle(user=other_user, review=review) is True
    review.refresh_from_db()
    assert review.helpful_count == 1
    assert services.review_helpful_toggle(user=other_user, review=review) is False  # undo
    review.refresh_from_db()
    assert review.helpful_count == 0 == ReviewVote.objects.count()
    with pytest.raises(services.ReviewError):
        services.review_helpful_toggle(user=user, review=review)
    client.force_login(other_user)
    response = client.post(reverse("review_helpful", args=[review.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_favorites_toggle_and_page(make_tool, user, client):
    tool = make_tool("Starred")
    client.force_login(user)
    response = client.post(reverse("favorite_toggle", args=[tool.slug]), HTTP_HX_REQUEST="true")
    assert "In your favorites" in response.content.decode()
    assert "Starred" in client.get(reverse("favorites")).content.decode()
    Tool.objects.filter(pk=tool.pk).update(status=Tool.Status.REMOVED)
    assert "Starred" not in client.get(reverse("favorites")).content.decode()
    assert services.favorite_toggle(user=user, tool=tool) is False
    assert not Favorite.objects.exists()


def test_reports_land_in_the_queue_once(make_tool, user, other_user, client, admin_user):
    tool = make_tool()
    review = services.review_upsert(user=other_user, tool=tool, stars=1, text="spam spam")
    client.force_login(user)
    client.post(reverse("report_tool", args=[tool.slug]), {"reason": "broken", "details": "x"})
    client.post(reverse("report_review", args=[review.pk]), {"reason": "spam"})
    client.post(reverse("report_review", args=[review.pk]), {"reason": "spam"})  # duplicate
    assert Report.objects.filter(status="open").count() == 2
    with pytest.raises(services.ReportError):
        services.report_create(reporter=user, reason="spam", review=review)
    report = Report.objects.get(review=review)
    services.report_close(report=report, by=admin_user, status=Report.Status.DISMISSED)
    services.report_create(reporter=user, reason="spam", review=review)  # may report again
    client.force_login(admin_user)
    assert client.get("/admin/store/report/").status_code == 200


def test_embedding_is_queued_after_commit(
    make_tool, django_capture_on_commit_callbacks, monkeypatch
):
    from store import tasks

    sent = []
    monkeypatch.setattr(tasks.tool_embed, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tool = make_tool("Queued")
    assert not sent  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert [tool.pk] in sent
