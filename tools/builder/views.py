"""The tool builder: build, test, publish, versions, remix, rollback, delete.

Thin views: forms parse, services write, selectors read. Only the author (or staff) reaches
a tool's builder actions; anyone else gets 404 (the tool's existence is not confirmed), and
anonymous visitors are sent to log in.
"""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, form_add_error

from .. import forms as tool_forms
from .. import selectors, services
from ..models import Run, Tool, ToolVersion
from ..registry import get_model
from ..schema import SchemaError
from ..views import run_from_form
from .field_forms import InputFieldForm, InputFieldFormSet, input_field_formset
from .forms import PublishForm, ToolBuilderForm

VERSION_NUMBER = re.compile(r"[0-9]{1,9}")
NEW_TOOL_FIELDS = [{"name": "text", "label": "Text", "type": "long_text", "required": True}]


def _editable_tool(request: HttpRequest, slug: str) -> Tool:
    """The tool if the user is its author or staff; 404 otherwise (deleted ones too)."""
    tool = get_object_or_404(
        Tool.objects.select_related("category", "current_version", "forked_from", "author"),
        slug=slug,
    )
    user = request.user
    if user.is_staff:
        return tool
    if tool.author_id != user.pk or tool.status == Tool.Status.REMOVED:
        raise Http404("No such tool.")
    return tool


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _builder_url(tool: Tool) -> str:
    return reverse("builder_edit", args=[tool.slug])


# --- the builder page -----------------------------------------------------------------------


def _rows_from_post(data) -> list[dict]:
    """The input-field rows as posted (kept ones, in their order) to re-render them unbound."""
    try:
        total = min(int(data.get("fields-TOTAL_FORMS", 0)), 40)
    except ValueError:
        total = 0
    rows = []
    for i in range(total):
        prefix = f"fields-{i}-"
        if data.get(prefix + "DELETE"):
            continue
        row = {key: data.get(prefix + key, "") for key in InputFieldForm.base_fields}
        row["required"] = bool(data.get(prefix + "required"))
        try:
            order = float(data.get(prefix + "ORDER") or i + 1)
        except ValueError:
            order = i + 1
        rows.append((order, i, row))
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _context(request, tool: Tool | None, form, formset, *, test_form=None, run=None) -> dict:
    head = services.tool_head_version(tool) if tool else None
    head_model = get_model(head.model) if head else None
    if tool is not None and test_form is None and (head is None or head_model is not None):
        test_form = tool_forms.run_form_for(head)
    return {
        "tool": tool,
        "form": form,
        "formset": formset,
        "head": head,
        "head_is_draft": services.version_is_draft(tool=tool, version=head) if tool else True,
        "head_model": head_model,
        "test_form": test_form,
        "test_run": run,
    }


def _builder_form(head: ToolVersion | None, data=None, **kwargs) -> ToolBuilderForm:
    return ToolBuilderForm(data, pinned_model=head.model if head else "", **kwargs)


def _saved_message(tool: Tool, before: ToolVersion | None) -> str:
    """Says when the save made a new version (a change to a published one, a new model)."""
    head = services.tool_head_version(tool)
    if before is None or head is None or head.pk == before.pk:
        return f"Saved “{tool.name}”. Test it below, then publish it."
    spec = get_model(head.model)
    on = f" on {spec.name}" if spec is not None and head.model != before.model else ""
    return (
        f"Saved “{tool.name}” as version {head.number}{on}; version {before.number} stays "
        "as it was. Test it below, then publish it."
    )


def _builder(request: HttpRequest, tool: Tool | None):
    if request.method == "GET":
        if tool is None:
            form = ToolBuilderForm()
            formset = input_field_formset(schema=NEW_TOOL_FIELDS)
        else:
            head = services.tool_head_version(tool)
            form = _builder_form(head, initial=ToolBuilderForm.initial_for(tool, head))
            formset = input_field_formset(schema=head.input_schema if head else [])
        run = None
        run_id = request.GET.get("run", "")
        if tool is not None and _is_uuid(run_id):
            run = (
                Run.objects.select_related("version")
                .filter(pk=run_id, user=request.user, tool=tool)
                .first()
            )
        return render(
            request, "tools/builder/edit.html", _context(request, tool, form, formset, run=run)
        )

    before = services.tool_head_version(tool) if tool else None
    if "add_field" in request.POST or "apply_fields" in request.POST:
        # No-JS editing of the field list: re-render (nothing is saved) with the rows as
        # posted, minus removed ones, in their order, plus a blank one for "add field".
        rows = _rows_from_post(request.POST)
        if "add_field" in request.POST:
            rows.append({"type": "short_text", "required": True})
        form = _builder_form(before, initial=request.POST.dict())
        formset = InputFieldFormSet(initial=rows, prefix="fields")
        return render(request, "tools/builder/edit.html", _context(request, tool, form, formset))

    form = _builder_form(before, request.POST)
    formset = input_field_formset(request.POST)
    if form.is_valid() & formset.is_valid():
        try:
            tool = services.tool_build(
                author=request.user,
                tool=tool,
                tool_fields=form.tool_fields(),
                tags=form.cleaned_data["tags"],
                version_fields=form.version_fields(
                    formset.schema(), kept_sampling=before.sampling_defaults if before else None
                ),
            )
        except SchemaError as exc:
            _add_schema_errors(exc, form, formset)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _saved_message(tool, before))
            return redirect(_builder_url(tool) + "#test")
    return render(
        request, "tools/builder/edit.html", _context(request, tool, form, formset), status=400
    )


