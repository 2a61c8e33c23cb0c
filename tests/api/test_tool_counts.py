"""A tool's run_count in the REST API: the store's counted runs, and documented as such."""

import pytest

from tests.factories import UserFactory
from tests.helpers import FakeResult, make_run
from tools import services

pytestmark = pytest.mark.django_db


def test_schema_says_what_run_count_counts(anon):
    schema = anon.get("/api/schema/?format=json").json()
    field = schema["components"]["schemas"]["Tool"]["properties"]["run_count"]
    assert field["readOnly"] is True
    assert field["description"] == (
        "Runs that finished successfully, not counting the author's own runs."
    )


def test_run_count_moves_only_for_counted_runs(anon, make_tool):
    tool = make_tool("Counted", lister=True)

    def finish(user, reason="stop"):
        run = make_run(user, tool)
        services.run_complete(run=run, attempt=1, pieces=[], result=FakeResult("ok", reason))

    fan = UserFactory()
    finish(fan)
    finish(fan, "cancelled")
    finish(fan, "timeout")
    finish(tool.author)
    make_run(fan, tool)  # still running
    detail = anon.get(f"/api/tools/{tool.slug}/").json()
    listed = anon.get("/api/tools/?q=Counted").json()
    assert detail["run_count"] == 1
    assert [t["run_count"] for t in listed["results"] if t["slug"] == tool.slug] == [1]
