"""How the store's pages show a refused action: on the form when there is one to show again,
else as a message on the page the visitor returns to."""

import pytest
from django.urls import reverse

from store import services
from store.models import Report, Resource, Review

pytestmark = pytest.mark.django_db


def test_review_of_own_tool_is_refused_with_a_message(make_tool, user, client):
    tool = make_tool(author=user)
    client.force_login(user)
    response = client.post(reverse("review_submit", args=[tool.slug]), {"stars": 5}, follow=True)
    assert "You cannot review your own tool." in response.content.decode()
    assert not Review.objects.exists()


def test_invalid_stars_fall_back_to_the_stars_message(make_tool, user, client):
    tool = make_tool()
    client.force_login(user)
    response = client.post(reverse("review_submit", args=[tool.slug]), {"stars": 9}, follow=True)
    assert "Choose from 1 to 5 stars." in response.content.decode()


def test_refused_review_shows_on_the_htmx_form(make_tool, user, client, monkeypatch):
    tool = make_tool()

    def refuse(**kwargs):
        raise services.ReviewError("You have already reviewed this tool.")

    monkeypatch.setattr(services, "review_upsert", refuse)
    client.force_login(user)
    response = client.post(
        reverse("review_submit", args=[tool.slug]), {"stars": 4}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "You have already reviewed this tool." in html
    assert "Thanks, your review is saved." not in html


def test_helpful_vote_on_own_review(make_tool, user, client):
    review = services.review_upsert(user=user, tool=make_tool(), stars=5)
    client.force_login(user)
    url = reverse("review_helpful", args=[review.pk])
    response = client.post(url, follow=True)
    assert "You cannot vote on your own review." in response.content.decode()
    review.refresh_from_db()
    assert review.helpful_count == 0


def test_duplicate_report_says_it_is_already_reported(make_tool, user, client):
    tool = make_tool()
    client.force_login(user)
    url = reverse("report_tool", args=[tool.slug])
    first = client.post(url, {"reason": "broken"}, follow=True).content.decode()
    assert "Thanks. A moderator will review your report." in first
    again = client.post(url, {"reason": "broken"}, follow=True).content.decode()
    assert "You have already reported this; a moderator will look at it." in again
    assert Report.objects.count() == 1


def test_refused_resource_shows_on_the_form(user, client, monkeypatch):
    def refuse(**kwargs):
        raise services.ResourceError(
            "Choose a kind of resource.", errors={"kind": ["Choose a kind of resource."]}
        )

    monkeypatch.setattr(services, "resource_submit", refuse)
    client.force_login(user)
    data = {"title": "A paper", "url": "https://example.com/p", "kind": "paper"}
    response = client.post(reverse("resource_submit"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_kind-errors"' in html and "Choose a kind of resource." in html
    assert not Resource.objects.exists()


def test_resource_suggestion_waits_for_a_moderator(user, client):
    client.force_login(user)
    data = {"title": "A paper", "url": "https://example.com/p", "kind": "paper"}
    response = client.post(reverse("resource_submit"), data)
    assert response.status_code == 302 and response["Location"] == reverse("resources")
    assert Resource.objects.get().approved is False
