"""The header at desktop and phone widths with a long username, the star rating's keyboard
direction and contrast, and the search sort that applies when it is picked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.helpers import FakeResult, login_cookies, make_run
from tools import services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("e2e_settings"),
]

LONG_NAME = "maximiliana-wolfeschlegelsteinhausenbergerdorff-the-thirdxyz"  # 60 characters
SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def long_user(db):
    assert len(LONG_NAME) == 60
    return UserFactory(username=LONG_NAME)


def _context(browser, url, user=None, **args):
    context = browser.new_context(**args)
    context.set_default_timeout(10_000)
    if user is not None:
        cookies = login_cookies(user)
        context.add_cookies([{"name": k, "value": v, "url": url} for k, v in cookies.items()])
    return context


def _shot(page, name: str, *, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def _nav(page):
    return page.get_by_role("navigation", name="Main")


def _no_overflow(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _serious_axe(page, selector: str) -> list[str]:
    response = Axe().run(page, context=selector).response
    return [v["id"] for v in response["violations"] if v["impact"] in ("serious", "critical")]


# The header's parts sit on one line when their vertical centres agree.
ONE_ROW_JS = """() => {
  const parts = [...document.querySelectorAll(
    '.brand, .searchbox, #main-nav > a, #main-nav > details > summary')];
  const centres = parts.map(e => {
    const r = e.getBoundingClientRect();
    return r.top + r.height / 2;
  });
  return {spread: Math.max(...centres) - Math.min(...centres), n: parts.length,
          height: document.querySelector('header.topbar').getBoundingClientRect().height};
}"""


@pytest.mark.parametrize("width", [1366, 1280, 1024])
def test_header_is_one_row_on_desktops_with_a_long_name(browser, live_server, long_user, width):
    viewport = {"width": width, "height": 900}
    context = _context(browser, live_server.url, long_user, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        row = page.evaluate(ONE_ROW_JS)
        assert row["n"] == 8 and row["spread"] < 4 and row["height"] < 70, row
        assert not page.get_by_role("button", name="Menu").is_visible()
        expect(_nav(page).get_by_role("link", name="Your runs")).to_have_attribute("href", "/runs/")
        name = page.locator(".account-name")
        assert name.evaluate("e => e.scrollWidth > e.clientWidth")  # cut with an ellipsis
        assert name.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
        summary = page.locator(".account-menu > summary")
        expect(summary).to_have_attribute("title", LONG_NAME)
        assert page.locator(".searchbox input").bounding_box()["width"] >= 120
        assert _no_overflow(page)

        # The name opens the personal links; Escape closes them and keeps focus on the name.
        summary.focus()
        page.keyboard.press("Enter")
        expect(_nav(page).get_by_role("link", name="My favorites")).to_be_visible()
        expect(page.locator(".account-who")).to_contain_text(LONG_NAME)
        assert _no_overflow(page)
        if width in (1366, 1024):
            _shot(page, f"header-{width}-account")
        page.keyboard.press("Escape")
        expect(_nav(page).get_by_role("link", name="My favorites")).to_be_hidden()
        assert page.evaluate("document.activeElement.matches('.account-menu > summary')")
        if width in (1366, 1024):
            _shot(page, f"header-{width}")
        assert _serious_axe(page, "header.topbar") == []
    finally:
        context.close()


def test_header_folds_behind_a_menu_button_on_phones(browser, live_server, long_user):
    context = _context(browser, live_server.url, long_user, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        menu = page.get_by_role("button", name="Menu")
        runs = _nav(page).get_by_role("link", name="Your runs")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(runs).to_be_hidden()
        assert page.locator("header.topbar").bounding_box()["height"] < 120
        _shot(page, "header-390")

        # Keyboard only: Tab reaches the button, Enter opens, Escape closes and returns.
        page.locator(".brand").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(runs).to_be_visible()
        expect(_nav(page).get_by_role("link", name="Publish a tool")).to_be_visible()
        assert _no_overflow(page)
        page.locator(".account-menu > summary").click()
        expect(_nav(page).get_by_role("link", name="My favorites")).to_be_visible()
        expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible()
        assert _no_overflow(page)
        _shot(page, "header-390-open")
        assert _serious_axe(page, "header.topbar") == []
        runs.focus()
        page.keyboard.press("Escape")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(runs).to_be_hidden()
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    finally:
        context.close()


def test_header_links_show_on_phones_without_scripts(browser, live_server, long_user):
    context = _context(
        browser,
        live_server.url,
        long_user,
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(_nav(page).get_by_role("link", name="Your runs")).to_be_visible()
        expect(page.locator(".nav-toggle")).to_be_hidden()
        page.locator(".account-menu > summary").click()  # <details> opens without scripts
        expect(_nav(page).get_by_role("link", name="My favorites")).to_be_visible()
        assert _no_overflow(page)
    finally:
        context.close()


def _contrast(rgb: str, background=(255, 255, 255)) -> float:
    def luminance(channels):
        out = []
        for c in channels:
            c = c / 255
            out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]

    fg = [int(x) for x in re.findall(r"\d+", rgb)[:3]]
    hi, lo = sorted((luminance(fg), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_star_rating_keys_follow_the_stars(browser, live_server, make_tool, width, height):
    tool = make_tool("Rated")
    rater = UserFactory(username="rater")
    context = _context(browser, live_server.url, rater, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(live_server.url + tool.get_absolute_url() + "#reviews")
        xs = [page.locator(f"label[for=stars-{n}]").bounding_box()["x"] for n in range(1, 6)]
        assert xs == sorted(xs)  # 1 star on the left, 5 on the right

        def checked() -> str:
            return page.locator("input[name=stars]:checked").get_attribute("value")

        page.locator("label[for=stars-3]").click()
        assert checked() == "3"
        page.keyboard.press("ArrowRight")
        assert checked() == "4"
        page.keyboard.press("ArrowRight")
        assert checked() == "5"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert checked() == "2"

        # Stars up to the chosen one are gold, with at least 3:1 against the white page.
        page.mouse.move(0, 0)
        colours = [
            page.locator(f"label[for=stars-{n}]").evaluate("e => getComputedStyle(e).color")
            for n in range(1, 6)
        ]
        gold, empty = colours[0], colours[4]
        assert colours[:2] == [gold, gold] and colours[2:] == [empty] * 3 and gold != empty
        assert _contrast(gold) >= 3.0, gold
        outline = page.locator("label[for=stars-5]").evaluate(
            "e => getComputedStyle(e).webkitTextStrokeColor"
        )
        assert _contrast(outline) >= 3.0, outline
        page.locator("#reviews").scroll_into_view_if_needed()
        page.locator(".star-input").screenshot(path=str(_star_shot(width)))
        assert _no_overflow(page)
    finally:
        context.close()


def _star_shot(width: int) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"stars-{width}.png"


@pytest.mark.parametrize("scripts,width,height", [(True, 1366, 900), (False, 390, 844)])
def test_search_sort_applies_on_change(
    browser, live_server, make_tool, monkeypatch, scripts, width, height
):
    monkeypatch.setattr("store.search.embed_query", lambda q: None)  # no sentence model here
    for name, runs in (("Alpha writer", 1), ("Beta writer", 50)):
        tool = make_tool(name)
        type(tool).objects.filter(pk=tool.pk).update(run_count=runs)
    context = _context(
        browser,
        live_server.url,
        viewport={"width": width, "height": height},
        java_script_enabled=scripts,
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/search/?q=writer&min_rating=0")
        sort = page.get_by_label("Sort by")
        if scripts:
            expect(page.get_by_role("button", name="Sort", exact=True)).to_be_hidden()
            sort.select_option("runs")
        else:
            sort.select_option("runs")
            page.get_by_role("button", name="Sort", exact=True).click()
        expect(page).to_have_url(re.compile(r"sort=runs"))
        assert "q=writer" in page.url
        expect(page.locator("#results .tool-card").first).to_contain_text("Beta writer")
        expect(page.get_by_label("Sort by")).to_have_value("runs")
        assert _no_overflow(page)
        _shot(page, f"search-sort-{width}", full=True)
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_dashboard_says_what_it_counts(browser, live_server, make_tool, width, height):
    author = UserFactory(username="author")
    tool = make_tool("Counted tool", author=author)
    for user, reason in ((UserFactory(), "stop"), (UserFactory(), "cancelled"), (author, "stop")):
        result = FakeResult("done", finish_reason=reason)
        services.run_complete(run=make_run(user, tool), attempt=1, pieces=[], result=result)
    viewport = {"width": width, "height": height}
    context = _context(browser, live_server.url, author, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/me/tools/")
        expect(page.locator("#dash-counting")).to_contain_text("What counts as a run")
        expect(page.get_by_test_id("counted-30")).to_have_text("1")
        expect(page.get_by_test_id("counted-all")).to_have_text("1")
        expect(page.get_by_test_id("own-30")).to_have_text("1")
        assert _no_overflow(page)
        _shot(page, f"dashboard-{width}", full=True)
    finally:
        context.close()
