"""The run history in a real browser at phone and desktop widths: cards that fit the page,
filters that apply, and Delete that asks in a dialog (or on a page without JavaScript)."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.helpers import login_cookies
from tests.tools.test_history import OK, thread
from tools.models import Run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A long unbroken token and a long line: the cards must wrap both.
LONG = "y" * 400 + " " + "An answer that goes on and on. " * 30


@pytest.fixture
def threads(user, make_tool):
    tool = make_tool("A tool with a rather long name for a small phone screen", icon="📝")
    other = make_tool("Namer", icon="🏷️")
    story = thread(
        user,
        tool,
        [("Rewrite: x", "First answer", OK), ("And shorter?", LONG, OK)],
        inputs={"text": "z" * 300},
        minutes_ago=5,
    )
    names = thread(user, other, [("Rewrite: bakery", "Crumb & Co", OK)], inputs={"text": "bakery"})
    api = thread(user, None, [("Say hi", "Hi there", OK)], minutes_ago=60, model="smollm2")
    return {"story": story, "names": names, "api": api, "tool": tool}


def _open(browser, live_server, user, width, height, **context_args):
    context = browser.new_context(viewport={"width": width, "height": height}, **context_args)
    cookies = login_cookies(user)
    url = live_server.url
    context.add_cookies([{"name": k, "value": v, "url": url} for k, v in cookies.items()])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/runs/")
    return context, page, errors


def _fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _shot(page, name: str) -> None:
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / name), full_page=True)


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_history_fits_filters_and_delete_asks(browser, live_server, user, threads, width, height):
    context, page, errors = _open(browser, live_server, user, width, height)
    try:
        entries = page.locator(".history-entry")
        expect(entries).to_have_count(3)
        assert _fits(page)
        _shot(page, f"history-{width}.png")

        # A filter applies as soon as it is chosen.
        page.get_by_label("Tool", exact=True).select_option(threads["tool"].slug)
        expect(entries).to_have_count(1)
        assert "tool=" in page.url
        expect(page.get_by_text("1 conversation matches")).to_be_visible()
        page.get_by_role("link", name="Clear").click()
        expect(entries).to_have_count(3)
        page.get_by_label("Search", exact=True).fill("no such words")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_text("No conversations match.")).to_be_visible()
        assert _fits(page)
        _shot(page, f"history-no-match-{width}.png")
        page.get_by_role("link", name="Clear").click()
        expect(entries).to_have_count(3)

        story = threads["story"][0].thread
        delete = page.get_by_role("link", name="Delete the A tool with a rather long name")
        dialog = page.locator("#delete-dialog")
        delete.click()
        expect(dialog).to_be_visible()
        assert _fits(page)
        _shot(page, f"history-dialog-{width}.png")
        dialog.get_by_role("button", name="Keep it").click()
        expect(dialog).to_be_hidden()
        assert Run.objects.filter(thread=story).count() == 2

        delete.click()
        dialog.get_by_role("button", name="Delete").click()
        expect(page.get_by_text("Conversation deleted (2 turns).")).to_be_visible()
        expect(entries).to_have_count(2)
        assert not Run.objects.filter(thread=story).exists()
        assert Run.objects.count() == 2
        assert _fits(page)
        assert errors == []
    finally:
        context.close()


def test_without_javascript_delete_asks_on_its_own_page(browser, live_server, user, threads):
    context, page, _ = _open(browser, live_server, user, 390, 844, java_script_enabled=False)
    try:
        page.get_by_role("link", name="Delete the Namer conversation").click()
        expect(page.get_by_role("heading", name="Delete this conversation?")).to_be_visible()
        assert _fits(page)
        _shot(page, "history-confirm-390.png")
        assert Run.objects.count() == 4
        page.get_by_role("button", name="Delete").click()
        expect(page.get_by_text("Conversation deleted (1 turn).")).to_be_visible()
        expect(page.locator(".history-entry")).to_have_count(2)
        assert Run.objects.count() == 3
    finally:
        context.close()


def test_empty_history_fits_a_phone(browser, live_server, user):
    context, page, _ = _open(browser, live_server, user, 390, 844)
    try:
        expect(page.get_by_text("No runs yet.")).to_be_visible()
        assert _fits(page)
        _shot(page, "history-empty-390.png")
    finally:
        context.close()
