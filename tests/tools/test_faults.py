"""Faults with real processes: a worker killed with SIGKILL mid-run; Redis restarted while
runs are queued. PostgreSQL is the source of truth; the reconciler repairs what is lost."""

import signal
import time

import pytest

from bench import processes as stack
from ops import embedded
from tests.factories import LISTER_SCHEMA
from tests.helpers import wait_final
from tools import services, streams
from tools.models import Run
from tools.registry import get_model

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE = 2


@pytest.fixture
def spawn_worker(stack_env):
    procs = []
    r = streams.client()
    r.delete("inference", get_model("").queue, "default", "unacked", "unacked_index")

    def spawn(name):
        r.delete(f"gptstore:engine:metrics:{name}")
        proc = stack.start_worker(
            {**stack_env, "GPTSTORE_RUN_LEASE_TTL": str(LEASE)}, name, concurrency=4
        )
        procs.append(proc)
        stack.wait_engine_ready(streams.client(), name, proc)
        return proc

    yield spawn
    for proc in procs:
        stack.stop(proc)


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_run_ends_final_with_output_once(spawn_worker, user, make_tool, settings):
    settings.GPTSTORE_RUN_LEASE_TTL = LEASE
    doomed = spawn_worker("fault-a")
    tool = make_tool(
        lister=True,
        max_new_tokens=300,
        frequency_penalty=0.0,  # the story must outlast the kill: no early end
        prompt_template="Write a very long story about {{topic}}.",
        input_schema=[LISTER_SCHEMA[0]],
        example_inputs=[],
    )
    run = services.run_create(tool=tool, user=user, inputs={"topic": "the history of Rome"})
    _wait(lambda: streams.streamed_text(run.pk), 120, "text from the first worker")
    stack.stop(doomed, sig=signal.SIGKILL)
    run.refresh_from_db()
    assert run.state == "running", (run.finish_reason, run.completion_tokens, run.output[:200])
    partial = streams.streamed_text(run.pk)
    spawn_worker("fault-b")
    # The beat reconciler (called directly here) notices the lapsed lease and ends the run.
    final = _wait(
        lambda: (
            services.run_reconcile()
            and Run.objects.get(pk=run.pk).is_final
            and Run.objects.get(pk=run.pk)
        ),
        30,
        "the reconciler to end the run",
    )
    assert final.state == "failed" and "stopped unexpectedly" in final.error
    assert final.output == partial and final.attempts == 1
    events = [ev for _, ev in streams.read_all(run.pk)]
    assert [ev["type"] for ev in events].count("final") == 1
    # A redelivered message (after the visibility timeout) is skipped: the run is final.
    assert services.run_claim(run_id=run.pk) is None


def test_redis_restart_loses_no_queued_run(spawn_worker, client, user, make_tool, settings):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 10
    tool = make_tool(lister=True, max_new_tokens=4)
    before = [
        services.run_create(tool=tool, user=user, inputs={"topic": f"t{i}"}) for i in range(3)
    ]
    assert streams.client().llen(get_model("").queue) == 3
    client.force_login(user)
    embedded.redis_stop()
    try:
        assert not embedded.redis_running()
        # During the outage the form refuses clearly instead of hanging...
        t0 = time.monotonic()
        resp = client.post(f"/t/{tool.slug}/run", {"in-topic": "outage"})
        assert resp.status_code == 503 and "try again" in resp.content.decode()
        assert time.monotonic() - t0 < 10
        # ...and a run stored while the broker is down is kept for the reconciler.
        during = services.run_create(tool=tool, user=user, inputs={"topic": "during"})
    finally:
        embedded.redis_start()
    assert embedded.redis_ping(embedded.redis_url())
    assert streams.client().llen(get_model("").queue) == 3  # the append-only file kept the queue
    spawn_worker("fault-c")
    settings.GPTSTORE_REQUEUE_AFTER = 0
    assert services.run_reconcile()["requeued"] == 1  # only the run enqueued during the outage
    runs = [wait_final(r.pk, timeout=120) for r in [*before, during]]
    assert [r.state for r in runs] == ["succeeded"] * 4
