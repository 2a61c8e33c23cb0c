"""The run page's answer stays inside the page at phone and desktop widths, the figures line
shows only once they are known, and Cancel is not styled as the page's main action."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import FakeResult, in_thread, login_cookies, make_run, until
from tools import services, streams

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A long unbroken token (a URL, a hash) and a long line: the page must wrap both.
LONG = "x" * 3000 + " " + "A two-sentence summary that goes on and on. " * 40


def _overflows(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_answer_wraps_and_figures_wait_for_the_end(browser, web, user, make_tool, width, height):
    run = make_run(user, make_tool(lister=True))
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        cookies = login_cookies(user)
        context.add_cookies([{"name": k, "value": v, "url": web} for k, v in cookies.items()])
        page = context.new_page()
        page.goto(f"{web}/runs/{run.pk}/")
        assert not page.locator("#run-stats").is_visible()
        cancel = page.locator("#run-cancel button")
        assert cancel.is_visible()
        background = cancel.evaluate("b => getComputedStyle(b).backgroundColor")
        assert background == "rgb(255, 255, 255)"  # secondary, not the accent colour

        in_thread(lambda: streams.publish_text(run.pk, LONG))
        until(lambda: page.locator("#run-output").text_content() == LONG)
        assert not _overflows(page)
        assert not page.locator("#run-stats").is_visible()

        in_thread(
            lambda: services.run_complete(
                run=run, attempt=1, pieces=[LONG], result=FakeResult(LONG)
            )
        )
        until(lambda: page.locator("#run").get_attribute("data-final") == "1")
        until(lambda: page.locator("#run-stats").is_visible())
        assert not _overflows(page)
        page.reload()
        assert page.locator("#run-stats").is_visible()
        assert not page.locator("#run-cancel").is_visible()
        assert not _overflows(page)
        # Kept for a person to look at (var/ is git-ignored).
        shots = Path(settings.VAR_DIR) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"run-page-{width}.png"), full_page=True)
    finally:
        context.close()
