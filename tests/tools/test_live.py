"""End to end through the real stack: uvicorn + a Celery thread-pool worker with the real
default model, on the embedded PostgreSQL (test database) and Redis. Never eager mode."""

import time

import pytest

from bench import processes as stack
from tests.factories import LISTER_SCHEMA
from tests.helpers import csrf_token, http_client, wait_final
from tools import services
from tools.models import Run
from tools.registry import get_model
from tools.worker import engine_metrics

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "live-worker"


@pytest.fixture(scope="module")
def worker(stack_env, django_db_blocker):
    from tools import streams

    r = streams.client()
    # Stale messages of earlier tests: nobody to run them.
    r.delete("inference", get_model("").queue, "default")
    r.delete(f"gptstore:engine:metrics:{WORKER}")
    # Fewer pooled connections than task threads: a run gives its connection back while it
    # generates, or no more than 4 runs could be in the engine at once.
    proc = stack.start_worker({**stack_env, "DB_POOL_SIZE": "4"}, WORKER, concurrency=20)
    try:
        stack.wait_engine_ready(r, WORKER, proc)
        yield proc
    finally:
        stack.stop(proc)


def _submit(client, tool, topic: str):
    token = csrf_token(client, f"/t/{tool.slug}/run")
    return client.post(
        f"/t/{tool.slug}/run", data={"csrfmiddlewaretoken": token, "in-topic": topic}
    )


def test_form_submit_streams_and_stores_the_same_text(web, worker, user, make_tool):
    tool = make_tool(lister=True, max_new_tokens=12)
    client = http_client(web, user)
    resp = _submit(client, tool, "the moon")
    assert resp.status_code == 302, resp.text
    run_url = resp.headers["location"]
    run = Run.objects.get(pk=run_url.strip("/").split("/")[-1])
    page = client.get(run_url).text
    assert 'id="run-output"' in page and "/static/js/run.js" in page
    events = stack.read_sse(client, f"{run_url}events", timeout=120)
    kinds = [ev["type"] for _, ev in events]
    assert "text" in kinds and kinds[-1] == "final"
    text = stack.streamed_text(events)
    run.refresh_from_db()
    assert run.state == "succeeded" and run.finish_reason in ("stop", "length")
    assert run.output == text and text.strip()
    assert events[-1][1]["output"] == text
    assert events[-1][1]["completion_tokens"] == run.completion_tokens > 0
    assert run.prompt_tokens > 0 and run.started_at and run.finished_at and run.attempts == 1
    # Resume: after the 2nd event, only later events come back.
    second_id = next(eid for eid, _ in events[1:] if eid)
    rest = stack.read_sse(client, f"{run_url}events", headers={"Last-Event-ID": second_id})
    ids = [eid for eid, _ in events if eid]
    assert [eid for eid, _ in rest if eid] == ids[ids.index(second_id) + 1 :]
    # After a refresh the page shows the stored result.
    page = client.get(run_url).text
    assert "Succeeded" in page and f"{run.completion_tokens}</span> tokens" in page
    # Another user cannot read the stream.
    from django.contrib.auth import get_user_model

    eve = get_user_model().objects.create_user("eve", password="pw-eve-123")
    assert http_client(web, eve).get(f"{run_url}events").status_code == 404
    assert http_client(web).get(f"{run_url}events").status_code == 404


def test_cancel_keeps_partial_output(web, worker, user, make_tool):
    tool = make_tool(
        lister=True,
        max_new_tokens=200,
        frequency_penalty=0.0,  # the story must outlast the cancel: no early end
        prompt_template="Write a very long story about {{topic}}.",
        input_schema=[LISTER_SCHEMA[0]],
        example_inputs=[],
    )
    client = http_client(web, user)
    resp = _submit(client, tool, "the history of Rome")
    run_url = resp.headers["location"]
    events = stack.read_sse(client, f"{run_url}events", stop_after=4, timeout=120)
    assert any(ev["type"] == "text" for _, ev in events)
    token = csrf_token(client, run_url)
    t0 = time.monotonic()
    cancel = client.post(
        f"{run_url}cancel",
        data={"csrfmiddlewaretoken": token},
        headers={"Accept": "application/json"},
    )
    assert cancel.status_code == 200
    events = stack.read_sse(client, f"{run_url}events", timeout=60)
    took = time.monotonic() - t0
    run = Run.objects.get(pk=run_url.strip("/").split("/")[-1])
    assert run.state == "cancelled" and run.finish_reason == "cancelled"
    assert run.output and run.output == stack.streamed_text(events)
    assert 0 < run.completion_tokens < 200
    assert took < 10


def test_sixteen_runs_at_once_are_batched(worker, user, django_user_model, make_tool, settings):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 16
    tool = make_tool(lister=True, max_new_tokens=16)
    runs = [
        services.run_create(tool=tool, user=user, inputs={"topic": f"topic {i}"}) for i in range(16)
    ]
    final = [wait_final(run.pk, timeout=180) for run in runs]
    assert [r.state for r in final] == ["succeeded"] * 16
    assert all(r.output for r in final)
    metrics = engine_metrics()[WORKER]
    assert metrics["max_batch_size_seen"] > 4  # more than the worker's 4 DB connections
