import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from api.services import token_create
from tests.factories import ToolFactory
from tools.models import Tool


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
def catalog(user, other_user, category):
    """Alice's tools in every state; one public tool by Bob."""
    alices = {
        "public": {"name": "Public Paraphraser", "category": category, "tags": ["text"]},
        "unlisted": {"name": "Unlisted Tool", "visibility": Tool.Visibility.UNLISTED},
        "private": {"name": "Private Tool", "visibility": Tool.Visibility.PRIVATE},
        "draft": {"name": "Draft Tool", "status": Tool.Status.DRAFT},
        "removed": {"name": "Removed Tool", "status": Tool.Status.REMOVED},
    }
    tools = {key: ToolFactory(author=user, **fields) for key, fields in alices.items()}
    tools["bobs"] = ToolFactory(author=other_user, name="Bob Summarizer", tags=["summary"])
    return tools


@pytest.fixture(autouse=True)
def _no_embedding_model(monkeypatch):
    # Search runs on full text and trigrams here; loading the sentence model is not our test.
    from store import search

    monkeypatch.setattr(search, "embed_query", lambda text: None)
