"""One tool's page and what visitors do there: review, vote, star, report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, form_add_error
from core.ratelimit import rate_limited
from tools import forms as tool_forms
from tools import selectors as tool_selectors
from tools.builder.forms import model_help
from tools.models import Tool
from tools.registry import get_model

from .. import selectors, services
from ..forms import ReportForm, ReviewForm
from ..models import Review
from ._common import PAGE_SIZE, is_htmx, safe_next, with_favorites

REVIEWS_SHOWN = 20


def _visible_tool(request, slug) -> Tool:
    return get_object_or_404(tool_selectors.tools_visible_to(request.user), slug=slug)


def _review_sort(request) -> str:
    sort = request.GET.get("reviews", "newest")
    return sort if sort in selectors.REVIEW_SORTS else "newest"


def _reviews_context(request, tool: Tool, *, form: ReviewForm | None = None) -> dict:
    tool.refresh_from_db(fields=["review_count", "rating_sum", "run_count"])
    sort = _review_sort(request)
    reviews = list(selectors.tool_reviews(tool, sort=sort)[:REVIEWS_SHOWN])
    user = request.user
    my_review = None
    voted: set[int] = set()
    if user.is_authenticated:
        my_review = Review.objects.filter(tool=tool, user=user).first()
        voted = set(
            user.review_votes.filter(review__in=reviews).values_list("review_id", flat=True)
        )
    for review in reviews:
        review.voted = review.pk in voted
    if form is None and user.is_authenticated and user.pk != tool.author_id:
        initial = {"stars": my_review.stars, "text": my_review.text} if my_review else None
        form = ReviewForm(initial=initial)
    return {
        "tool": tool,
        "reviews": reviews,
        "review_sort": sort,
        "review_sorts": selectors.REVIEW_SORTS,
        "histogram": selectors.tool_rating_histogram(tool),
        "my_review": my_review,
        "review_form": form,
        "can_review": user.is_authenticated and user.pk != tool.author_id,
    }


# Similar tools are a vector search per view: limited per client address.
@require_GET
@rate_limited("pages")
def tool_detail(request, slug):
    tool = _visible_tool(request, slug)
    if is_htmx(request) and request.GET.get("part") == "reviews":
        return render(request, "store/_reviews.html", _reviews_context(request, tool))
    context = _reviews_context(request, tool)
    version = tool.current_version
    # A version pins its model; one the operator removed since is named, not run.
    model = get_model(version.model) if version is not None else None
    context.update(
        {
            "model": model,
            "model_about": model_help(model) if model is not None else "",
            "model_id": version.model if version is not None else "",
            "model_unavailable": version is not None and model is None,
            "tags": list(tool.tags.all()),
            "similar": with_favorites(request, selectors.tools_similar(tool)),
            "is_favorite": bool(selectors.favorite_ids(request.user, [tool.pk])),
            "is_owner": request.user.is_authenticated and request.user.pk == tool.author_id,
            "run_form": tool_forms.run_form_for(tool.current_version),
        }
    )
    return render(request, "store/tool_detail.html", context)


# --- reviews and helpful votes --------------------------------------------------------------


def _review_save(request, tool: Tool, form: ReviewForm) -> bool:
    """Save the review from a valid form; a refusal (own tool, ...) goes onto the form."""
    try:
        services.review_upsert(
            user=request.user,
            tool=tool,
            stars=form.cleaned_data["stars"],
            text=form.cleaned_data["text"].strip(),
        )
    except ApplicationError as exc:
        form_add_error(form, exc)
        return False
    return True


@login_required
@require_POST
def review_submit(request, slug):
    tool = _visible_tool(request, slug)
    form = ReviewForm(request.POST)
    saved = form.is_valid() and _review_save(request, tool, form)
    if is_htmx(request):
        # htmx swaps only 2xx answers: the form with its errors comes back as a 200.
        context = _reviews_context(request, tool, form=None if saved else form)
        context["saved"] = saved
        return render(request, "store/_reviews.html", context)
    if saved:
        messages.success(request, "Thanks, your review is saved.")
    else:
        for error in form.non_field_errors() or ["Choose from 1 to 5 stars."]:
            messages.error(request, error)
    return redirect(tool.get_absolute_url() + "#reviews")


@login_required
@require_POST
def review_helpful(request, pk):
    review = get_object_or_404(Review.objects.select_related("tool"), pk=pk)
    tool = _visible_tool(request, review.tool.slug)
    error = ""
    try:
        voted = services.review_helpful_toggle(user=request.user, review=review)
    except ApplicationError as exc:
        voted, error = False, exc.message
    review.refresh_from_db(fields=["helpful_count"])
    review.voted = voted
    if is_htmx(request):
        return render(request, "store/_helpful.html", {"review": review, "error": error})
    if error:
        messages.error(request, error)
    return redirect(tool.get_absolute_url() + f"#review-{review.pk}")


# --- favorites ------------------------------------------------------------------------------


@login_required
@require_POST
def favorite_toggle(request, slug):
    tool = _visible_tool(request, slug)
    is_favorite = services.favorite_toggle(user=request.user, tool=tool)
    if is_htmx(request):
        return render(request, "store/_favorite.html", {"tool": tool, "is_favorite": is_favorite})
    messages.success(
        request, f"{tool.name} {'added to' if is_favorite else 'removed from'} your favorites."
    )
    return redirect(safe_next(request, tool.get_absolute_url()))


@login_required
def favorites(request):
    tools = selectors.favorites_of(request.user)
    page = Paginator(tools, PAGE_SIZE).get_page(request.GET.get("page"))
    for tool in page.object_list:
        tool.is_favorite = True
    return render(request, "store/favorites.html", {"page": page, "tools": page.object_list})


# --- reports --------------------------------------------------------------------------------


def _report(request, *, tool: Tool, review: Review | None):
    back = tool.get_absolute_url() + (f"#review-{review.pk}" if review else "")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                tool=None if review else tool,
                review=review,
            )
        except ApplicationError as exc:
            # Nothing on the form to correct (it is already reported): say so where they were.
            messages.info(request, exc.message)
        else:
            messages.success(request, "Thanks. A moderator will review your report.")
        return redirect(back)
    return render(
        request,
        "store/report.html",
        {"form": form, "tool": tool, "review": review, "back": back},
    )


@login_required
def report_tool(request, slug):
    return _report(request, tool=_visible_tool(request, slug), review=None)


@login_required
def report_review(request, pk):
    review = get_object_or_404(Review.objects.select_related("tool", "user"), pk=pk)
    tool = _visible_tool(request, review.tool.slug)
    return _report(request, tool=tool, review=review)
