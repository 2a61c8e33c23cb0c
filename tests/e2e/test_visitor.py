import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_site(live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    return live_server.url


def test_new_visitor_finds_rates_and_stars_the_translator(page, demo_site):
    page.goto(demo_site + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("newvisitor")
    page.get_by_label("E-mail").fill("newvisitor@example.com")
    page.get_by_label("Password", exact=True).fill("a-Good-pass-7731")
    page.get_by_label("Password confirmation").fill("a-Good-pass-7731")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome, newvisitor")).to_be_visible()

    # Search with a typo; suggestions appear as you type.
    page.wait_for_load_state("load")  # htmx (a deferred script) is listening now
    box = page.get_by_role("searchbox", name="Search tools")
    box.fill("transalte")
    expect(page.locator("#suggestions").get_by_text("Translator")).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=transalte"))
    first = page.locator("#results .tool-card").first
    expect(first).to_contain_text("Translator")
    first.get_by_role("link", name="Translator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Translator")

    # Read the reviews.
    reviews = page.locator("#reviews")
    expect(reviews).to_contain_text("Fine for one phrase")
    expect(reviews.get_by_test_id("average-rating")).to_have_text("2.0")

    # Star it.
    page.get_by_role("button", name="Add to favorites").click()
    expect(page.get_by_role("button", name="In your favorites")).to_be_visible()

    # Rate it 4 with a comment; the new average shows without a reload.
    page.locator("label[for=stars-4]").click()
    page.get_by_label("Your review (optional)").fill("Handy for quick phrases.")
    page.get_by_role("button", name="Post review").click()
    expect(reviews.get_by_text("Thanks, your review is saved.")).to_be_visible()
    expect(reviews.get_by_test_id("average-rating")).to_have_text("3.0")
    expect(page.locator("#tool-rating")).to_contain_text("3.0")
    expect(reviews).to_contain_text("Handy for quick phrases.")

    # It is under "My favorites", in the account menu behind the user's name.
    page.locator(".account-menu > summary").click()
    page.get_by_role("link", name="My favorites").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My favorites")
    expect(page.locator(".tool-card")).to_contain_text("Translator")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


@pytest.mark.parametrize("path", ["/", "/t/translator/", "/search/?q=text"])
def test_phone_width_has_no_horizontal_scroll(phone_page, demo_site, path):
    phone_page.goto(demo_site + path)
    widths = phone_page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2] == 390, widths
