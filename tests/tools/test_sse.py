"""The web process under uvicorn, no worker and no model: the SSE endpoint with hand-written
stream data (JSON framing, replay, Last-Event-ID, queue position, keep-alives, stored final,
access), and the live-run cap under 50 simultaneous form posts."""

import threading
import time

import httpx
import pytest

from bench import processes as stack
from tests.helpers import FakeResult, http_client, login_cookies, make_run
from tools import services, streams

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NASTY = '\n\ndata: {"type":"final","output":"pwned"}\n\nid: 9-9\nevent: x\r\n'


def test_text_with_sse_framing_stays_one_event(web, user, tool):
    run = make_run(user, tool)
    for piece in ["Hello", NASTY, " \u2028end"]:
        streams.publish_text(run.pk, piece)
    services.run_complete(
        run=run,
        attempt=1,
        pieces=["Hello", NASTY, " \u2028end"],
        result=FakeResult("Hello" + NASTY + " \u2028end"),
    )
    events = stack.read_sse(http_client(web, user), f"/runs/{run.pk}/events")
    assert [ev["type"] for _, ev in events] == ["text", "text", "text", "final"]
    assert events[1][1]["text"] == NASTY
    assert events[-1][1]["output"] == "Hello" + NASTY + " \u2028end"
    raw = http_client(web, user).get(f"/runs/{run.pk}/events").text
    assert raw.count("\n\n") == 5  # retry + 4 events: no frame break inside the text


def test_live_viewer_late_viewer_and_resume(web, user, tool):
    run = make_run(user, tool)
    client = http_client(web, user)
    got: dict = {}

    def watch():
        got["live"] = stack.read_sse(client, f"/runs/{run.pk}/events", timeout=30)

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.5)
    pieces = [f"tok{i} " for i in range(5)]
    for piece in pieces:
        streams.publish_text(run.pk, piece)
        time.sleep(0.05)
    services.run_complete(run=run, attempt=1, pieces=pieces, result=FakeResult("".join(pieces)))
    watcher.join(30)
    assert stack.streamed_text(got["live"]) == "".join(pieces)
    late = stack.read_sse(client, f"/runs/{run.pk}/events")
    assert late == got["live"]  # a late viewer replays from the start
    ids = [eid for eid, _ in late if eid]
    resumed = stack.read_sse(client, f"/runs/{run.pk}/events", headers={"Last-Event-ID": ids[2]})
    assert [eid for eid, _ in resumed if eid] == ids[3:]
    resumed = stack.read_sse(client, f"/runs/{run.pk}/events?last_event_id={ids[2]}")
    assert [eid for eid, _ in resumed if eid] == ids[3:]


def test_queue_position_keepalive_and_state(web, user, other_user, tool):
    make_run(other_user, tool, state="queued")
    run = make_run(user, tool, state="queued")
    client = http_client(web, user)
    with client.stream("GET", f"/runs/{run.pk}/events", timeout=20) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["cache-control"].startswith("no-cache")
        lines = resp.iter_lines()
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith(": keep-alive"):
                break
        assert 'data: {"type":"queue","position":2}' in seen


def test_stored_result_when_the_stream_is_gone(web, user, tool):
    run = make_run(user, tool, state="succeeded", output="<b>stored</b>", completion_tokens=3)
    streams.client().delete(streams.stream_key(run.pk))
    events = stack.read_sse(http_client(web, user), f"/runs/{run.pk}/events", timeout=20)
    assert events[-1][1]["type"] == "final" and events[-1][1]["output"] == "<b>stored</b>"


def test_only_owner_or_shared(web, user, other_user, tool):
    run = make_run(user, tool, state="succeeded", output="x")
    url = f"/runs/{run.pk}/events"
    assert http_client(web, other_user).get(url).status_code == 404
    assert http_client(web).get(url).status_code == 404
    assert httpx.post(web + url).status_code in (403, 404, 405)
    services.run_share(run=run, shared=True)
    events = stack.read_sse(http_client(web), url, timeout=20)
    assert events[-1][1]["output"] == "x"


def test_fifty_simultaneous_posts_with_cap_four(web, user, tool):
    """Through uvicorn: 50 form posts at once by one user; the web process runs with the
    default cap of 4 live runs. No worker here, so accepted runs stay live."""
    import asyncio
    import re

    from tools.models import Run

    cookies = login_cookies(user)

    async def burst():
        async with httpx.AsyncClient(base_url=web, cookies=cookies, timeout=60) as client:
            html = (await client.get(f"/t/{tool.slug}/run")).text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            data = {"csrfmiddlewaretoken": token, "in-topic": "cats"}
            return await asyncio.gather(
                *(client.post(f"/t/{tool.slug}/run", data=data) for _ in range(50))
            )

    responses = asyncio.run(burst())
    codes = sorted(r.status_code for r in responses)
    assert codes.count(302) == 4 and codes.count(429) == 46, codes
    refused = next(r for r in responses if r.status_code == 429).text
    assert "the limit is 4" in refused
    assert Run.objects.filter(user=user, state__in=Run.LIVE_STATES).count() == 4


def test_open_streams_do_not_hold_database_connections(stack_env, user, tool):
    """With a pool of 2 connections, 4 viewers stream at once and pages still load: a stream
    gives its connection back while it waits (holding it, the third viewer waited for the
    pool's 10 s timeout and got an error)."""
    proc, base = stack.start_web({**stack_env, "DB_POOL_SIZE": "2"})
    runs = [make_run(user, tool) for _ in range(4)]
    opened: list = []
    release = threading.Event()

    def view(run):
        with http_client(base, user).stream("GET", f"/runs/{run.pk}/events", timeout=30) as r:
            opened.append((r.status_code, time.monotonic()))
            release.wait(30)

    try:
        start = time.monotonic()
        viewers = [threading.Thread(target=view, args=(run,)) for run in runs]
        for v in viewers:
            v.start()
        deadline = time.monotonic() + 8
        while len(opened) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [code for code, _ in opened] == [200] * 4
        assert max(t for _, t in opened) - start < 8  # well under the pool's 10 s timeout
        page = http_client(base, user).get(f"/runs/{runs[0].pk}/", timeout=8)
        assert page.status_code == 200
    finally:
        release.set()
        for run in runs:
            streams.publish(run.pk, {"type": "final", "state": "cancelled", "output": ""})
        stack.stop(proc)
