import itertools

import pytest
from django.core.management import call_command

from store import services
from tools import services as tool_services
from tools.models import Category, Tool

_seq = itertools.count(1)


@pytest.fixture
def category(db):
    return Category.objects.create(name="Writing", slug="writing")


@pytest.fixture
def make_tool(db, django_user_model):
    """make_tool(name=..., author=..., status=..., visibility=...) -> a Tool with a version."""

    def make(
        name: str | None = None,
        *,
        author=None,
        tagline: str = "",
        description: str = "",
        tags: list[str] | None = None,
        category=None,
        status: str = Tool.Status.PUBLISHED,
        visibility: str = Tool.Visibility.PUBLIC,
        **fields,
    ) -> Tool:
        n = next(_seq)
        if author is None:
            author, _ = django_user_model.objects.get_or_create(username="maker")
        tool = tool_services.tool_create(
            author=author,
            name=name or f"Tool {n}",
            tagline=tagline,
            description=description,
            category=category,
            tags=tags or [],
            visibility=visibility,
        )
        version = tool_services.tool_version_create(
            tool=tool,
            prompt_template="Do this: {{text}}",
            input_schema=[{"name": "text", "label": "Text", "type": "short_text"}],
        )
        if status != Tool.Status.DRAFT:
            tool_services.tool_publish(tool=tool, version=version)
        if status == Tool.Status.REMOVED or fields:
            Tool.objects.filter(pk=tool.pk).update(
                **({"status": status} if status == Tool.Status.REMOVED else {}), **fields
            )
        tool.refresh_from_db()
        return tool

    return make


@pytest.fixture
def demo(db):
    """The demo catalog (13 tools, resources, users, reviews), without embeddings."""
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def demo_embedded(demo):
    """The demo catalog with embeddings computed synchronously (no Celery worker)."""
    done = services.embeddings_compute_missing()
    assert done["tools"] >= 13, "the sentence-embedding model did not load"
