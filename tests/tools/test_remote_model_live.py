"""A model on an OpenAI-compatible server, end to end: a tool pinned to it runs through a
worker that streams from the server. The server is this store's own /v1 (a real server: web
process + worker + the default model), so the test sees the server's side of every run."""

import socket
import time

import pytest

from api.models import ApiToken
from api.services import token_create
from bench import processes as stack
from tests.helpers import wait_final
from tools import services, streams
from tools.models import Run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "remote-model-worker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(stack_env, tmp_path_factory, django_db_blocker):
    """(registry file, the API user): the store's web + a worker serving both the default
    model (what /v1 answers with) and the remote models that call that /v1."""
    port = _free_port()
    registry = tmp_path_factory.mktemp("remote") / "models.toml"
    registry.write_text(
        f"""
[[models]]
id = "smol"
name = "SmolLM2"

[[models]]
id = "remote"
name = "Smol over HTTP"
backend = "openai"
base_url = "http://127.0.0.1:{port}/v1"
remote_model = "smol"
api_key_env = "REMOTE_TEST_KEY"
max_in_flight = 2

[[models]]
id = "down"
name = "Nobody home"
backend = "openai"
base_url = "http://127.0.0.1:{_free_port()}/v1"
"""
    )
    with django_db_blocker.unblock():
        from django.contrib.auth import get_user_model

        # Each test's database starts empty: keep the key's row to put back (`api_user`).
        owner = get_user_model().objects.create_user("remote-key-maker")
        token, key = token_create(user=owner, name="remote model")
        token_row = {"prefix": token.prefix, "secret_hash": token.secret_hash}
        owner.delete()
    r = streams.client()
    r.delete("inference", "inference.smol", "inference.remote", "inference.down", "default")
    env = {
        **stack_env,
        "GPTSTORE_MODELS_FILE": str(registry),
        "GPTSTORE_WORKER_MODELS": "smol,remote,down",
        "REMOTE_TEST_KEY": key,
        "GPTSTORE_MAX_LIVE_RUNS_PER_USER": "20",
    }
    web, _ = stack.start_web(env, "remote-web", port=port)
    worker = stack.start_worker(env, WORKER, concurrency=8)
    try:
        stack.wait_engine_ready(r, WORKER, worker)
        yield registry, token_row
    finally:
        stack.stop(worker)
        stack.stop(web)


@pytest.fixture
def api_user(server, django_user_model):
    """The user whose API key the worker sends the server: the server's runs are theirs."""
    user = django_user_model.objects.create_user("remote-api-user")
    ApiToken.objects.create(user=user, name="remote model", **server[1])
    return user


@pytest.fixture
def on_model(settings, server, django_user_model):
    settings.GPTSTORE_MODELS_FILE = str(server[0])

    def make(model: str, max_new_tokens: int = 12):
        author = django_user_model.objects.create_user(f"author-{model}-{time.monotonic_ns()}")
        tool = services.tool_create(author=author, name=f"On {model} {time.monotonic_ns()}")
        version = services.tool_version_create(
            tool=tool,
            prompt_template="Tell me about {{topic}}.",
            input_schema=[{"name": "topic", "type": "short_text"}],
            sampling_defaults={"temperature": 0.0, "max_new_tokens": max_new_tokens},
            model=model,
        )
        services.tool_publish(tool=tool, version=version)
        tool.refresh_from_db()
        return tool

    return make


def _server_side(api_user) -> Run:
    return Run.objects.filter(user=api_user).order_by("-queued_at").first()


def test_a_remote_model_streams_through_the_worker(server, api_user, on_model, user):
    run = services.run_create(tool=on_model("remote"), user=user, inputs={"topic": "owls"})
    done = wait_final(run.pk, timeout=120)
    assert done.state == "succeeded" and done.output and done.model_key == "remote"
    assert streams.streamed_text(done.pk) == done.output  # streamed to our viewers too
    inner = _server_side(api_user)
    assert inner.model_key == "smol" and inner.output == done.output
    assert inner.messages[-1] == {"role": "user", "content": "Tell me about owls."}
    assert (done.prompt_tokens, done.completion_tokens) == (
        inner.prompt_tokens,
        inner.completion_tokens,
    )


def test_cancelling_a_remote_run_closes_the_servers_stream(server, api_user, on_model, user):
    tool = on_model("remote", max_new_tokens=400)
    run = services.run_create(tool=tool, user=user, inputs={"topic": "a very long story"})
    deadline = time.monotonic() + 120
    while not streams.streamed_text(run.pk) and time.monotonic() < deadline:
        time.sleep(0.05)
    services.run_cancel(run=Run.objects.get(pk=run.pk))
    done = wait_final(run.pk, timeout=60)
    assert done.state == "cancelled" and done.output
    inner = wait_final(_server_side(api_user).pk, timeout=60)
    assert inner.state == "cancelled" and (inner.completion_tokens or 0) < 400


def test_a_server_that_is_down_fails_the_run_clearly(server, on_model, user):
    run = services.run_create(tool=on_model("down"), user=user, inputs={"topic": "owls"})
    done = wait_final(run.pk, timeout=60)
    assert done.state == "failed" and done.error_code == Run.ErrorCode.MODEL_UNAVAILABLE
    assert "could not be reached" in done.error
