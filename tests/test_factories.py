"""The factories make rows the way the site does: through the services, counters exact."""

import pytest

from tests.factories import (
    FavoriteFactory,
    ReportFactory,
    ResourceFactory,
    ReviewFactory,
    RunFactory,
    TagFactory,
    ToolFactory,
    ToolVersionFactory,
    UserFactory,
)
from tools.models import Run, Tool

pytestmark = pytest.mark.django_db


def test_tool_is_published_with_one_version_by_a_shared_maker():
    a, b = ToolFactory(tags=["Poetry", "poetry"]), ToolFactory()
    assert a.status == Tool.Status.PUBLISHED and a.is_listed and a.published_at
    assert a.current_version.number == 1 and a.versions.count() == 1
    assert a.current_version.prompt_template == "Rewrite: {{text}}"
    assert a.author == b.author and a.author.username == "maker"
    assert a.slug != b.slug and list(a.tags.values_list("slug", flat=True)) == ["poetry"]
    assert a.author.check_password("pw-test-123") and a.author.profile


def test_tool_states_traits_and_extra_fields():
    draft = ToolFactory(status=Tool.Status.DRAFT)
    assert draft.current_version is None and draft.versions.count() == 1
    bare = ToolFactory(status=Tool.Status.DRAFT, versioned=False)
    assert not bare.versions.exists()
    removed = ToolFactory(status=Tool.Status.REMOVED, featured=True, run_count=3)
    assert removed.status == Tool.Status.REMOVED and removed.current_version
    assert removed.featured and removed.run_count == 3
    lister = ToolFactory(lister=True, max_new_tokens=12)
    version = lister.current_version
    assert [f["name"] for f in version.input_schema] == ["topic", "count", "tone"]
    assert version.sampling_defaults == {"max_new_tokens": 12, "temperature": 0.0}
    with pytest.raises(ValueError):
        ToolFactory(versioned=False)


def test_version_run_review_favorite_report_resource():
    tool = ToolFactory()
    v2 = ToolVersionFactory(tool=tool, prompt_template="Again: {{text}}")
    tool.refresh_from_db()
    assert v2.number == 2 and tool.current_version.number == 1  # a new version is a draft
    running = RunFactory(tool=tool, state=Run.State.RUNNING)
    assert running.version == tool.current_version and running.attempts == 1
    assert running.started_at and RunFactory(tool=tool).attempts == 0
    ReviewFactory(tool=tool, stars=5)
    ReviewFactory(tool=tool, stars=2)
    tool.refresh_from_db()
    assert (tool.review_count, tool.rating_sum) == (2, 7)
    fan = UserFactory()
    assert FavoriteFactory(user=fan, tool=tool).tool == tool
    assert ReportFactory(reporter=fan, tool=tool).status == "open"
    tag = TagFactory(name="guides")
    resource = ResourceFactory(tags=[tag])
    assert resource.approved and list(resource.tags.all()) == [tag]