def _add_schema_errors(exc: SchemaError, form, formset) -> None:
    # Popped before the formset's turn: an input field may be named "model" too.
    for key in ("example_inputs", "model"):
        for message in exc.errors.pop(key, []):
            form.add_error(key, message)
    if exc.errors:
        formset.add_schema_errors(exc, form)


@login_required
@require_http_methods(["GET", "POST"])
def builder_new(request):
    return _builder(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def builder_edit(request, slug):
    return _builder(request, _editable_tool(request, slug))


@login_required
@require_POST
def builder_preview(request):
    """The description's Markdown, sanitised (htmx target of the builder)."""
    text = request.POST.get("description", "")[:10_000]
    return render(request, "tools/builder/_preview.html", {"text": text})


@login_required
@require_POST
def builder_test(request, slug):
    """The Test panel: run the newest (possibly unpublished) version through the engine."""

    tool = _editable_tool(request, slug)
    head = services.tool_head_version(tool)
    test_form = tool_forms.run_form_for(head, data=request.POST)
    run, status = run_from_form(test_form, tool=tool, user=request.user, version=head)
    if run is not None:
        return redirect(_builder_url(tool) + f"?run={run.pk}#test")
    form = _builder_form(head, initial=ToolBuilderForm.initial_for(tool, head))
    formset = input_field_formset(schema=head.input_schema if head else [])
    context = _context(request, tool, form, formset, test_form=test_form)
    return render(request, "tools/builder/edit.html", context, status=status)


# --- publish, unpublish, delete, remix, versions --------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def tool_publish(request, slug):
    tool = _editable_tool(request, slug)
    head = services.tool_head_version(tool)
    initial = {"visibility": tool.visibility, "changelog": head.changelog if head else ""}
    form = PublishForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.tool_publish_head(
                tool=tool,
                changelog=form.cleaned_data["changelog"].strip(),
                visibility=form.cleaned_data["visibility"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.errors.get("__all__", [exc.message])[0])
        else:
            tool.refresh_from_db()
            messages.success(
                request,
                f"Published version {tool.current_version.number} "
                f"({tool.get_visibility_display().lower()}).",
            )
            return redirect(tool.get_absolute_url())
    context = {
        "tool": tool,
        "form": form,
        "head": head,
        "head_is_draft": services.version_is_draft(tool=tool, version=head),
        "head_model": get_model(head.model) if head else None,
    }
    return render(request, "tools/builder/publish.html", context)


@login_required
@require_POST
def tool_unpublish(request, slug):
    tool = _editable_tool(request, slug)
    try:
        services.tool_unpublish(tool=tool)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{tool.name}” is a draft again: only you can see it.")
    return redirect(_builder_url(tool))


@login_required
@require_http_methods(["GET", "POST"])
def tool_delete(request, slug):
    tool = _editable_tool(request, slug)
    if request.method == "POST":
        services.tool_delete(tool=tool)
        messages.success(request, f"Deleted “{tool.name}”. Runs made with it stay readable.")
        return redirect("dashboard")
    return render(request, "tools/builder/delete.html", {"tool": tool})


@login_required
@require_POST
def tool_remix(request, slug):
    tool = get_object_or_404(selectors.tools_visible_to(request.user), slug=slug)
    if tool.status == Tool.Status.REMOVED:
        raise Http404("No such tool.")
    try:
        copy = services.tool_remix(tool=tool, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(tool.get_absolute_url())
    messages.success(request, f"Remixed “{tool.name}” into your own draft. Make it yours.")
    return redirect(_builder_url(copy))


@login_required
@require_GET
def tool_versions(request, slug):
    tool = _editable_tool(request, slug)
    figures = {row["version"].pk: row for row in selectors.version_run_figures(tool)}
    versions = list(tool.versions.order_by("-number"))
    for version in versions:
        version.figures = figures.get(version.pk, {})
        version.model_spec = get_model(version.model)
    return render(request, "tools/builder/versions.html", {"tool": tool, "versions": versions})


@login_required
@require_POST
def tool_rollback(request, slug):
    tool = _editable_tool(request, slug)
    number = request.POST.get("version", "")
    # ASCII digits only, and few enough for the integer column: "²" passes isdigit(), int()
    # refuses it; a 20-digit number is out of the column's range.
    valid = VERSION_NUMBER.fullmatch(number) is not None
    version = tool.versions.filter(number=int(number)).first() if valid else None
    if version is None:
        messages.error(request, "Choose a version to roll back to.")
        return redirect("tool_versions", slug=tool.slug)
    try:
        new = services.tool_rollback(tool=tool, version=version)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Version {new.number} restores version {version.number}'s prompt and fields."
        )
    return redirect("tool_versions", slug=tool.slug)
