"""Run services without a worker: create, caps, cancel, reconcile, prompt safety."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import all_at_once
from tools import services, streams
from tools.models import Run
from tools.registry import get_model
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db(transaction=True)


def _queued_ids(r):
    return [m for m in r.lrange(get_model("").queue, 0, -1)]


def test_run_create_stores_and_enqueues_after_commit(user, tool, redis_client):
    run = services.run_create(tool=tool, user=user, inputs={"topic": "{0.__dict__} %s {{x}}"})
    run.refresh_from_db()
    assert run.state == Run.State.QUEUED and run.attempts == 0
    assert run.inputs == {"topic": "{0.__dict__} %s {{x}}", "count": 2, "tone": "plain"}
    # Plain substitution: user text comes out literally, placeholders in it are not expanded.
    assert run.prompt == "List 2 facts about {0.__dict__} %s {{x}} (plain)."
    assert run.system_prompt == "You are brief."
    assert run.sampling["max_new_tokens"] == 8 and isinstance(run.sampling["seed"], int)
    assert any(run.task_id in m for m in _queued_ids(redis_client))
    assert redis_client.exists(streams.enqueued_key(run.pk))


def test_invalid_inputs_store_and_enqueue_nothing(user, tool, monkeypatch):
    sent = []
    monkeypatch.setattr(services.runs, "run_enqueue", lambda **kw: sent.append(kw))
    with pytest.raises(SchemaError) as exc:
        services.run_create(tool=tool, user=user, inputs={"topic": "", "count": 9, "evil": 1})
    assert set(exc.value.errors) == {"topic", "count", "evil"}
    assert Run.objects.count() == 0 and sent == []
    services.run_create(tool=tool, user=user, inputs={"topic": "ok"})
    assert len(sent) == 1  # the spy does see a valid run's enqueue


def test_max_new_tokens_and_prompt_are_capped(user, make_tool, settings):
    settings.GPTSTORE_MAX_NEW_TOKENS = 5
    tool = make_tool(lister=True, max_new_tokens=4000)
    run = services.run_create(tool=tool, user=user, inputs={"topic": "x"})
    assert run.sampling["max_new_tokens"] == 5
    settings.GPTSTORE_MAX_PROMPT_TOKENS = 20
    with pytest.raises(SchemaError) as exc:
        tool = make_tool(lister=True, slug="t2")
        services.run_create(tool=tool, user=user, inputs={"topic": "word " * 40})
    assert "too long" in exc.value.errors["__all__"][0]


def test_live_run_cap_is_atomic_under_50_concurrent_requests(user, tool, settings):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 4
    n = 50
    results = all_at_once(
        n,
        lambda i: services.run_create(tool=tool, user=user, inputs={"topic": f"t{i}"}),
        services.RunLimitExceeded,
    )
    assert results.count("ok") == 4
    refused = [r for r in results if r != "ok"]
    assert len(refused) == 46
    assert all("limit is 4" in str(r) for r in refused)
    assert Run.objects.filter(user=user, state__in=Run.LIVE_STATES).count() == 4


def test_cancel_queued_run_is_final_at_once(user, tool, redis_client):
    run = services.run_create(tool=tool, user=user, inputs={"topic": "x"})
    run = services.run_cancel(run=run)
    assert run.state == Run.State.CANCELLED and run.finish_reason == "cancelled"
    events = [ev for _, ev in streams.read_all(run.pk)]
    assert events[-1]["type"] == "final" and events[-1]["state"] == "cancelled"
    # A worker that gets the message later skips it.
    assert services.run_claim(run_id=run.pk) is None


def test_cancel_running_run_signals_the_worker(user, tool, redis_client):
    run = services.run_create(tool=tool, user=user, inputs={"topic": "x"})
    Run.objects.filter(pk=run.pk).update(state=Run.State.RUNNING, started_at=timezone.now())
    services.run_cancel(run=run)
    assert redis_client.exists(streams.cancel_key(run.pk))


def test_reconciler_requeues_lost_and_fails_dead(user, tool, redis_client, settings):
    lost = services.run_create(tool=tool, user=user, inputs={"topic": "lost"})
    redis_client.delete(streams.enqueued_key(lost.pk))  # as if Redis lost the message
    dead = services.run_create(tool=tool, user=user, inputs={"topic": "dead"})
    old = timezone.now() - timedelta(seconds=90)
    Run.objects.filter(pk=lost.pk).update(queued_at=old)
    Run.objects.filter(pk=dead.pk).update(state="running", started_at=old, attempts=1)
    streams.publish_text(dead.pk, "partial ")
    result = services.run_reconcile()
    assert result == {"requeued": 1, "failed": 1}
    lost.refresh_from_db()
    dead.refresh_from_db()
    assert lost.state == "queued" and any(lost.task_id in m for m in _queued_ids(redis_client))
    assert dead.state == "failed" and "stopped unexpectedly" in dead.error
    assert dead.error_code == Run.ErrorCode.WORKER_LOST
    assert dead.output == "partial "
    # A second pass changes nothing: the requeued run has its marker, the dead one is final.
    assert services.run_reconcile() == {"requeued": 0, "failed": 0}


def test_reconciler_sends_nothing_for_a_run_a_worker_claims_meanwhile(
    user, tool, redis_client, monkeypatch
):
    run = services.run_create(tool=tool, user=user, inputs={"topic": "raced"})
    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(seconds=90))
    real = streams.client()

    class WorkerClaimsFirst:
        """A worker takes the run (and drops its marker) between the query and the check."""

        def __getattr__(self, name):
            return getattr(real, name)

        def exists(self, key):
            Run.objects.filter(pk=run.pk).update(state=Run.State.RUNNING)
            real.delete(key)
            return real.exists(key)

    monkeypatch.setattr(streams, "client", lambda: WorkerClaimsFirst())
    queued_before = _queued_ids(redis_client)
    assert services.run_reconcile()["requeued"] == 0
    assert _queued_ids(redis_client) == queued_before  # no duplicate message
    run.refresh_from_db()
    assert run.state == "running"


def test_history_and_access(client, user, other_user, tool):
    run = services.run_create(tool=tool, user=user, inputs={"topic": "mine"})
    client.force_login(other_user)
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    assert client.get(f"/s/{run.pk}/").status_code == 404
    assert client.post(f"/runs/{run.pk}/cancel").status_code == 404
    assert client.post(f"/runs/{run.pk}/share", {"shared": "1"}).status_code == 404
    assert "mine" not in client.get("/runs/").content.decode()
    client.force_login(user)
    assert client.get(f"/runs/{run.pk}/").status_code == 200
    assert tool.name in client.get("/runs/").content.decode()
    client.post(f"/runs/{run.pk}/share", {"shared": "1"})
    client.logout()
    assert client.get(f"/s/{run.pk}/").status_code == 200
    assert client.get(f"/runs/{run.pk}/").status_code == 302
    assert client.get("/runs/").status_code == 302


def test_claim_takes_over_a_dead_workers_run_up_to_the_attempts_cap(user, tool, settings):
    from tools.worker import supervisor

    settings.GPTSTORE_RUN_MAX_ATTEMPTS = 2
    run = services.run_create(tool=tool, user=user, inputs={"topic": "x"})
    Run.objects.filter(pk=run.pk).update(state="running", attempts=1, started_at=timezone.now())
    streams.publish_text(run.pk, "lost text")
    # Redelivered while the first worker's lease is alive: skipped.
    streams.client().set(streams.lease_key(run.pk), "other", ex=30)
    assert services.run_claim(run_id=run.pk, task_id="t2") is None
    # Lease gone (the worker died): the new delivery takes the run over as attempt 2.
    streams.client().delete(streams.lease_key(run.pk))
    claimed = services.run_claim(run_id=run.pk, task_id="t2")
    try:
        assert claimed.attempts == 2 and claimed.task_id == "t2"
        assert streams.client().exists(streams.lease_key(run.pk))
    finally:
        supervisor.untrack(run.pk)
    # That worker dies too: the cap ends the run with a message and the partial text.
    claimed = services.run_claim(run_id=run.pk, task_id="t3")
    assert claimed is None
    run.refresh_from_db()
    assert run.state == "failed" and "after 2 attempts" in run.error
    assert run.error_code == Run.ErrorCode.TOO_MANY_ATTEMPTS
    assert run.output == "lost text"


def test_supervisor_stops_on_request():
    """A worker shutting down stops its supervisor thread instead of leaving it to retry a
    Redis that is going away."""
    from tools.worker import Supervisor

    sup = Supervisor()
    sup.start()
    assert sup._thread.is_alive()
    sup.stop()
    assert not sup._thread.is_alive()


def test_a_lease_refresh_in_progress_does_not_bring_an_untracked_lease_back(
    redis_client, monkeypatch
):
    """The supervisor refreshes its runs' leases every few seconds; a run that ends meanwhile
    must stay without a lease, or its worker looks alive to the reconciler for a whole TTL."""
    from tools.worker import Supervisor

    sup, run_id = Supervisor(), "11111111-2222-3333-4444-555555555555"
    with sup._lock:
        sup._handles[run_id] = None
    redis_client.set(streams.lease_key(run_id), "me", ex=30)
    real = streams.client()
    ender = threading.Thread(target=sup.untrack, args=(run_id,))

    class Pipeline:
        def __init__(self):
            self._pipe = real.pipeline(transaction=False)

        def __getattr__(self, name):
            return getattr(self._pipe, name)

        def execute(self):
            ender.start()  # the run ends while the refresh is on its way to Redis
            ender.join(0.5)
            return self._pipe.execute()

    class Client:
        def __getattr__(self, name):
            return getattr(real, name)

        def pipeline(self, transaction=True):
            return Pipeline()

    monkeypatch.setattr(streams, "client", lambda: Client())
    sup._tick()
    ender.join(10)
    assert not ender.is_alive()
    assert not redis_client.exists(streams.lease_key(run_id))
