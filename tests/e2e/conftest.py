"""Browser tests: Playwright (sync API) driving Debian's Chromium (launched by browser.py)
against pytest-django's live server or the uvicorn stack."""

import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import launch

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told this is fine (it is: the loop does not use the ORM).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# Module scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser():
    with launch() as browser:
        yield browser


@pytest.fixture
def e2e_settings(settings):
    settings.GPTSTORE_EMBED_ON_SAVE = False  # no worker in these tests; nothing to queue
    return settings


def _new_page(browser, request, **context_args):
    context = browser.new_context(**context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    return context, page


@pytest.fixture
def page(browser, request, e2e_settings):
    context, page = _new_page(browser, request, viewport={"width": 1280, "height": 900})
    yield page
    _screenshot_if_failed(request, page)
    context.close()


@pytest.fixture
def phone_page(browser, request, e2e_settings):
    context, page = _new_page(
        browser, request, viewport={"width": 390, "height": 844}, device_scale_factor=1
    )
    yield page
    _screenshot_if_failed(request, page)
    context.close()


def _screenshot_if_failed(request, page) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-120:]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:
            print(f"screenshot failed: {exc}")
