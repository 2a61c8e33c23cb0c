"""Fixtures of the hardening tests: clients with tokens, a tool, and the row counts that
show a refused request changed nothing."""

import json

import pytest
from django.core.cache import caches
from django.test import Client

from api.models import ApiToken
from api.services import token_create
from store.models import Favorite, Profile, Report, Resource, Review
from tools.models import Run, Tag, Tool, ToolVersion

COUNTED = (Tool, ToolVersion, Run, Tag, Review, Report, Resource, Favorite, Profile, ApiToken)


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    caches[getattr(settings, "API_THROTTLE_CACHE", "default")].clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    # Login lockouts are not under test here (and force_login has no client address).
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _no_embedding_model(monkeypatch):
    from store import search

    monkeypatch.setattr(search, "embed_query", lambda text: None)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def bearer(user) -> dict:
    _, secret = token_create(user=user, name="hardening")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post_json(client: Client, path: str, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


def deep(levels: int = 2000) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def tool(make_tool, user):
    """Alice's published tool with one long-text field `text`."""
    return make_tool("Echo Tool", author=user)
