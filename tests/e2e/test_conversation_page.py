"""A conversation in the browser: the follow-up box appears under a finished answer, a
follow-up opens the next turn with the earlier ones above it, and the page fits a phone."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import FakeResult, in_thread, login_cookies, make_run, until
from tools import services, streams
from tools.models import Run

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIRST = "Owls are **nocturnal**.\n\n- They hoot\n- They glide"
SECOND = "Bats:\n\n```python\nprint('echolocation')\n```"


def _overflows(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_follow_up_in_the_browser(browser, web, user, make_tool, width, height):
    first = make_run(user, make_tool(lister=True), state=Run.State.SUCCEEDED, output=FIRST)
    second = in_thread(lambda: services.run_followup(parent=first, user=user, message="And bats?"))
    Run.objects.filter(pk=second.pk).update(state=Run.State.RUNNING, attempts=1)
    second.refresh_from_db()
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        context.add_cookies(
            [{"name": k, "value": v, "url": web} for k, v in login_cookies(user).items()]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{web}/runs/{second.pk}/")
        # The earlier turn is rendered above; the box waits for this turn's answer.
        assert page.locator(".thread .answer-md strong").text_content() == "nocturnal"
        assert page.locator(".turn-message").first.text_content().endswith("And bats?")
        assert not page.locator("#run-followup").is_visible()

        in_thread(lambda: streams.publish_text(second.pk, SECOND))
        in_thread(
            lambda: services.run_complete(
                run=second, attempt=1, pieces=[SECOND], result=FakeResult(SECOND)
            )
        )
        until(lambda: page.locator("#run-followup").is_visible())
        until(lambda: page.locator("#run-output .code-block").count() == 1)
        assert not _overflows(page)
        shots = Path(settings.VAR_DIR) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"conversation-{width}.png"), full_page=True)

        page.fill("#run-followup textarea", "Which one is louder?")
        page.click("#run-followup button[type=submit]")
        page.wait_for_url(lambda url: f"/runs/{second.pk}/" not in url)
        third = in_thread(lambda: Run.objects.get(parent=second.pk))
        assert page.url.endswith(f"/runs/{third.pk}/")
        assert third.messages[-1] == {"role": "user", "content": "Which one is louder?"}
        assert page.locator(".thread > .turn").count() == 2
        assert "Answer (turn 3)" in page.content()
        assert not _overflows(page)
        assert not errors, errors
    finally:
        context.close()
