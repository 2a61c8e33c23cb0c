"""Tests that close gaps a mutation run found: each one fails when the guarded line is
weakened (the server's token cap on /v1 and at the engine, the stored seed reaching the
engine, event attributes in published Markdown, the 1..5 star range, the trending window)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.openai.runs import create_run
from api.services import token_create
from store import selectors
from store.services import ReviewError, review_upsert
from store.templatetags.store_extras import markdown
from tests.factories import RunFactory, ToolFactory, UserFactory
from tools.models import Run
from tools.services.execution import _params

pytestmark = pytest.mark.django_db

CAP = 16


@pytest.fixture
def capped(settings):
    settings.GPTSTORE_MAX_NEW_TOKENS = CAP
    return CAP


def api(user) -> APIClient:
    _, secret = token_create(user=user, name="gaps")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- GPTSTORE_MAX_NEW_TOKENS on /v1 and at the engine ---------------------------------------


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_v1_max_tokens_above_the_cap_is_capped(capped, user, field):
    body = {"model": "base", "messages": [{"role": "user", "content": "Hi"}], field: 100_000}
    run = create_run(user, body, chat=True)
    stored = Run.objects.get(pk=run.pk)
    assert stored.sampling["max_new_tokens"] == CAP


def test_engine_params_cap_a_stored_run_above_the_cap(capped, user):
    # A run stored before the operator lowered the cap still stops at the cap.
    run = RunFactory(tool=None, version=None, user=user, sampling={"max_new_tokens": 5000})
    assert _params(run).max_new_tokens == CAP
    run.sampling = {"max_new_tokens": 3}
    assert _params(run).max_new_tokens == 3


# --- the stored seed reaches the engine -----------------------------------------------------


def test_engine_params_carry_the_stored_seed(user):
    run = RunFactory(
        tool=None, version=None, user=user, sampling={"temperature": 0.9, "seed": 424242}
    )
    params = _params(run)
    assert params.seed == 424242 and params.temperature == pytest.approx(0.9)


def test_v1_seed_is_stored_and_passed_on(user):
    body = {"model": "base", "prompt": "Once", "seed": 77, "temperature": 1.2, "max_tokens": 4}
    run = Run.objects.get(pk=create_run(user, body, chat=False).pk)
    assert run.sampling["seed"] == 77 and _params(run).seed == 77


# --- no event handler attributes survive the Markdown sanitiser -----------------------------

HOSTILE = (
    '<p onclick="steal()" onerror="steal()">para</p>\n\n'
    '<a href="https://x.example/" onmouseover="steal()" onerror="steal()">link</a>\n\n'
    '<b onerror="steal()">bold</b> <code onload="steal()">c</code>\n\n'
    '<table onerror="steal()"><tr><td onfocus="steal()">cell</td></tr></table>'
)


def test_markdown_keeps_allowed_tags_but_drops_every_on_attribute():
    html = str(markdown(HOSTILE))
    assert "<p>" in html or "<p " in html
    assert 'href="https://x.example/"' in html and "<b>" in html and "<td>" in html
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), html
    assert "steal" not in html


# --- stars must be 1..5, on create and on edit, in the service and through the API ----------


@pytest.fixture
def reviewed(other_user):
    return ToolFactory(name="Rated")


@pytest.mark.parametrize("stars", [0, 6])
def test_review_stars_out_of_range_are_refused_by_the_service(reviewed, other_user, stars):
    with pytest.raises(ReviewError, match="1 to 5"):
        review_upsert(user=other_user, tool=reviewed, stars=stars)
    review_upsert(user=other_user, tool=reviewed, stars=3)
    with pytest.raises(ReviewError, match="1 to 5"):
        review_upsert(user=other_user, tool=reviewed, stars=stars)
    reviewed.refresh_from_db()
    assert (reviewed.review_count, reviewed.rating_sum) == (1, 3)


@pytest.mark.parametrize("stars", [0, 6])
def test_review_stars_out_of_range_are_400_through_the_api(reviewed, other_user, stars):
    client = api(other_user)
    r = client.post("/api/reviews/", {"tool": reviewed.slug, "stars": stars}, format="json")
    assert r.status_code == 400 and "stars" in r.json()
    made = client.post("/api/reviews/", {"tool": reviewed.slug, "stars": 4}, format="json")
    assert made.status_code == 201
    review_id = made.json()["id"]
    r = client.patch(f"/api/reviews/{review_id}/", {"stars": stars}, format="json")
    assert r.status_code == 400 and "stars" in r.json()
    assert client.get(f"/api/reviews/{review_id}/").json()["stars"] == 4


def test_review_bounds_are_accepted(reviewed, other_user):
    assert review_upsert(user=other_user, tool=reviewed, stars=1).stars == 1
    assert review_upsert(user=other_user, tool=reviewed, stars=5).stars == 5


# --- trending counts the last 7 days only ----------------------------------------------------


def test_trending_counts_runs_of_the_last_seven_days_only():
    recent, old = ToolFactory(name="Six days"), ToolFactory(name="Eight days")
    runner = UserFactory(username="runner")
    now = timezone.now()
    for tool, age_days in ((recent, 6), (old, 8), (old, 8)):
        run = RunFactory(tool=tool, user=runner, state=Run.State.SUCCEEDED)
        Run.objects.filter(pk=run.pk).update(queued_at=now - timedelta(days=age_days))
    trending = selectors.tools_trending()
    assert [(t.name, t.recent_runs) for t in trending] == [("Six days", 1)]
