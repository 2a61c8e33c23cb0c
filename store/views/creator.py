"""What members add: the creator's dashboard of their tools, and resource suggestions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError, form_add_error

from .. import selectors, services
from ..forms import ResourceSubmitForm


@login_required
@require_GET
def dashboard(request):
    return render(
        request, "store/dashboard.html", {"rows": selectors.creator_dashboard(request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_submit(request):
    form = ResourceSubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_submit(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(
                request, "Thanks! A moderator will review the resource before it shows."
            )
            return redirect("resources")
    return render(request, "store/resource_submit.html", {"form": form})
