"""The model registry: what it reads, what it refuses, and how it routes runs (without a
worker; tests/tools/test_models_live.py runs two models and a remote one for real)."""

import json
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from inference.defaults import DEFAULT_NAME
from tests.api.conftest import bearer_client
from tools import registry, selectors, services, streams
from tools.models import Run
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db

TWO = """
[[models]]
id = "smol"
name = "SmolLM2 135M"
description = "Small and fast."

[[models]]
id = "big-remote"
name = "Big remote"
backend = "openai"
base_url = "http://127.0.0.1:9/v1"
context_length = 32768
api_key_env = "BIG_KEY"
sampling = { temperature = 0.2 }
"""


@pytest.fixture
def two_models(settings, tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(TWO)
    settings.GPTSTORE_MODELS_FILE = str(path)
    return path


def test_without_a_file_the_default_model_is_the_one_model(settings):
    settings.GPTSTORE_MODELS_FILE = ""
    assert list(registry.models()) == [DEFAULT_NAME]
    spec = registry.get_model("")
    assert spec.id == DEFAULT_NAME and spec.backend == "builtin" and spec.path == ""
    assert spec.queue == f"inference.{DEFAULT_NAME}"


def test_a_file_lists_models_in_order_and_the_first_is_the_default(two_models, settings):
    assert list(registry.models()) == ["smol", "big-remote"]
    assert registry.default_model_id() == "smol"
    big = registry.get_model("big-remote")
    assert big.is_remote and big.context_length == 32768 and big.sampling == {"temperature": 0.2}
    settings.GPTSTORE_DEFAULT_MODEL = "big-remote"
    assert registry.default_model_id() == "big-remote"
    assert registry.get_model("nope") is None


@pytest.mark.parametrize(
    "text,message",
    [
        ('[[models]]\nid = "a b"', "id must be"),
        ('[[models]]\nid = "a"\ncolour = "red"', "unknown keys"),
        ('[[models]]\nid = "a"\n[[models]]\nid = "a"', "appears twice"),
        ('[[models]]\nid = "a"\nbackend = "openai"', "needs base_url"),
        ('[[models]]\nid = "a"\nbackend = "magic"', "backend must be"),
        ('[[models]]\nid = "a"\nsampling = { temperature = 9 }', "sampling.temperature"),
        ("models = 3", "at least one"),
        ("[[models", "GPTSTORE_MODELS_FILE"),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem(settings, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    settings.GPTSTORE_MODELS_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match=message):
        registry.models()


def test_an_unknown_default_or_worker_model_is_refused(two_models, settings):
    settings.GPTSTORE_WORKER_MODELS = "smol,ghost"
    with pytest.raises(ImproperlyConfigured, match="ghost"):
        registry.worker_models()
    settings.GPTSTORE_WORKER_MODELS = ""
    assert [m.id for m in registry.worker_models()] == ["smol"]
    settings.GPTSTORE_DEFAULT_MODEL = "ghost"
    with pytest.raises(ImproperlyConfigured, match="ghost"):
        registry.default_model_id()


def test_a_version_pins_its_model_and_a_new_model_is_a_new_version(two_models, user):
    tool = services.tool_create(author=user, name="Pinned")
    first = services.tool_version_create(
        tool=tool, prompt_template="Hi {{x}}", input_schema=[{"name": "x", "type": "short_text"}]
    )
    assert first.model == "smol"  # the default, written down
    services.tool_publish(tool=tool, version=first)
    same = services.tool_draft_save(
        tool=tool, prompt_template="Hi {{x}}", input_schema=first.input_schema
    )
    assert same.pk == first.pk  # nothing changed
    moved = services.tool_draft_save(
        tool=tool, prompt_template="Hi {{x}}", input_schema=first.input_schema, model="big-remote"
    )
    assert moved.number == 2 and moved.model == "big-remote"
    first.refresh_from_db()
    assert first.model == "smol"
    with pytest.raises(SchemaError) as exc:
        services.tool_draft_save(
            tool=tool, prompt_template="Hi {{x}}", input_schema=first.input_schema, model="gpt-9"
        )
    assert "model" in exc.value.errors
    remix = services.version_copy(source=moved, tool=tool, changelog="copy")
    assert remix.model == "big-remote"


def test_runs_keep_the_version_and_model_they_used(two_models, user, make_tool):
    tool = make_tool(lister=True)
    before = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    head = tool.current_version
    moved = services.tool_draft_save(
        tool=tool,
        prompt_template=head.prompt_template,
        input_schema=head.input_schema,
        system_prompt=head.system_prompt,
        sampling_defaults=head.sampling_defaults,
        model="big-remote",
    )
    services.tool_publish(tool=tool, version=moved)
    tool.refresh_from_db()
    after = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    before.refresh_from_db()
    assert (before.version_id, before.model_key) == (head.pk, "smol")
    assert (after.version_id, after.model_key) == (moved.pk, "big-remote")


@pytest.mark.django_db(transaction=True)  # the task is sent after commit
def test_runs_go_to_their_models_queue(two_models, user, make_tool, redis_client):
    tool = make_tool(lister=True)
    version = tool.current_version
    version.model = "big-remote"
    version.save()
    run = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    assert run.model_key == "big-remote"
    queued = redis_client.lrange("inference.big-remote", 0, -1)
    assert any(run.task_id in m for m in queued)
    assert not any(run.task_id in m for m in redis_client.lrange("inference.smol", 0, -1))
    redis_client.delete("inference.big-remote")


def test_a_removed_model_is_said_clearly_and_stores_nothing(two_models, user, make_tool):
    tool = make_tool(lister=True)
    ToolVersion = type(tool.current_version)
    ToolVersion.objects.filter(pk=tool.current_version_id).update(model="retired")
    tool.refresh_from_db()
    with pytest.raises(services.RunError) as exc:
        services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    assert exc.value.status == 409 and exc.value.code == "model_unavailable"
    assert "no longer offers" in exc.value.message
    assert not Run.objects.exists()
    c = Client()
    c.force_login(user)
    page = c.post(f"/t/{tool.slug}/run", {"in-topic": "owls"})
    assert page.status_code == 409 and "no longer offers" in page.content.decode()


def test_the_reconciler_fails_runs_queued_for_a_removed_model(two_models, user, make_tool):
    tool = make_tool(lister=True)
    run = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    Run.objects.filter(pk=run.pk).update(model_key="retired")
    assert services.run_reconcile()["failed"] == 1
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and run.error_code == Run.ErrorCode.MODEL_UNAVAILABLE


def test_a_queued_run_says_when_no_worker_serves_its_model(two_models, user, make_tool):
    r = streams.client()
    key = streams.METRICS_PREFIX + "test-registry-worker"
    r.delete(key)
    assert "No worker is serving Big remote" in selectors.waiting_reason("big-remote")
    r.set(key, json.dumps({"updated": time.time(), "models": {"big-remote": {}}}), ex=60)
    try:
        assert selectors.waiting_reason("big-remote") == ""
        assert "smol" not in selectors.models_served()
    finally:
        r.delete(key)
    assert "no longer offered" in selectors.waiting_reason("retired")


@pytest.mark.django_db(transaction=True)
def test_a_worker_forwards_a_run_of_a_model_it_does_not_serve(
    two_models, settings, user, make_tool, redis_client
):
    settings.GPTSTORE_WORKER_MODELS = "smol"
    tool = make_tool(lister=True)
    Type = type(tool.current_version)
    Type.objects.filter(pk=tool.current_version_id).update(model="big-remote")
    tool.refresh_from_db()
    run = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    redis_client.delete("inference.big-remote")
    assert services.run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.state == Run.State.QUEUED and run.attempts == 0  # not claimed here
    assert redis_client.llen("inference.big-remote") == 1
    redis_client.delete("inference.big-remote")


def test_the_apis_name_the_model(two_models, user, make_tool):
    tool = make_tool(lister=True, author=user)
    api = bearer_client(user)
    listed = api.get("/v1/models").json()["data"]
    assert [m["id"] for m in listed][:2] == ["smol", "big-remote"]
    assert api.get(f"/api/tools/{tool.slug}/").json()["model"] == "smol"
    body = {"prompt_template": "Hi {{x}}", "input_schema": [{"name": "x", "type": "short_text"}]}
    made = api.post(
        f"/api/tools/{tool.slug}/versions/", {**body, "model": "big-remote"}, format="json"
    )
    assert made.status_code == 201 and made.json()["model"] == "big-remote"
    bad = api.post(f"/api/tools/{tool.slug}/versions/", {**body, "model": "gpt-9"}, format="json")
    assert bad.status_code == 400 and "model" in bad.json()
    chat = {"model": "big-remote", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    response = api.post("/v1/chat/completions", chat, format="json")
    assert response.status_code == 200
    run = Run.objects.get(pk=response["X-Run-Id"])
    assert run.model_key == "big-remote" and run.tool is None
    assert api.get(f"/api/runs/{run.pk}/").json()["model"] == "big-remote"
    missing = api.post("/v1/chat/completions", {**chat, "model": "gpt-9"}, format="json")
    assert missing.status_code == 404


def test_a_bad_file_stops_a_process_at_start(tmp_path):
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text('[[models]]\nid = "a"\nbackend = "openai"\n')
    env = {**os.environ, "GPTSTORE_MODELS_FILE": str(bad)}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "model a: an openai backend needs base_url" in done.stderr


def test_a_version_on_a_removed_model_cannot_be_published_or_run_from_its_page(
    two_models, user, make_tool
):
    tool = make_tool(lister=True)
    version = tool.current_version
    type(version).objects.filter(pk=version.pk).update(model="retired")
    version.refresh_from_db()
    with pytest.raises(SchemaError) as exc:
        services.tool_publish(tool=tool, version=version)
    assert "retired" in exc.value.errors["model"][0]
    c = Client()
    c.force_login(user)
    page = c.get(f"/t/{tool.slug}/run").content.decode()
    assert "is not available on this store right now" in page and 'id="run-form"' not in page
