"""The usage page fits a phone and a laptop screen: nothing wider than the page."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tools.models import Run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def session_cookie(user) -> dict:
    # A session made directly: no login signal, so no login-attempt bookkeeping that wants a
    # request's client address.
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {django_settings.SESSION_COOKIE_NAME: session.session_key}


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_usage_page_fits(browser, live_server, user, make_tool, settings, width, height):
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 200_000
    for name, tokens in (("A Tool With A Rather Long Name For Phones", 123_456), ("Namer", 77)):
        tool = make_tool(name)
        Run.objects.create(
            user=user,
            tool=tool,
            version=tool.current_version,
            prompt="p",
            state=Run.State.SUCCEEDED,
            prompt_tokens=tokens // 2,
            completion_tokens=tokens - tokens // 2,
        )
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        cookies = session_cookie(user)
        context.add_cookies(
            [{"name": k, "value": v, "url": live_server.url} for k, v in cookies.items()]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/me/usage/")
        assert page.locator("h1").text_content() == "Your usage"
        today = page.locator("#usage-today").locator("..").text_content()
        assert "200,000" in today and "76,467" in today  # grouped digits: budget, left
        assert not page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        shots = os.environ.get("GPTSTORE_SCREENSHOTS")
        if shots:
            page.screenshot(path=str(Path(shots) / f"usage-{width}.png"), full_page=True)
    finally:
        context.close()
