import re

import httpx
import pytest
from django.conf import settings
from django.test import Client

from bench import processes as stack
from tools import streams
from tools.services import tool_create, tool_publish, tool_version_create

SCHEMA = [
    {"name": "topic", "label": "Topic", "type": "short_text", "max_length": 200},
    {"name": "count", "label": "Count", "type": "integer", "min": 1, "max": 5, "default": 2},
    {"name": "tone", "type": "choice", "choices": ["plain", "fun"], "default": "plain"},
]


@pytest.fixture
def make_tool(django_user_model):
    def make(*, max_new_tokens=8, temperature=0.0, slug=None, **kw):
        author, _ = django_user_model.objects.get_or_create(username="author")
        tool = tool_create(author=author, name=kw.pop("name", "Lister"), slug=slug)
        version = tool_version_create(
            tool=tool,
            prompt_template=kw.pop("template", "List {{count}} facts about {{topic}} ({{tone}})."),
            system_prompt=kw.pop("system", "You are brief."),
            input_schema=kw.pop("schema", SCHEMA),
            sampling_defaults={"max_new_tokens": max_new_tokens, "temperature": temperature},
            example_inputs=kw.pop("examples", [{"topic": "the moon", "count": 3}]),
        )
        tool_publish(tool=tool, version=version)
        tool.refresh_from_db()
        return tool

    return make


@pytest.fixture
def tool(make_tool):
    return make_tool()


@pytest.fixture
def redis_client():
    return streams.client()


def login_cookies(user) -> dict:
    """Session cookie of `user` in the test database, for httpx or a browser."""
    c = Client()
    c.force_login(user)
    return {"sessionid": c.cookies[settings.SESSION_COOKIE_NAME].value}


def http_client(base: str, user=None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    if user is not None:
        for k, v in login_cookies(user).items():
            client.cookies.set(k, v)
    return client


def csrf_token(client: httpx.Client, path: str) -> str:
    html = client.get(path).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def stack_env(stack_db):
    from django.db import connection

    return stack.stack_env(connection.settings_dict, settings.REDIS_URL)


@pytest.fixture(scope="module")
def web(stack_env):
    proc, base = stack.start_web({**stack_env, "GPTSTORE_SSE_KEEPALIVE": "1"})
    yield base
    stack.stop(proc)


def make_run(user, tool, *, state="running", **fields):
    """A run stored directly (nothing enqueued), for driving its stream by hand."""
    from django.utils import timezone

    from tools.models import Run

    running = state == "running"
    return Run.objects.create(
        tool=tool,
        version=tool.current_version,
        user=user,
        inputs={"topic": "x"},
        prompt="p",
        sampling={},
        state=state,
        attempts=1 if running else 0,
        started_at=timezone.now() if running else None,
        **fields,
    )


class FakeResult:
    """What the engine's handle.result() returns, for finishing a hand-driven run."""

    def __init__(self, text, finish_reason="stop", prompt_tokens=5, completion_tokens=None):
        self.text, self.finish_reason = text, finish_reason
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens or max(1, len(text) // 4)
        self.error = None
