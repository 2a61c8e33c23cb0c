"""Pages and endpoints of runs: create from the form, watch live, cancel, share, history."""

from __future__ import annotations

import asyncio
import json
import re
import time

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, form_add_error

from . import selectors, services, streams
from .forms import run_form_for
from .models import Run
from .selectors import tools_visible_to

EVENT_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")


def _runnable_tool(request, slug):
    tool = get_object_or_404(tools_visible_to(request.user), slug=slug)
    if tool.current_version is None:
        raise Http404("This tool has no published version.")
    return tool


def run_from_form(form, *, tool, user, version=None) -> tuple[Run | None, int]:
    """Start a run from a bound run form: (the run, 302), or (None, status) with the reason
    shown on the form. The run page and the builder's Test panel both start runs this way."""
    if form is None or not form.is_valid():
        return None, 400
    try:
        run = services.run_create(tool=tool, user=user, inputs=form.inputs(), version=version)
    except ApplicationError as exc:
        form_add_error(form, exc)
        return None, exc.status
    return run, 302


def run_new(request, slug):
    """GET: the tool's run form on its own page. POST: create a run (the form's target)."""
    tool = _runnable_tool(request, slug)
    if request.method == "GET":
        form = run_form_for(tool.current_version)
        return render(request, "tools/run_new.html", {"tool": tool, "run_form": form})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(tool.get_absolute_url())
    form = run_form_for(tool.current_version, data=request.POST)
    run, status = run_from_form(form, tool=tool, user=request.user)
    if run is not None:
        return redirect(run.get_absolute_url(), permanent=False)
    return render(request, "tools/run_new.html", {"tool": tool, "run_form": form}, status=status)


def _run_context(run: Run, *, owner: bool) -> dict:
    return {
        "run": run,
        "owner": owner,
        "totals": run.totals(),
        "queue_position": selectors.queue_position(run),
        "input_rows": [
            (spec.get("label") or spec["name"], run.inputs.get(spec["name"], ""))
            for spec in (run.version.input_schema or [])
            if isinstance(spec, dict) and "name" in spec
        ]
        if run.version is not None
        else _base_model_rows(run),
    }


def _base_model_rows(run: Run) -> list[tuple[str, str]]:
    """A base-model run (OpenAI-compatible API) shows its messages, or its raw prompt."""
    if run.messages:
        return [(m.get("role", ""), m.get("content", "")) for m in run.messages]
    return [("Prompt", run.prompt)]


def run_detail(request, run_id):
    run = get_object_or_404(selectors.runs_readable_by(request.user), pk=run_id)
    if run.user_id != getattr(request.user, "pk", None):
        return redirect("run_shared", run_id=run.pk)
    return render(request, "tools/run_detail.html", _run_context(run, owner=True))


def run_shared(request, run_id):
    run = get_object_or_404(Run.objects.select_related("tool", "version"), pk=run_id, shared=True)
    return render(request, "tools/run_detail.html", _run_context(run, owner=False))


@login_required
def run_list(request):
    page = Paginator(selectors.runs_of(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "tools/run_list.html", {"page": page, "runs": page.object_list})


def _own_run(request, run_id) -> Run:
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(Run, pk=run_id, user=request.user)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def run_cancel(request, run_id):
    run = services.run_cancel(run=_own_run(request, run_id))
    if _wants_json(request):
        return JsonResponse({"state": run.state, "cancel_requested": run.state == "running"})
    return redirect(run.get_absolute_url())


@require_POST
def run_share(request, run_id):
    run = services.run_share(
        run=_own_run(request, run_id), shared=request.POST.get("shared") == "1"
    )
    if _wants_json(request):
        return JsonResponse({"shared": run.shared})
    return redirect(run.get_absolute_url())


# --- Server-Sent Events ----------------------------------------------------------------------


def _sse(data: str, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}data: {data}\n\n"


async def run_events(request, run_id):
    """Live events of a run; the owner's, or anyone's for a shared run (404 otherwise)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = await request.auser()
    run = await selectors.runs_readable_by(user).filter(pk=run_id).afirst()
    if run is None:
        raise Http404
    await selectors.release_connection()
    last_id = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or "0-0"
    if not EVENT_ID_RE.match(last_id):
        last_id = "0-0"
    response = StreamingHttpResponse(
        _event_stream(run, last_id), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response


async def _event_stream(run: Run, last_id: str):
    r = streams.aclient()
    key = streams.stream_key(run.pk)
    yield "retry: 2000\n\n"
    if run.is_final and not await _exists(r, key):
        # Expired or lost stream of a finished run: the stored result is the whole story.
        yield _sse(streams.encode({"type": "final", **run.totals(), "output": run.output}))
        return
    position = await selectors.aqueue_position(run)
    await selectors.release_connection()
    if position is not None:
        yield _sse(streams.encode({"type": "queue", "position": position}))
    last_sent = last_db = time.monotonic()
    while True:
        queued = run.state == Run.State.QUEUED
        try:
            got = await r.xread({key: last_id}, count=200, block=1000 if queued else 5000)
        except redis.RedisError:
            got = None
            yield ": redis unavailable, retrying\n\n"
            await asyncio.sleep(1.0)
        finished = False
        chunk: list[str] = []
        for _key, entries in got or []:
            for xid, fields in entries:
                last_id = xid
                raw = fields.get("e", "{}")
                chunk.append(_sse(raw, xid))
                # Events are written by streams.encode with "type" first: no parse needed.
                if raw.startswith('{"type":"final"'):
                    finished = True
                    break
                if raw.startswith('{"type":"state"'):
                    run.state = json.loads(raw).get("state", run.state)
        if chunk:
            yield "".join(chunk)  # one write per read, however many events it brought
            last_sent = time.monotonic()
        if finished:
            return
        if got:
            continue
        now = time.monotonic()
        if queued or now - last_db >= 5.0:
            last_db = now
            fresh = await Run.objects.filter(pk=run.pk).afirst()
            if fresh is None:
                return
            if fresh.is_final:
                # The stream lacks the final event (expired, lost in a Redis restart, or not
                # read yet): read what is left, then end with the stored result.
                rest = await r.xread({key: last_id}, count=10_000) if await _alive(r) else []
                for _key, entries in rest or []:
                    for xid, fields in entries:
                        yield _sse(fields.get("e", "{}"), xid)
                        if json.loads(fields.get("e", "{}")).get("type") == "final":
                            return
                yield _sse(
                    streams.encode({"type": "final", **fresh.totals(), "output": fresh.output})
                )
                return
            new_position = await selectors.aqueue_position(fresh)
            await selectors.release_connection()
            if fresh.state != run.state:
                yield _sse(streams.encode({"type": "state", "state": fresh.state}))
                last_sent = now
            elif new_position is not None and new_position != position:
                yield _sse(streams.encode({"type": "queue", "position": new_position}))
                last_sent = now
            run, position = fresh, new_position
        if time.monotonic() - last_sent >= settings.GPTSTORE_SSE_KEEPALIVE:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()


async def _exists(r, key: str) -> bool:
    try:
        return bool(await r.exists(key))
    except redis.RedisError:
        return False


async def _alive(r) -> bool:
    try:
        return bool(await r.ping())
    except redis.RedisError:
        return False
