"""The foundation: real PostgreSQL, constraints in the database, exact counters."""

import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from store import services
from store.models import Resource, Review
from tests.factories import RunFactory
from tools import services as tool_services
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def tool(user):
    return tool_services.tool_create(author=user, name="Echo", tagline="Says it back")


def test_runs_on_postgresql_with_extensions():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cursor.fetchall()}
    assert {"vector", "pg_trgm"} <= extensions


@pytest.mark.parametrize("stars", [0, 6])
def test_database_refuses_out_of_range_stars(tool, other_user, stars):
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(user=other_user, tool=tool, stars=stars)


def test_database_refuses_second_review_by_same_user(tool, other_user):
    Review.objects.create(user=other_user, tool=tool, stars=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(user=other_user, tool=tool, stars=4)


def test_database_refuses_duplicate_slug(tool, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tool.objects.create(author=user, name="Other", slug=tool.slug)


def test_profile_created_with_user(django_user_model):
    u = django_user_model.objects.create_user("carol", password="x-pass-123")
    assert u.profile.name == "carol"


def test_tool_version_numbers_and_publish(tool):
    v1 = tool_services.tool_version_create(
        tool=tool,
        prompt_template="Say {{text}}",
        input_schema=[{"name": "text", "type": "short_text"}],
    )
    v2 = tool_services.tool_version_create(
        tool=tool,
        prompt_template="Repeat {{text}}",
        input_schema=[{"name": "text", "type": "short_text"}],
    )
    assert (v1.number, v2.number) == (1, 2)
    tool_services.tool_publish(tool=tool, version=v1)
    tool.refresh_from_db()
    assert tool.status == Tool.Status.PUBLISHED and tool.current_version == v1


def test_tool_version_refuses_undeclared_placeholder(tool):
    from tools.schema import SchemaError

    with pytest.raises(SchemaError) as err:
        tool_services.tool_version_create(
            tool=tool,
            prompt_template="Say {{text}} in {{lang}}",
            input_schema=[{"name": "text", "type": "short_text"}],
        )
    assert "lang" in str(err.value)
    assert tool.versions.count() == 0


def test_review_upsert_keeps_counters_exact(tool, other_user, django_user_model):
    third = django_user_model.objects.create_user("dave", password="x-pass-123")
    services.review_upsert(user=other_user, tool=tool, stars=5)
    services.review_upsert(user=third, tool=tool, stars=2)
    services.review_upsert(user=other_user, tool=tool, stars=3, text="changed my mind")
    tool.refresh_from_db()
    assert (tool.review_count, tool.rating_sum, tool.average_rating) == (2, 5, 2.5)
    services.review_delete(review=Review.objects.get(user=third))
    tool.refresh_from_db()
    assert (tool.review_count, tool.rating_sum) == (1, 3)


def test_review_of_own_tool_refused(tool, user):
    with pytest.raises(services.ReviewError):
        services.review_upsert(user=user, tool=tool, stars=5)


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_increment_run_count_exactly(user, other_user):
    tool = tool_services.tool_create(author=user, name="Counter")
    runs = [RunFactory(tool=tool, user=other_user, state=Run.State.SUCCEEDED) for _ in range(20)]
    barrier = threading.Barrier(20)
    errors = []

    def bump(run):
        try:
            barrier.wait()
            tool_services.tool_run_count_increment(run=run)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bump, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    tool.refresh_from_db()
    assert tool.run_count == 20


def test_load_demo_is_idempotent_and_complete():
    call_command("load_demo")
    counts = (Tool.objects.count(), Resource.objects.count(), Review.objects.count())
    call_command("load_demo")
    assert (Tool.objects.count(), Resource.objects.count(), Review.objects.count()) == counts
    published = Tool.objects.filter(status=Tool.Status.PUBLISHED).exclude(current_version=None)
    assert published.count() >= 12
    assert Resource.objects.count() >= 10
    slugs = set(published.values_list("slug", flat=True))
    assert {"translator", "summarizer", "ask-anything", "python-helper"} <= slugs
    for t in published:
        assert t.current_version.example_inputs, t.slug
    # Demo ratings are stored with exact counters.
    summarizer = Tool.objects.get(slug="summarizer")
    assert summarizer.review_count == summarizer.reviews.count()
    assert summarizer.rating_sum == sum(r.stars for r in summarizer.reviews.all())


def test_home_page_lists_demo_catalog(client):
    call_command("load_demo")
    response = client.get("/")
    assert response.status_code == 200
    assert "Summarizer" in response.content.decode()


def test_production_settings_pass_deploy_checks():
    import os
    import subprocess
    import sys

    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "store.example.com",
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
