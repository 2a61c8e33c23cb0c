"""One test per remaining finding: slug lengths, create races, malformed Bearer headers, the
events endpoint's 404s, rollback's version number, tiny temperatures, masked settings."""

import threading
from unittest import mock

import pytest
import torch
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.views.debug import get_default_exception_reporter_filter

from inference.params import SamplingParams
from inference.sampling import sample
from tools import sampling
from tools.models import Tag, Tool
from tools.services import tags_resolve, tool_create, unique_slug
from tools.services import tools as tool_services

from .conftest import bearer, post_json, row_counts

pytestmark = pytest.mark.django_db


# --- slugs ----------------------------------------------------------------------------------


def test_tag_whose_slug_grows_past_the_field(user):
    # "ǆ" is one character; its slug is "dz": 25 of them make a 50-character slug.
    [tag] = tags_resolve(names=["ǆ" * 25])
    assert len(tag.slug) <= Tag._meta.get_field("slug").max_length
    assert tags_resolve(names=["ǆ" * 25]) == [tag]


def test_tag_name_over_the_field_is_cut(user):
    [tag] = tags_resolve(names=["x" * 300])
    assert len(tag.name) <= Tag._meta.get_field("name").max_length


def test_tool_slug_fits_the_field_with_its_suffix(user):
    name = "ǆ" * 80
    first = tool_create(author=user, name=name)
    second = tool_create(author=user, name=name)
    limit = Tool._meta.get_field("slug").max_length
    assert first.slug != second.slug
    assert len(first.slug) <= limit and len(second.slug) <= limit
    assert len(unique_slug(Tool, "a" * 500)) <= limit


def test_api_tool_create_with_long_tags(user):
    r = post_json(Client(), "/api/tools/", {"name": "T", "tags": ["ǆ" * 25]}, **bearer(user))
    assert r.status_code == 201, r.content


# --- create races ---------------------------------------------------------------------------


def test_slug_taken_between_check_and_insert_is_retried(user):
    """What a concurrent create does: the slug was free when checked, taken at insert."""
    tool_create(author=user, name="Same Name")
    real = tool_services.unique_slug
    calls = []

    def stale(model, text):
        calls.append(text)
        return "same-name" if len(calls) == 1 else real(model, text)

    with mock.patch.object(tool_services, "unique_slug", stale):
        tool = tool_create(author=user, name="Same Name")
    assert tool.slug == "same-name-2" and len(calls) == 2


def test_explicit_slug_taken_is_a_409(user):
    tool_create(author=user, name="A", slug="taken")
    with pytest.raises(tool_services.SlugTaken) as exc:
        tool_create(author=user, name="B", slug="taken")
    assert exc.value.status == 409


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_name_creates_all_succeed(user):
    errors, slugs, barrier = [], [], threading.Barrier(8)

    def create():
        try:
            barrier.wait()
            slugs.append(tool_create(author=user, name="Race Tool", tags=["race"]).slug)
        except Exception as exc:  # the test reports whatever went wrong
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(slugs)) == 8


# --- authentication and the events endpoint -------------------------------------------------


@pytest.mark.parametrize("header", ["Bearerfoo", "Bearer", "Bearer a b", "bearer\tx y"])
def test_malformed_bearer_on_events_is_a_json_401(header, user, tool):
    run_id = "00000000-0000-0000-0000-000000000000"
    r = Client().get(f"/api/runs/{run_id}/events/", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401 and r.json()["code"] == "authentication_failed"


def test_malformed_bearer_on_the_rest_api_is_a_401(db):
    r = Client().get("/api/me/", HTTP_AUTHORIZATION="Bearerfoo")
    assert r.status_code == 401 and "detail" in r.json()


def test_events_of_an_unknown_run_is_a_json_404(user):
    run_id = "00000000-0000-0000-0000-000000000000"
    r = Client().get(f"/api/runs/{run_id}/events/", **bearer(user))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


# --- rollback -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["²", "١", "99999999999999999999", "-1", "1.0", ""])
def test_rollback_with_a_bad_version_number(number, user, tool):
    c = Client()
    c.force_login(user)
    before = row_counts()
    r = c.post(reverse("tool_rollback", args=[tool.slug]), {"version": number})
    assert r.status_code == 302 and r["Location"].endswith(f"/t/{tool.slug}/versions/")
    assert row_counts() == before


# --- temperature ----------------------------------------------------------------------------


@pytest.mark.parametrize("tiny", [1e-45, 1e-9, 9e-6])
def test_tiny_temperature_is_greedy_in_the_store(tiny, settings):
    assert sampling.api_sampling(temperature=tiny)["temperature"] == 0.0
    assert sampling.base_sampling({"temperature": tiny})["temperature"] == 0.0
    version = mock.Mock(sampling_defaults={"temperature": tiny})
    assert sampling.sampling_for(version=version)["temperature"] == 0.0
    assert sampling.api_sampling(temperature=0.5)["temperature"] == 0.5


def test_tiny_temperature_is_greedy_in_the_engine():
    logits = torch.tensor([[0.0, 3.0, 1.0, 2.0]] * 3)
    params = [SamplingParams(temperature=t, seed=1) for t in (1e-45, 1e-30, 1e-6)]
    assert sample(logits, params, [None, None, None]) == [1, 1, 1]


# --- DEBUG error pages ----------------------------------------------------------------------


def test_connection_urls_are_masked(settings):
    settings.DATABASE_URL = "postgres://app:hunter2@db:5432/store"
    settings.REDIS_URL = "redis://:s3cret@cache:6379/0"
    settings.SENTRY_HOST = "https://key:pw@sentry.example"
    safe = get_default_exception_reporter_filter().get_safe_settings()
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SENTRY_HOST"):
        assert "*" in str(safe[name]), name
    assert "s3cret" not in str(safe["CACHES"]) and "hunter2" not in str(safe)
