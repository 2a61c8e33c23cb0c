"""Repetition penalties through the store: the bundled model's default, a tool's own value,
a request's value on /v1 and REST, what the worker hands the engine, and what a remote
server is sent."""

import json

import pytest
from django.test import Client

from api.openai.runs import create_run
from inference import SamplingParams
from inference.remote_wire import request_body
from tools import registry, services
from tools.models import Run
from tools.services.execution import _params

from .conftest import bearer_client
from .test_openai import CHAT, assert_error, bearer, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_registry_file(settings):
    settings.GPTSTORE_MODELS_FILE = ""


def test_the_bundled_model_penalises_repetition_by_default(user, make_tool):
    assert registry.get_model("").sampling == {"frequency_penalty": 0.5}
    run = services.run_create(tool=make_tool("Plain"), user=user, inputs={"text": "hi"})
    assert run.sampling["frequency_penalty"] == 0.5
    assert (_params(run).frequency_penalty, _params(run).presence_penalty) == (0.5, 0.0)


def test_a_tool_or_a_request_sets_its_own(user, make_tool):
    tool = make_tool("Own")
    version = tool.current_version
    version.sampling_defaults = {"frequency_penalty": 0.0, "presence_penalty": 0.4}
    version.save()
    tool.refresh_from_db()
    run = services.run_create(tool=tool, user=user, inputs={"text": "hi"})
    assert "frequency_penalty" not in run.sampling  # the tool's 0 beats the model's 0.5
    assert _params(run).frequency_penalty == 0.0 and _params(run).presence_penalty == 0.4

    body = {**CHAT, "frequency_penalty": 1.25, "presence_penalty": 0}
    run = create_run(user, body, chat=True)
    assert (run.sampling["frequency_penalty"], run.sampling["presence_penalty"]) == (1.25, 0.0)
    assert _params(run).frequency_penalty == 1.25


@pytest.mark.parametrize("field", ["frequency_penalty", "presence_penalty"])
@pytest.mark.parametrize("value", [2.5, -3, "1", True])
def test_bad_penalties_are_400_and_store_nothing(user, make_tool, field, value):
    r = post(Client(), "/v1/chat/completions", {**CHAT, field: value}, bearer(user))
    assert_error(r, 400, param=field)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return  # REST takes "1" and true as numbers, as it does for every number field
    rest = bearer_client(user).post(
        "/api/runs/",
        json.dumps({"tool": make_tool().slug, "inputs": {"text": "x"}, "sampling": {field: value}}),
        content_type="application/json",
    )
    assert rest.status_code == 400 and field in rest.json()["sampling"]
    assert not Run.objects.exists()


def test_a_remote_server_is_sent_the_penalties_it_was_asked_for():
    asked = SamplingParams(temperature=0.0, frequency_penalty=0.5, presence_penalty=-0.25)
    _, body = request_body("m", None, [{"role": "user", "content": "hi"}], asked, False)
    assert (body["frequency_penalty"], body["presence_penalty"]) == (0.5, -0.25)
    _, plain = request_body("m", None, [{"role": "user", "content": "hi"}], SamplingParams(), False)
    # A run without penalties says so, or the server would apply its own defaults.
    assert (plain["frequency_penalty"], plain["presence_penalty"]) == (0.0, 0.0)
