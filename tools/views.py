"""Pages and endpoints of runs: create from the form, watch live, read and download the
answer, run again, cancel, share, history."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, form_add_error

from . import selectors, services, streams
from .answers import render_markdown
from .forms import FollowupForm, run_form_data, run_form_for
from .models import Run
from .registry import get_model
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
        services.run_queue_check()
        run = services.run_create(tool=tool, user=user, inputs=form.inputs(), version=version)
    except ApplicationError as exc:
        form_add_error(form, exc)
        return None, exc.status
    return run, 302


def run_new(request, slug):
    """GET: the tool's run form on its own page, prefilled from one of the user's runs with
    ?from=<run id> ("Edit inputs"). POST: create a run (the form's target)."""
    tool = _runnable_tool(request, slug)
    if request.method == "GET":
        earlier = _earlier_run(request, tool, request.GET.get("from"))
        initial = earlier.inputs if earlier is not None else None
        form = run_form_for(tool.current_version, initial=initial)
        context = {"tool": tool, "run_form": form, "earlier": earlier}
        if get_model(tool.current_version.model) is None:
            # The same words as the tool page; a POST anyway gets run_create's 409.
            context.update(run_form=None, model_id=tool.current_version.model)
        return render(request, "tools/run_new.html", context)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(tool.get_absolute_url())
    form = run_form_for(tool.current_version, data=request.POST)
    return _start_or_show_form(request, tool, form)


def _start_or_show_form(request, tool, form) -> HttpResponse:
    run, status = run_from_form(form, tool=tool, user=request.user)
    if run is not None:
        return redirect(run.get_absolute_url(), permanent=False)
    context = {"tool": tool, "run_form": form, "refused": status in (429, 503)}
    return render(request, "tools/run_new.html", context, status=status)


def _earlier_run(request, tool, run_id: str | None) -> Run | None:
    """The user's own first-turn run of `tool` named by `run_id`, to prefill the form with
    its inputs; None for anything else (a bad id, another's run, a follow-up)."""
    if not run_id or not request.user.is_authenticated:
        return None
    try:
        pk = uuid.UUID(run_id)
    except ValueError:
        return None
    run = Run.objects.filter(pk=pk, user=request.user, tool=tool, parent__isnull=True).first()
    return run if run is not None and isinstance(run.inputs, dict) else None


@require_POST
def run_again(request, run_id):
    """A new run with the same inputs, through the same checks as the form; what they
    refuse shows on the run form page, filled with those inputs."""
    source = _own_run(request, run_id)
    if source.tool_id is None or source.parent_id is not None:
        raise Http404("Only a tool's first turn can be run again.")
    tool = _runnable_tool(request, source.tool.slug)
    form = run_form_for(tool.current_version, data=run_form_data(source.inputs or {}))
    return _start_or_show_form(request, tool, form)


def run_context(run: Run, *, owner: bool, followup_form=None) -> dict:
    """The run page: the conversation up to `run`, `run` itself live, and (for its owner)
    the follow-up box. A shared page shows only the turns that are shared too."""
    # Running again only makes sense from a conversation's first turn: a follow-up's
    # inputs are empty and its prompt is the user's message.
    rerun = owner and run.tool_id is not None and run.parent_id is None
    turns = selectors.thread_turns(run)
    earlier = [t for t in turns[:-1] if owner or t.shared]
    can_follow_up = owner and not run.raw_prompt
    return {
        "run": run,
        "owner": owner,
        "earlier": earlier,
        "first_rows": _input_rows(turns[0]) if turns[0] in earlier else [],
        "latest": selectors.thread_latest(run) if owner else None,
        "can_run_again": rerun,
        "can_edit_inputs": rerun and bool(run.inputs),
        "can_follow_up": can_follow_up,
        "followup_form": followup_form or (FollowupForm() if can_follow_up else None),
        "totals": run.totals(),
        "queue_position": selectors.queue_position(run),
        "model_name": _model_name(run.model_key),
        "waiting_reason": (
            selectors.waiting_reason(run.model_key) if run.state == Run.State.QUEUED else ""
        ),
        "input_rows": _input_rows(run) if run.parent_id is None else [],
    }


def _model_name(model_key: str) -> str:
    spec = get_model(model_key)
    return spec.name if spec is not None else model_key


def _input_rows(run: Run) -> list[tuple[str, str]]:
    if run.version is None:
        return _base_model_rows(run)
    return [
        (spec.get("label") or spec["name"], run.inputs.get(spec["name"], ""))
        for spec in (run.version.input_schema or [])
        if isinstance(spec, dict) and "name" in spec
    ]


def _base_model_rows(run: Run) -> list[tuple[str, str]]:
    """A base-model run (OpenAI-compatible API) shows its messages, or its raw prompt."""
    if run.messages:
        return [(m.get("role", ""), m.get("content", "")) for m in run.messages]
    return [("Prompt", run.prompt)]


def run_detail(request, run_id):
    run = get_object_or_404(selectors.runs_readable_by(request.user), pk=run_id)
    if run.user_id != getattr(request.user, "pk", None):
        return redirect("run_shared", run_id=run.pk)
    return render(request, "tools/run_detail.html", run_context(run, owner=True))


def run_shared(request, run_id):
    run = get_object_or_404(Run.objects.select_related("tool", "version"), pk=run_id, shared=True)
    return render(request, "tools/run_detail.html", run_context(run, owner=False))


def _readable_run(request, run_id) -> Run:
    return get_object_or_404(selectors.runs_readable_by(request.user), pk=run_id)


@require_GET
def run_answer(request, run_id):
    """The answer as sanitised HTML: the fragment the run page swaps in when a run ends."""
    run = _readable_run(request, run_id)
    return HttpResponse(render_markdown(run.output), content_type="text/html; charset=utf-8")


@require_GET
def run_answer_md(request, run_id):
    """The answer's Markdown source, as a file to save."""
    run = _readable_run(request, run_id)
    name = f"{run.tool.slug if run.tool else 'answer'}-{run.pk.hex[:8]}.md"
    response = HttpResponse(run.output, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


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


async def run_events(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
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


async def _event_stream(run: Run, last_id: str) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    async for batch in streams.follow(run, last_id):
        yield "".join(_frame(event) for event in batch)  # one write per read of the stream


def _frame(event: streams.Event) -> str:
    if event.data is None:
        return f": {event.comment}\n\n"
    return _sse(event.data, event.id)
