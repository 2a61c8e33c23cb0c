import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from api.services import token_create
from tools import services as tool_services
from tools.models import Category, Tool


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Throttle counters live in their own cache; no test inherits another's.
    caches[getattr(settings, "API_THROTTLE_CACHE", "default")].clear()


@pytest.fixture
def anon():
    return APIClient()


def bearer_client(user) -> APIClient:
    _, secret = token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def alice(user):
    return bearer_client(user)


@pytest.fixture
def bob(other_user):
    return bearer_client(other_user)


@pytest.fixture
def category(db):
    return Category.objects.create(name="Writing", slug="writing")


def make_tool(author, name, *, publish=True, visibility=Tool.Visibility.PUBLIC, **kwargs):
    tool = tool_services.tool_create(author=author, name=name, visibility=visibility, **kwargs)
    version = tool_services.tool_version_create(
        tool=tool,
        prompt_template="Rewrite: {{text}}",
        system_prompt="SECRET SYSTEM PROMPT",
        input_schema=[{"name": "text", "type": "long_text"}],
    )
    if publish:
        tool_services.tool_publish(tool=tool, version=version)
    tool.refresh_from_db()
    return tool


@pytest.fixture
def catalog(user, other_user, category):
    """Alice's tools in every state; one public tool by Bob."""
    return {
        "public": make_tool(user, "Public Paraphraser", category=category, tags=["text"]),
        "unlisted": make_tool(user, "Unlisted Tool", visibility=Tool.Visibility.UNLISTED),
        "private": make_tool(user, "Private Tool", visibility=Tool.Visibility.PRIVATE),
        "draft": make_tool(user, "Draft Tool", publish=False),
        "removed": _removed(make_tool(user, "Removed Tool")),
        "bobs": make_tool(other_user, "Bob Summarizer", tags=["summary"]),
    }


def _removed(tool):
    Tool.objects.filter(pk=tool.pk).update(status=Tool.Status.REMOVED)
    tool.refresh_from_db()
    return tool


@pytest.fixture(autouse=True)
def _no_embedding_model(monkeypatch):
    # Search runs on full text and trigrams here; loading the sentence model is not our test.
    from store import search

    monkeypatch.setattr(search, "embed_query", lambda text: None)
