"""The builder shows only the settings an input field's type uses (max length for text,
min and max for numbers, choices for a choice), following the type as it changes."""

import pytest
from playwright.sync_api import expect

from tests.helpers import login_cookies

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_field_settings_follow_the_type(browser, web, user):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        cookies = login_cookies(user)
        context.add_cookies([{"name": k, "value": v, "url": web} for k, v in cookies.items()])
        page = context.new_page()
        page.goto(web + "/build/")
        row = page.locator("[data-field-row]").first
        settings = {
            name: row.locator(f"[name$='-{name}']") for name in ("max_length", "min", "choices")
        }
        expect(row.locator("select[name$='-type']")).to_have_value("long_text")
        expect(settings["max_length"]).to_be_visible()
        expect(settings["min"]).to_be_hidden()
        expect(settings["choices"]).to_be_hidden()

        row.locator("select[name$='-type']").select_option("integer")
        expect(settings["min"]).to_be_visible()
        expect(settings["max_length"]).to_be_hidden()

        row.locator("select[name$='-type']").select_option("choice")
        expect(settings["choices"]).to_be_visible()
        expect(settings["min"]).to_be_hidden()

        page.get_by_role("button", name="Add field").click()
        added = page.locator("[data-field-row]").nth(1)
        expect(added.locator("[name$='-choices']")).to_be_hidden()
    finally:
        context.close()
