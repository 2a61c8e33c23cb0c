"""The runs API: create through tools.services, own runs only, cancel, stream, limits."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from api.services import token_create
from tools.models import Run

pytestmark = pytest.mark.django_db


def create(client, tool, **body):
    return client.post("/api/runs/", {"tool": tool.slug, "inputs": {"text": "hello"}, **body})


def test_create_list_retrieve_own_run(alice, catalog, user):
    response = create(alice, catalog["bobs"], sampling={"temperature": 0.1, "max_new_tokens": 8})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "queued" and data["tool"] == catalog["bobs"].slug
    assert data["sampling"]["temperature"] == 0.1 and data["sampling"]["max_new_tokens"] == 8
    run = Run.objects.get(pk=data["id"])
    assert run.user == user and run.prompt == "Rewrite: hello"
    assert [r["id"] for r in alice.get("/api/runs/").json()["results"]] == [data["id"]]
    assert alice.get(f"/api/runs/{data['id']}/").json()["id"] == data["id"]
    assert alice.get("/api/runs/?state=succeeded").json()["count"] == 0


def test_others_runs_are_never_readable_or_cancellable(alice, bob, anon, catalog):
    run_id = create(alice, catalog["bobs"]).json()["id"]
    assert bob.get(f"/api/runs/{run_id}/").status_code == 404
    assert bob.post(f"/api/runs/{run_id}/cancel/").status_code == 404
    assert bob.get("/api/runs/").json()["count"] == 0
    assert bob.get(f"/api/runs/{run_id}/events/").status_code == 404
    assert anon.get(f"/api/runs/{run_id}/").status_code == 401
    assert anon.post(f"/api/runs/{run_id}/cancel/").status_code == 401
    assert anon.get("/api/runs/").status_code == 401
    assert anon.post("/api/runs/", {"tool": catalog["bobs"].slug, "inputs": {}}).status_code == 401
    assert Run.objects.get(pk=run_id).state == "queued"
    assert bob.get("/api/runs/not-a-uuid/").status_code == 404


def test_runs_of_hidden_tools_are_refused(bob, catalog):
    for state in ("private", "draft", "removed"):
        response = create(bob, catalog[state])
        assert response.status_code == 400 and "tool" in response.json()
    assert Run.objects.count() == 0


def test_invalid_inputs_give_field_errors_and_store_nothing(alice, catalog):
    response = alice.post(
        "/api/runs/", {"tool": catalog["bobs"].slug, "inputs": {"text": 3, "extra": 1}}
    )
    assert response.status_code == 400
    assert set(response.json()["inputs"]) == {"text", "extra"}
    assert alice.post("/api/runs/", {"tool": catalog["bobs"].slug, "inputs": []}).status_code == 400
    bad = {"tool": catalog["bobs"].slug, "inputs": {"text": "x"}, "sampling": {"top_p": 7}}
    assert alice.post("/api/runs/", bad).status_code == 400
    assert Run.objects.count() == 0


def test_run_state_and_counts_cannot_be_set(alice, catalog):
    response = create(
        alice,
        catalog["bobs"],
        state="succeeded",
        output="forged",
        completion_tokens=5,
        user="bob",
        shared=True,
    )
    assert response.status_code == 201
    run = Run.objects.get(pk=response.json()["id"])
    assert (run.state, run.output, run.completion_tokens, run.shared) == ("queued", "", None, False)


def test_live_run_cap_gives_429_with_retry_after(alice, catalog, settings):
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 2
    assert [create(alice, catalog["bobs"]).status_code for _ in range(2)] == [201, 201]
    refused = create(alice, catalog["bobs"])
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "limit" in refused.json()["detail"]
    assert Run.objects.count() == 2


def test_cancel_and_stream_with_a_token(alice, catalog, user):
    run_id = create(alice, catalog["bobs"]).json()["id"]
    cancelled = alice.post(f"/api/runs/{run_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    _, secret = token_create(user=user, name="sse")
    response = Client().get(f"/api/runs/{run_id}/events/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")

    async def read_all():
        return b"".join([chunk async for chunk in response.streaming_content])

    body = async_to_sync(read_all)().decode()
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "final" and events[-1]["state"] == "cancelled"
    bad = Client().get(f"/api/runs/{run_id}/events/", HTTP_AUTHORIZATION="Bearer gpts_x_y")
    assert bad.status_code == 401
