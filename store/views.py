"""Pages of the store. Thin: parse input, call selectors/services/search, render.

Every list a visitor sees comes from `tool_selectors.tools_listed()`; one tool comes from
`tool_selectors.tools_visible_to(user)`. Partial templates (names starting with `_`) answer
htmx requests; the same URLs work without JavaScript through plain form posts.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tools import forms as tool_forms
from tools import selectors as tool_selectors
from tools.models import Category, Tag, Tool

from . import search as search_mod
from . import selectors, services
from .forms import (
    ProfileForm,
    ReportForm,
    ResourceSubmitForm,
    ReviewForm,
    SignupForm,
    ThrottledAuthenticationForm,
)
from .models import Resource, Review

PAGE_SIZE = 24
REVIEWS_SHOWN = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_favorites(request: HttpRequest, tools) -> list[Tool]:
    tools = list(tools)
    starred = selectors.favorite_ids(request.user, [t.pk for t in tools])
    for tool in tools:
        tool.is_favorite = tool.pk in starred
    return tools


# --- catalog pages --------------------------------------------------------------------------


@require_GET
def home(request):
    return render(
        request,
        "store/home.html",
        {
            "featured": selectors.tools_featured(limit=6),
            "trending": selectors.tools_trending(limit=6),
            "top_rated": selectors.tools_top_rated(limit=6),
            "newest": selectors.tools_newest(limit=6),
            "categories": selectors.categories_with_counts(),
        },
    )


def _tool_list_page(request, *, title: str, intro: str, qs, extra: dict | None = None):
    sort = request.GET.get("sort", "rating")
    sort = sort if sort in search_mod.SORTS and sort != "relevance" else "rating"
    ordered = search_mod.ordered(qs, sort, search_mod.KIND_TOOLS)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    sorts = {k: v for k, v in search_mod.SORTS.items() if k != "relevance"}
    context = {
        "title": title,
        "intro": intro,
        "page": page,
        "tools": page.object_list,
        "sort": sort,
        "sorts": sorts,
        **(extra or {}),
    }
    return render(request, "store/tool_list.html", context)


@require_GET
def category(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    return _tool_list_page(
        request,
        title=cat.name,
        intro=cat.description,
        qs=tool_selectors.tools_listed().filter(category=cat),
        extra={"category": cat, "search_category": cat.slug},
    )


@require_GET
def tag(request, slug):
    tag_obj = get_object_or_404(Tag, slug=slug)
    return _tool_list_page(
        request,
        title=f"#{tag_obj.name}",
        intro=f"Tools tagged “{tag_obj.name}”.",
        qs=tool_selectors.tools_listed().filter(tags=tag_obj),
        extra={"tag": tag_obj},
    )


@require_GET
def categories(request):
    return render(
        request,
        "store/categories.html",
        {"categories": selectors.categories_with_counts(), "tags": selectors.tags_with_counts()},
    )


@require_GET
def resources(request):
    kinds = Resource.Kind
    kind = request.GET.get("kind", "")
    qs = selectors.resources_listed()
    if kind in kinds.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    counts = dict(
        selectors.resources_listed()
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kind_list = [(value, label, counts.get(value, 0)) for value, label in kinds.choices]
    return render(
        request,
        "store/resources.html",
        {"page": page, "resources": page.object_list, "kind": kind, "kinds": kind_list},
    )


@require_GET
def resource_detail(request, slug):
    res = get_object_or_404(selectors.resources_listed().prefetch_related("tags"), slug=slug)
    return render(request, "store/resource_detail.html", {"resource": res})


# --- one tool -------------------------------------------------------------------------------


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


@require_GET
def tool_detail(request, slug):
    tool = _visible_tool(request, slug)
    if _is_htmx(request) and request.GET.get("part") == "reviews":
        return render(request, "store/_reviews.html", _reviews_context(request, tool))
    context = _reviews_context(request, tool)
    context.update(
        {
            "tags": list(tool.tags.all()),
            "similar": _with_favorites(request, selectors.tools_similar(tool)),
            "is_favorite": bool(selectors.favorite_ids(request.user, [tool.pk])),
            "is_owner": request.user.is_authenticated and request.user.pk == tool.author_id,
            "run_form": tool_forms.run_form_for(tool.current_version),
        }
    )
    return render(request, "store/tool_detail.html", context)


@login_required
@require_POST
def review_submit(request, slug):
    tool = _visible_tool(request, slug)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_upsert(
                user=request.user,
                tool=tool,
                stars=form.cleaned_data["stars"],
                text=form.cleaned_data["text"].strip(),
            )
        except services.ReviewError as exc:
            form.add_error(None, str(exc))
    if form.is_valid():
        if not _is_htmx(request):
            messages.success(request, "Thanks, your review is saved.")
            return redirect(tool.get_absolute_url() + "#reviews")
        context = _reviews_context(request, tool)
        context["saved"] = True
        return render(request, "store/_reviews.html", context)
    if _is_htmx(request):
        return render(request, "store/_reviews.html", _reviews_context(request, tool, form=form))
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
    except services.ReviewError as exc:
        voted, error = False, str(exc)
    review.refresh_from_db(fields=["helpful_count"])
    review.voted = voted
    if _is_htmx(request):
        return render(request, "store/_helpful.html", {"review": review, "error": error})
    if error:
        messages.error(request, error)
    return redirect(tool.get_absolute_url() + f"#review-{review.pk}")


@login_required
@require_POST
def favorite_toggle(request, slug):
    tool = _visible_tool(request, slug)
    is_favorite = services.favorite_toggle(user=request.user, tool=tool)
    if _is_htmx(request):
        return render(request, "store/_favorite.html", {"tool": tool, "is_favorite": is_favorite})
    messages.success(
        request, f"{tool.name} {'added to' if is_favorite else 'removed from'} your favorites."
    )
    return redirect(_safe_next(request, tool.get_absolute_url()))


@login_required
def favorites(request):
    tools = selectors.favorites_of(request.user)
    page = Paginator(tools, PAGE_SIZE).get_page(request.GET.get("page"))
    for tool in page.object_list:
        tool.is_favorite = True
    return render(request, "store/favorites.html", {"page": page, "tools": page.object_list})


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
        except services.ReportError as exc:
            messages.info(request, str(exc))
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


# --- people ---------------------------------------------------------------------------------


@require_GET
def author(request, username):
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    tools = tool_selectors.tools_listed().filter(author=person)
    ordered = selectors.with_bayesian_rating(tools).order_by("-bayes", "-run_count", "-pk")
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "store/author.html",
        {
            "person": person,
            "page": page,
            "tools": page.object_list,
            "stats": selectors.author_stats(person),
        },
    )


# --- search ---------------------------------------------------------------------------------


@require_GET
def search(request):
    params = search_mod.params_from_query(request.GET)
    result = search_mod.search(params)
    items = result.items
    if params.kind == search_mod.KIND_TOOLS:
        items = _with_favorites(request, items)
    context = {
        "result": result,
        "params": params,
        "items": items,
        "q": params.q,
        "sorts": search_mod.SORTS,
        "categories": selectors.categories_with_counts(),
        "tags": selectors.tags_with_counts(limit=20),
        "query_string": _query_without_page(request),
    }
    if not items:
        context["popular"] = selectors.tools_top_rated(limit=4) or selectors.tools_newest(limit=4)
    return render(request, "store/search.html", context)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def search_suggest(request):
    q = request.GET.get("q", "")
    tools = search_mod.suggest(q)
    return render(
        request, "store/_suggest.html", {"suggestions": tools, "q": search_mod.normalize_query(q)}
    )


# --- accounts -------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect(_safe_next(request, reverse("home")))
    next_url = _safe_next(request, "")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


@login_required
def profile_edit(request):
    user = request.user
    profile = user.profile
    initial = {"display_name": profile.display_name, "bio": profile.bio, "email": user.email}
    form = ProfileForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=user,
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            email=form.cleaned_data["email"],
        )
        messages.success(request, "Profile saved.")
        return redirect("profile_edit")
    return render(request, "accounts/profile_edit.html", {"form": form})


password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html"
)
password_reset = auth_views.PasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)


# --- the creator's dashboard and resource suggestions ---------------------------------------


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
        services.resource_submit(user=request.user, **form.cleaned_data)
        messages.success(request, "Thanks! A moderator will review the resource before it shows.")
        return redirect("resources")
    return render(request, "store/resource_submit.html", {"form": form})
