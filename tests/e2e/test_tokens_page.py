"""The API tokens page in a real browser: the new token is shown once with a working Copy
button, revoking asks first, and the page fits a phone and a desktop."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from api.models import ApiToken
from tests.helpers import login_cookies

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_create_copy_and_confirmed_revoke(browser, live_server, user, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        cookies = login_cookies(user)
        url = live_server.url
        context.add_cookies([{"name": k, "value": v, "url": url} for k, v in cookies.items()])
        page = context.new_page()
        page.goto(url + "/settings/tokens/")
        page.get_by_label("Name").fill("laptop")
        page.get_by_role("button", name="Create token").click()
        secret = page.locator("#new-token").input_value()
        assert secret.startswith("gpts_")
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        shots = Path(settings.VAR_DIR) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"tokens-{width}.png"), full_page=True)

        page.once("dialog", lambda d: d.dismiss())
        page.get_by_role("button", name="Revoke laptop").click()
        assert ApiToken.objects.get(name="laptop").revoked_at is None
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Revoke laptop").click()
        expect(page.get_by_text("Token “laptop” revoked.")).to_be_visible()
        assert ApiToken.objects.get(name="laptop").revoked_at is not None
        page.reload()
        assert page.locator("#new-token").count() == 0  # shown once only
    finally:
        context.close()
