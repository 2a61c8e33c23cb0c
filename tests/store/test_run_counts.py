"""One definition of a counted run (finished successfully, not by the tool's author), the
same on cards, Trending, the tool page, the REST API and the creator dashboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from store import selectors
from tests.factories import UserFactory
from tests.helpers import FakeResult, make_run
from tools import services
from tools.models import Run
from tools.selectors import COUNTED_RUN, runs_counted

pytestmark = pytest.mark.django_db


@pytest.fixture
def lister(make_tool):
    return make_tool("Lister", lister=True)


@pytest.fixture
def rival(make_tool):
    return make_tool("Rival", lister=True, slug="rival")


def finish(run: Run, reason: str = "stop") -> Run:
    """End a running run the way a worker does (run_complete), with `reason`."""
    return services.run_complete(
        run=run, attempt=1, pieces=["done"], result=FakeResult("done", finish_reason=reason)
    )


def succeed(user, tool, n: int = 1) -> None:
    for _ in range(n):
        finish(make_run(user, tool))


def trending() -> list[tuple[str, int]]:
    return [(t.name, t.recent_runs) for t in selectors.tools_trending()]


def test_starting_and_cancelling_runs_moves_nothing(lister, rival):
    succeed(UserFactory(), lister, 2)
    succeed(UserFactory(), rival, 1)
    assert trending() == [("Lister", 2), ("Rival", 1)]
    eager = UserFactory(username="eager")
    for i in range(5):  # cancelled while queued, through the same service as the Cancel button
        run = services.run_create(tool=rival, user=eager, inputs={"topic": f"t{i}"})
        assert services.run_cancel(run=run).state == Run.State.CANCELLED
    finish(make_run(eager, rival), "cancelled")  # stopped while it generated
    finish(make_run(eager, rival), "error")  # failed
    make_run(eager, rival)  # still running
    make_run(eager, rival, state=Run.State.QUEUED)
    assert Run.objects.filter(tool=rival).count() == 10
    assert trending() == [("Lister", 2), ("Rival", 1)]
    rival.refresh_from_db()
    assert rival.run_count == 1


def test_an_authors_own_runs_are_never_counted(lister, rival):
    succeed(lister.author, lister, 3)  # make_tool's tools share one author
    succeed(rival.author, rival, 3)
    succeed(UserFactory(), rival, 1)
    lister.refresh_from_db()
    rival.refresh_from_db()
    assert (lister.run_count, rival.run_count) == (0, 1)
    assert trending() == [("Rival", 1)]
    assert Run.objects.filter(tool=lister, state=Run.State.SUCCEEDED).count() == 3
    assert not runs_counted().filter(tool=lister).exists()
    data = selectors.tool_dashboard(lister)
    assert (data["last_30"], data["own_last_30"], data["runs"]) == (0, 3, 0)


def test_counted_run_is_the_one_rule(lister):
    fan = UserFactory()
    cases = {
        "fan succeeded": (fan, Run.State.SUCCEEDED, True),
        "fan cancelled": (fan, Run.State.CANCELLED, False),
        "fan failed": (fan, Run.State.FAILED, False),
        "fan queued": (fan, Run.State.QUEUED, False),
        "author succeeded": (lister.author, Run.State.SUCCEEDED, False),
    }
    runs = {name: make_run(user, lister, state=state) for name, (user, state, _) in cases.items()}
    counted = set(Run.objects.filter(COUNTED_RUN).values_list("pk", flat=True))
    assert {name for name, run in runs.items() if run.pk in counted} == {
        name for name, (_, _, expected) in cases.items() if expected
    }
    base = make_run(fan, None, state=Run.State.SUCCEEDED)  # the base model (/v1/), no tool
    assert not runs_counted().filter(pk=base.pk).exists()


def test_a_conversation_counts_once(lister):
    fan = UserFactory()
    first = finish(make_run(fan, lister))
    for message in ("more", "and more"):
        turn = services.run_followup(parent=first, user=fan, message=message)
        Run.objects.filter(pk=turn.pk).update(state=Run.State.RUNNING, attempts=1)
        first = finish(Run.objects.get(pk=turn.pk))
    assert Run.objects.filter(tool=lister, state=Run.State.SUCCEEDED).count() == 3
    lister.refresh_from_db()
    assert lister.run_count == 1 and trending() == [("Lister", 1)]


def test_card_tool_page_and_api_agree(client, lister):
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        succeed(fan, lister)
    finish(make_run(fans[0], lister), "cancelled")
    finish(make_run(fans[1], lister), "timeout")
    succeed(lister.author, lister, 2)
    for i in range(3):
        run = services.run_create(tool=lister, user=fans[2], inputs={"topic": f"t{i}"})
        services.run_cancel(run=run)

    home = client.get(reverse("home")).content.decode()
    shelf = home[home.index('id="trending-h"') : home.index("</section>", home.index("trending-h"))]
    card = shelf[shelf.index(lister.get_absolute_url()) :]
    assert "<span>3 runs</span>" in card and "<span>3 this week</span>" in card

    page = client.get(lister.get_absolute_url()).content.decode()
    assert re.search(r'id="tool-runs">3 runs<', page)

    api = client.get(f"/api/tools/{lister.slug}/").json()
    assert api["run_count"] == 3

    client.force_login(lister.author)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert '<dd data-testid="counted-30">3</dd>' in dashboard
    assert '<dd data-testid="counted-all">3</dd>' in dashboard
    assert '<dd data-testid="own-30">2</dd>' in dashboard
