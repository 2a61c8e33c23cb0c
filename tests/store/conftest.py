import io

import pytest
from django.core.management import call_command

from store import services


@pytest.fixture
def demo(db):
    """The demo catalog (13 tools, resources, users, reviews), without embeddings."""
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def demo_embedded(demo):
    """The demo catalog with embeddings computed synchronously (no Celery worker)."""
    done = services.embeddings_compute_missing()
    assert done["tools"] >= 13, "the sentence-embedding model did not load"
