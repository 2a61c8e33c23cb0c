"""Every page of the site, in a real browser, as an anonymous visitor, a signed-in user and a
tool's author (and staff, for the admin index), at phone (390x844) and desktop (1366x900)
size: the expected status, no horizontal overflow, a one-row header on desktop, no console
errors, no failed requests, and no serious or critical axe-core violations.

The pages come from Django's URL resolver: a new URL pattern with neither a SWEEP entry nor
an EXCLUDED reason fails `test_every_url_pattern_is_swept`. Every problem of the sweep is
collected and listed in one failure. Screenshots of every page land in
<var>/screenshots/sweep/<role>-<width>-<name>.png for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.sweep import (
    HOME,
    LOGIN,
    NOT_FOUND,
    OK,
    ROLES,
    Expect,
    Known,
    Listener,
    Page,
    Problem,
    authors_only,
    check_visit,
    fixed,
    public,
    signed_in,
    status_problem,
    sweep_as,
    url_routes,
)
from tests.e2e.sweep_data import make_sweep_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = ((390, 844), (1366, 900))

SWEEP: dict[str, list[Page]] = {
    "": [public("home", fixed("/"))],
    "search/": [public("search", fixed("/search/?q=meeting"))],
    "t/<slug:slug>/": [public("tool_detail", lambda d, r: f"/t/{d.tool.slug}/")],
    "t/<slug:slug>/report/": [signed_in("report_tool", lambda d, r: f"/t/{d.tool.slug}/report/")],
    "reviews/<int:pk>/report/": [
        signed_in("report_review", lambda d, r: f"/reviews/{d.other_review.pk}/report/")
    ],
    "categories/": [public("categories", fixed("/categories/"))],
    "c/<slug:slug>/": [public("category", lambda d, r: f"/c/{d.category.slug}/")],
    "tag/<slug:slug>/": [public("tag", lambda d, r: f"/tag/{d.tag.slug}/")],
    "u/<str:username>/": [public("author", lambda d, r: f"/u/{d.author.username}/")],
    "favorites/": [signed_in("favorites", fixed("/favorites/"))],
    "me/tools/": [signed_in("dashboard", fixed("/me/tools/"))],
    "resources/": [public("resources", fixed("/resources/"))],
    "resources/submit/": [signed_in("resource_submit", fixed("/resources/submit/"))],
    "resources/<slug:slug>/": [
        public("resource_detail", lambda d, r: f"/resources/{d.resource.slug}/")
    ],
    "accounts/signup/": [
        Page("signup", fixed("/accounts/signup/"), {"anon": OK, "user": HOME, "author": HOME})
    ],
    "accounts/login/": [
        Page("login", fixed("/accounts/login/"), {"anon": OK, "user": HOME, "author": HOME})
    ],
    "accounts/profile/": [signed_in("profile_edit", fixed("/accounts/profile/"))],
    "accounts/password/": [signed_in("password_change", fixed("/accounts/password/"))],
    "accounts/password/done/": [
        signed_in("password_change_done", fixed("/accounts/password/done/"))
    ],
    "accounts/password/reset/": [public("password_reset", fixed("/accounts/password/reset/"))],
    "accounts/password/reset/sent/": [
        public("password_reset_done", fixed("/accounts/password/reset/sent/"))
    ],
    "accounts/password/reset/<uidb64>/<token>/": [
        # A valid link leads on to the set-password form; a used or forged one says so.
        Page(
            "password_reset_confirm",
            lambda d, r: d.reset_link(r),
            {r: Expect("redirect", "/accounts/password/reset/") for r in ROLES},
        ),
        public("password_reset_confirm_invalid", fixed("/accounts/password/reset/MQ/bad-token/")),
    ],
    "accounts/password/reset/done/": [
        public("password_reset_complete", fixed("/accounts/password/reset/done/"))
    ],
    "build/": [signed_in("builder_new", fixed("/build/"))],
    "build/<slug:slug>/": [authors_only("builder_edit", lambda d, r: f"/build/{d.tool.slug}/")],
    "t/<slug:slug>/publish/": [
        authors_only("tool_publish", lambda d, r: f"/t/{d.tool.slug}/publish/")
    ],
    "t/<slug:slug>/delete/": [
        authors_only("tool_delete", lambda d, r: f"/t/{d.tool.slug}/delete/")
    ],
    "t/<slug:slug>/versions/": [
        authors_only("tool_versions", lambda d, r: f"/t/{d.tool.slug}/versions/")
    ],
    "t/<slug:slug>/run": [public("run_new", lambda d, r: f"/t/{d.tool.slug}/run")],
    "runs/": [signed_in("run_list", fixed("/runs/"))],
    "me/usage/": [signed_in("usage", fixed("/me/usage/"))],
    "runs/<uuid:run_id>/": [
        # The user's own, unshared run: nobody else may know it exists.
        Page(
            "run_detail",
            lambda d, r: f"/runs/{d.run.pk}/",
            {"anon": NOT_FOUND, "user": OK, "author": NOT_FOUND},
        )
    ],
    "runs/threads/<uuid:thread>/delete/": [
        # Asks before deleting (the page a Delete button leads to without JavaScript).
        Page(
            "thread_delete",
            lambda d, r: f"/runs/threads/{d.run.thread}/delete/",
            {"anon": LOGIN, "user": OK, "author": NOT_FOUND},
        )
    ],
    "s/<uuid:run_id>/": [public("run_shared", lambda d, r: f"/s/{d.shared_run.pk}/")],
    "settings/tokens/": [signed_in("api_tokens", fixed("/settings/tokens/"))],
    "api/docs/": [public("api_docs", fixed("/api/docs/"), settle=True)],
    "admin/": [
        Page(
            "admin_index",
            fixed("/admin/"),
            {r: Expect("redirect", "/admin/login/?next=", full=False) for r in ROLES}
            | {"staff": OK},
        )
    ],
    "admin/login/": [public("admin_login", fixed("/admin/login/"))],
}

# Pages no URL pattern names on its own.
EXTRA = [
    Page("not_found", fixed("/no-such-page/"), {r: Expect("404") for r in ROLES}),
]

# Routes that are not pages: each with the reason it is left out.
EXCLUDED: dict[str, str] = {
    "api/redoc/": "redirects to /api/docs/ (swept); tests/api/test_schema.py checks it",
    "search/suggest/": "htmx fragment under the search box, not a page",
    "t/<slug:slug>/review/": "POST-only action",
    "t/<slug:slug>/favorite/": "POST-only action",
    "reviews/<int:pk>/helpful/": "POST-only action",
    "accounts/logout/": "POST-only action",
    "build-preview/": "POST-only htmx fragment",
    "build/<slug:slug>/test/": "POST-only action",
    "t/<slug:slug>/unpublish/": "POST-only action",
    "t/<slug:slug>/remix/": "POST-only action",
    "t/<slug:slug>/rollback/": "POST-only action",
    "runs/<uuid:run_id>/events": "Server-Sent Events stream",
    "runs/<uuid:run_id>/answer": "HTML fragment the run page swaps in when a run ends",
    "runs/<uuid:run_id>/answer.md": "Markdown file download",
    "runs/<uuid:run_id>/again": "POST-only action",
    "runs/<uuid:run_id>/followup": "POST-only action (the follow-up box of the run page)",
    "runs/<uuid:run_id>/cancel": "POST-only action",
    "runs/<uuid:run_id>/share": "POST-only action",
    "settings/tokens/<int:pk>/revoke/": "POST-only action",
    "healthz": "JSON health check",
    "readyz": "JSON readiness check",
    "metrics": "Prometheus metrics",
    "media/<path:path>": "uploaded files, not pages",
}
# Whole subtrees that are not pages, unless SWEEP names a route in them.
EXCLUDED_PREFIXES: dict[str, str] = {
    "admin/": "Django admin internals (model lists and forms); the index and log-in are swept",
    "api/": "REST API answering JSON; the docs pages are swept",
    "v1/": "OpenAI-compatible JSON API",
}

# Problems on pages that other people are changing right now: printed, not failed on, until
# they are fixed. Each says whose page it is. Remove an entry once the sweep calls it stale.
KNOWN_ISSUES: dict[Known, str] = {}


def unswept_routes() -> list[str]:
    return [
        route
        for route in url_routes()
        if route not in SWEEP
        and route not in EXCLUDED
        and not route.startswith(tuple(EXCLUDED_PREFIXES))
    ]


def test_every_url_pattern_is_swept():
    routes = set(url_routes())
    assert unswept_routes() == [], "add each to SWEEP (a page) or EXCLUDED (why not a page)"
    assert sorted(set(SWEEP) - routes) == [], "SWEEP names routes the site no longer has"
    assert sorted(set(EXCLUDED) - routes) == [], "EXCLUDED names routes the site no longer has"


# --- the sweep ------------------------------------------------------------------------------


def _pages(role: str) -> list[Page]:
    every = [page for pages in SWEEP.values() for page in pages] + EXTRA
    # SWEEP_PAGES=usage,api_tokens looks at those pages only, while working on them.
    only = {name for name in os.environ.get("SWEEP_PAGES", "").split(",") if name}
    return [p for p in every if role in p.expect and (not only or p.name in only)]


def test_every_page_at_phone_and_desktop_size(browser, web, e2e_settings):
    data = make_sweep_data()
    shots = Path(settings.VAR_DIR) / "screenshots" / "sweep"
    if not os.environ.get("SWEEP_PAGES"):
        shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    problems = [Problem("(url patterns)", "-", 0, "unswept", r) for r in unswept_routes()]
    for role in (*ROLES, "staff"):
        for size in SIZES:
            problems += sweep_as(browser, web, data, role, size, _pages(role), shots)

    known = [p for p in problems if any(k.matches(p) for k in KNOWN_ISSUES)]
    new = [p for p in problems if p not in known]
    partial = bool(os.environ.get("SWEEP_PAGES"))
    stale = [] if partial else [k for k in KNOWN_ISSUES if not any(k.matches(p) for p in problems)]
    print(f"\npage sweep: screenshots in {shots}")
    for p in known:
        print(f"KNOWN   {p}")
    for k in stale:
        print(f"STALE   {k}: no longer seen; remove it from KNOWN_ISSUES ({KNOWN_ISSUES[k]})")
    assert not new, f"{len(new)} problems:\n" + "\n".join(map(str, new))


BROKEN_PAGE = """<!doctype html><html lang="en"><head><title>Broken</title>
<link rel="stylesheet" href="/missing.css"></head><body><main>
<header class="topbar" style="height: 120px">header</header>
<div style="width: 2000px" class="too-wide">wide</div>
<img src="/pixel.png">
<script>console.error("boom")</script>
</main></body></html>"""


def test_the_sweep_sees_each_kind_of_problem(browser):
    # A made-up site (answered by Playwright, no server): each check must fire on it.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.route(
            "http://sweep.test/**",
            lambda route: route.fulfill(
                status=404 if "missing" in route.request.url else 200,
                content_type="image/png" if "pixel" in route.request.url else "text/html",
                body=BROKEN_PAGE,
            ),
        )
        listener = Listener()
        listener.attach(page)
        page.goto("http://sweep.test/page")
        found = check_visit(page, listener, url=page.url, status=200, full=True, shot=None)
    finally:
        context.close()
    kinds = {kind: detail for kind, detail in found}
    assert "div.too-wide" in kinds["overflow"]
    assert kinds["header"].startswith("the header wraps: 120px")
    assert "image-alt (critical)" in kinds["axe"]
    assert "boom" in " ".join(d for k, d in found if k == "console")
    assert "/missing.css: 404" in kinds["request"]
    assert status_problem(OK, "/x/", 302, "http://sweep.test/accounts/login/?next=/x/")
    assert status_problem(LOGIN, "/x/", 200, "http://sweep.test/accounts/login/?next=/x/") is None
    assert status_problem(NOT_FOUND, "/x/", 200, "http://sweep.test/x/")
