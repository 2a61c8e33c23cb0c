"""The follow-up box of the run page: continue a conversation with a new turn."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, form_add_error

from . import services
from .forms import FollowupForm
from .models import Run
from .views import run_context


@require_POST
def run_followup(request, run_id):
    """POST the box: a new turn (302 to its page), or the run page again with the reason
    next to the box and the message kept."""
    if not request.user.is_authenticated:
        raise Http404
    parent = get_object_or_404(
        Run.objects.select_related("tool", "version"), pk=run_id, user=request.user
    )
    form = FollowupForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.run_queue_check()
            run = services.run_followup(
                parent=parent, user=request.user, message=form.cleaned_data["message"]
            )
            return redirect(run.get_absolute_url())
        except ApplicationError as exc:
            form_add_error(form, exc)
            status = exc.status
    context = run_context(parent, owner=True, followup_form=form)
    return render(request, "tools/run_detail.html", context, status=status)
