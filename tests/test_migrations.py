"""Migrations: the move of Category, Tag, Tool and ToolVersion from `store` to `tools` keeps
every row and every relation; the models and the migrations agree.

The move test migrates the test database back to the state before the move, writes rows with
the historical models, and migrates forward again. It always ends at the latest migrations,
so later tests find the schema they expect.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from store.models import Favorite, Resource, Review
from tools.models import Category, Run, Tool

BEFORE_MOVE = [("store", "0005_bench_indexes"), ("tools", "0002_run_openai")]
MOVED = ["category", "tag", "tool", "toolversion"]


def _migrate(targets=None):
    """Migrate to `targets` (default: the latest migrations); the models of the new state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    # The state of every applied migration: the targets' ancestors alone would leave out
    # migrations of other apps (contenttypes 0002, say) that are applied all the same.
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def _rows_before_the_move(apps) -> dict:
    """One of everything the move touches, written with the models of the old state."""
    tables = connection.introspection.table_names()
    assert "store_tool" in tables and "tools_tool" not in tables  # really before the move
    user_model = apps.get_model("auth", "User")
    author = user_model.objects.create(username="mover", password="!")
    fan = user_model.objects.create(username="fan", password="!")
    category = apps.get_model("store", "Category").objects.create(name="Moving", slug="moving")
    tag = apps.get_model("store", "Tag").objects.create(name="boxes", slug="boxes")
    tool = apps.get_model("store", "Tool").objects.create(
        name="Mover", slug="mover", author=author, category=category, status="published"
    )
    tool.tags.add(tag)
    version = apps.get_model("store", "ToolVersion").objects.create(
        tool=tool,
        number=1,
        prompt_template="Pack {{text}}",
        input_schema=[{"name": "text", "label": "Text", "type": "long_text"}],
    )
    tool.current_version = version
    tool.save(update_fields=["current_version"])
    run = apps.get_model("tools", "Run").objects.create(
        tool=tool, version=version, user=fan, prompt="Pack books", state="succeeded"
    )
    review = apps.get_model("store", "Review").objects.create(user=fan, tool=tool, stars=5)
    favorite = apps.get_model("store", "Favorite").objects.create(user=fan, tool=tool)
    resource = apps.get_model("store", "Resource").objects.create(
        title="Moving guide",
        slug="moving-guide",
        url="https://example.com/moving",
        kind="tutorial",
        category=category,
    )
    resource.tags.add(tag)
    content_types = apps.get_model("contenttypes", "ContentType").objects
    return {
        "author": author.pk,
        "fan": fan.pk,
        "category": category.pk,
        "tag": tag.pk,
        "tool": tool.pk,
        "version": version.pk,
        "run": run.pk,
        "review": review.pk,
        "favorite": favorite.pk,
        "resource": resource.pk,
        "content_types": {
            ct.model: ct.pk for ct in content_types.filter(app_label="store", model__in=MOVED)
        },
    }


@pytest.mark.django_db(transaction=True)
def test_moving_the_tool_models_keeps_rows_relations_and_content_types():
    try:
        old = _rows_before_the_move(_migrate(BEFORE_MOVE))
    finally:
        _migrate()
        ContentType.objects.clear_cache()

    tool = Tool.objects.get(pk=old["tool"])
    assert tool.name == "Mover" and tool.author_id == old["author"]
    assert tool.category_id == old["category"] and tool.category.slug == "moving"
    assert [(t.pk, t.slug) for t in tool.tags.all()] == [(old["tag"], "boxes")]
    assert tool.current_version_id == old["version"]
    assert tool.current_version.number == 1 and tool.current_version.tool_id == tool.pk
    assert [v.pk for v in tool.versions.all()] == [old["version"]]

    run = Run.objects.get(pk=old["run"])
    assert (run.tool_id, run.version_id, run.user_id) == (tool.pk, old["version"], old["fan"])
    assert run.version.prompt_template == "Pack {{text}}"
    assert Review.objects.get(pk=old["review"]).tool == tool
    assert Favorite.objects.get(pk=old["favorite"]).tool == tool
    assert list(tool.reviews.values_list("pk", flat=True)) == [old["review"]]
    resource = Resource.objects.get(pk=old["resource"])
    assert resource.category_id == old["category"]
    assert [t.pk for t in resource.tags.all()] == [old["tag"]]
    assert get_user_model().objects.get(pk=old["author"]).tools.get() == tool

    # The same content type rows, relabelled: permissions and admin history follow.
    assert sorted(old["content_types"]) == sorted(MOVED)
    for model, pk in old["content_types"].items():
        ct = ContentType.objects.get(pk=pk)
        assert (ct.app_label, ct.model) == ("tools", model)
    assert not ContentType.objects.filter(app_label="store", model__in=MOVED).exists()
    assert ContentType.objects.get_for_model(Tool).pk == old["content_types"]["tool"]

    # The renamed tables kept their id sequences: new rows do not collide with moved ones.
    assert Category.objects.create(name="Next", slug="next").pk > old["category"]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")
