"""The page sweep's machinery: the site's URL patterns, what a page should answer per role,
and a browser visit that collects what is wrong with a page (status, horizontal overflow, a
wrapping header, console errors, failed requests, axe-core violations)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import login_cookies

SERIOUS = ("serious", "critical")
AXE = Axe()
# At desktop widths the site's header is one row (brand, search, navigation): about 64 px.
# Two rows measure about 100 px.
DESKTOP = 1024
HEADER_ONE_ROW = 80
HEADER_HEIGHT_JS = """() => {
  const h = document.querySelector('header.topbar');
  return h ? Math.round(h.getBoundingClientRect().height) : 0;
}"""
# The widest elements that stick out of the viewport, as short CSS paths; outermost first
# (an overflowing table is named, not each of its cells). Elements inside a container that
# scrolls or clips horizontally do not widen the document and are skipped.
OVERFLOW_CULPRITS_JS = """() => {
  const limit = document.documentElement.clientWidth;
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      const classes = [...e.classList].slice(0, 2);
      if (classes.length) part += '.' + classes.join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const clipped = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if (o !== 'visible') return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll('*')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > limit + 1 && !clipped(el);
  });
  const outer = wide.filter((el) => !wide.includes(el.parentElement));
  return outer.slice(0, 3).map((el) => path(el) + ' (right ' +
    Math.round(el.getBoundingClientRect().right) + 'px)');
}"""


def url_routes() -> list[str]:
    """Every URL pattern of the site as its full route string ("t/<slug:slug>/", ...)."""

    def walk(patterns, prefix: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return sorted(set(walk(get_resolver().url_patterns, "")))


ROLES = ("anon", "user", "author")


@dataclass(frozen=True)
class Expect:
    kind: str  # "ok": 200 at the same path; "404"; "redirect": to a path starting with `to`
    to: str = ""
    # Overflow, header, axe and a screenshot; off where the page shown is swept under its own
    # entry (the log-in page a protected page sends a visitor to, the 404 page).
    full: bool = True


OK = Expect("ok")
NOT_FOUND = Expect("404", full=False)
LOGIN = Expect("redirect", "/accounts/login/?next=", full=False)
HOME = Expect("redirect", "/", full=False)


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable  # (data, role) -> the path to visit
    expect: dict[str, Expect]  # per role; a role not named skips the page
    # Wait for the network to go quiet before looking: the page draws itself from requests
    # it makes after loading.
    settle: bool = False


def public(name: str, path: Callable, **kw) -> Page:
    return Page(name, path, dict.fromkeys(ROLES, OK), **kw)


def signed_in(name: str, path: Callable) -> Page:
    return Page(name, path, {"anon": LOGIN, "user": OK, "author": OK})


def authors_only(name: str, path: Callable) -> Page:
    # Another user's tool is not theirs to edit: the builder pretends it does not exist.
    return Page(name, path, {"anon": LOGIN, "user": NOT_FOUND, "author": OK})


def fixed(path: str) -> Callable:
    return lambda data, role: path


@dataclass(frozen=True)
class Problem:
    page: str
    role: str
    width: int
    kind: str  # status | overflow | console | request | axe
    detail: str

    def __str__(self) -> str:
        return f"{self.role}-{self.width} {self.page}: [{self.kind}] {self.detail}"


@dataclass(frozen=True)
class Known:
    """A known problem on a page someone else is changing: `page` "*" or a sweep name,
    `role` "*" or one, `width` 0 or one; `kind` equal and `text` inside the detail."""

    page: str
    kind: str
    text: str
    role: str = "*"
    width: int = 0

    def matches(self, p: Problem) -> bool:
        return (
            self.page in ("*", p.page)
            and self.role in ("*", p.role)
            and self.width in (0, p.width)
            and self.kind == p.kind
            and self.text in p.detail
        )


@dataclass
class Listener:
    """Console errors and failed sub-requests of one browser page, cleared per visit."""

    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)

    def clear(self) -> None:
        self.console.clear()
        self.requests.clear()

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console.append(f"{message.text} @ {where}")

    def _on_failed(self, request) -> None:
        # ERR_ABORTED is the browser giving up on a request itself: one cut off by the next
        # navigation, or a script or stylesheet refused for its type (a console error of its
        # own). Never a server's answer.
        if request.failure != "net::ERR_ABORTED":
            self.requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response) -> None:
        # The page itself may be an expected 404; its status is checked on its own.
        if response.status >= 400 and not response.request.is_navigation_request():
            self.requests.append(f"{response.request.method} {response.url}: {response.status}")


def _expected_console(text: str, url: str, status: int) -> bool:
    # Chromium logs the document's own 4xx as a console error; that status is expected.
    return status >= 400 and text.startswith("Failed to load resource") and text.endswith(url)


def check_visit(
    page, listener: Listener, *, url: str, status: int, full: bool, shot: str | None
) -> list[tuple[str, str]]:
    """(kind, detail) of each problem of the page just loaded at `url` with `status`.

    `full`: also overflow, the header, axe-core and a screenshot (skipped for a page already
    swept under another entry, such as the log-in page a redirect lands on)."""
    found = _layout_and_axe(page) if full else []
    if shot:
        page.screenshot(path=shot, full_page=True)
    for text in listener.console:
        if not _expected_console(text, url, status):
            found.append(("console", text))
    found.extend(("request", text) for text in listener.requests)
    return found


def _layout_and_axe(page) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if width[0] > width[1]:
        culprits = page.evaluate(OVERFLOW_CULPRITS_JS)
        found.append(("overflow", f"scrollWidth {width[0]} > {width[1]}: {culprits}"))
    header = page.evaluate(HEADER_HEIGHT_JS)
    if width[1] >= DESKTOP and header > HEADER_ONE_ROW:
        found.append(("header", f"the header wraps: {header}px high at {width[1]}px wide"))
    response = AXE.run(page).response
    if not response.get("passes"):
        found.append(("axe", "axe-core did not run: no rule passed"))
    for v in response["violations"]:
        if v["impact"] in SERIOUS:
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
            more = f" (+{len(targets) - 4} more)" if len(targets) > 4 else ""
            found.append(("axe", f"{v['id']} ({v['impact']}): {targets[:4]}{more}"))
    return found


def _same_path(url: str, path: str) -> bool:
    return urlsplit(url).path == urlsplit(path).path


def status_problem(expect: Expect, path: str, status: int, final_url: str) -> str | None:
    if expect.kind == "ok":
        if status != 200 or not _same_path(final_url, path):
            return f"expected 200 at {path}, got {status} at {final_url}"
    elif expect.kind == "404":
        if status != 404:
            return f"expected 404, got {status} at {final_url}"
    else:
        parts = urlsplit(final_url)
        landed = parts.path + (f"?{parts.query}" if parts.query else "")
        if status != 200 or not landed.startswith(expect.to) or _same_path(final_url, path):
            return f"expected a redirect to {expect.to}…, got {status} at {final_url}"
    return None


def sweep_as(
    browser, base: str, data, role: str, size: tuple[int, int], pages: Iterable[Page], shots: Path
) -> list[Problem]:
    """Visit `pages` in one browser context of `role` at `size`; every problem found."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    problems: list[Problem] = []
    try:
        who = data.login_user(role)
        if who is not None:
            cookies = login_cookies(who)
            context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
        page = context.new_page()
        listener = Listener()
        listener.attach(page)
        for entry in pages:
            expect = entry.expect[role]
            path = entry.path(data, role)
            listener.clear()
            response = page.goto(base + path, wait_until="load")
            if entry.settle:
                page.wait_for_load_state("networkidle")
            status = response.status if response else 0
            found = []
            wrong = status_problem(expect, path, status, page.url)
            if wrong:
                found.append(("status", wrong))
            shot = shots / f"{role}-{width}-{_safe_name(entry.name)}.png"
            found += check_visit(
                page,
                listener,
                url=page.url,
                status=status,
                full=expect.full,
                shot=str(shot) if expect.full else None,
            )
            problems += [Problem(entry.name, role, width, kind, d) for kind, d in found]
    finally:
        context.close()
    return problems


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "root"
