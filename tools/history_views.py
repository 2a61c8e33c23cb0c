"""The run history (/runs/): a user's conversations, filtered, searched, paged, deleted."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .models import Run

PER_PAGE = 20


def _filters(request: HttpRequest, tool_values: set[str]) -> dict[str, str]:
    """The history's filters from the query string; a value it does not know is dropped,
    so a stale or hand-edited link lists everything rather than failing."""
    tool = request.GET.get("tool", "").strip()
    state = request.GET.get("state", "").strip()
    q = " ".join(request.GET.get("q", "").split())[: selectors.MAX_QUERY_CHARS]
    return {
        "tool": tool if tool in tool_values else "",
        "state": state if state in Run.State.values else "",
        "q": q,
    }


def _tool_choices(user) -> list[tuple[str, str]]:
    choices = [
        (tool.slug, f"{tool.icon} {tool.name}".strip())
        for tool in selectors.history_tools(user=user)
    ]
    if selectors.history_has_api_runs(user=user):
        choices.append((selectors.API_RUNS, "API (base model)"))
    return choices


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """One entry per conversation, newest first, with its latest turn's state."""
    tool_choices = _tool_choices(request.user)
    filters = _filters(request, {value for value, _ in tool_choices})
    threads = selectors.threads_of(user=request.user, **filters)
    page = Paginator(threads, PER_PAGE).get_page(request.GET.get("page"))
    active = {k: v for k, v in filters.items() if v}
    context = {
        "page": page,
        "entries": selectors.thread_entries(list(page.object_list)),
        "filters": filters,
        "filtered": bool(active),
        "query": urlencode(active),
        "back": request.get_full_path(),
        "tool_choices": tool_choices,
        "state_choices": Run.State.choices,
    }
    return render(request, "tools/run_list.html", context)


def _back(request: HttpRequest) -> str:
    """Where to go after deleting: the history page the user came from, else its start."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    home = reverse("run_list")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith(home) else home


@login_required
@require_http_methods(["GET", "POST"])
def thread_delete(request: HttpRequest, thread) -> HttpResponse:
    """GET: asks first (the page the Delete button leads to without JavaScript).
    POST: deletes all the thread's turns. Anyone else's thread is a 404 either way."""
    turns = list(selectors.thread_of(user=request.user, thread=thread))
    if not turns:
        raise Http404("No such conversation in your history.")
    error = ""
    if request.method == "POST":
        try:
            deleted = services.thread_delete(user=request.user, thread=thread)
        except services.ThreadLive as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"Conversation deleted ({deleted} turn{'s' if deleted != 1 else ''}).",
            )
            return redirect(_back(request))
    entry = selectors.thread_entries([max(turns, key=lambda r: (r.queued_at, r.turn))])[0]
    context = {
        "entry": entry,
        "live": any(not t.is_final for t in turns),
        "error": error,
        "next": _back(request),
    }
    return render(request, "tools/_history_delete.html", context, status=409 if error else 200)
