"""Untrusted model output in a real browser (Debian chromium through Playwright).

The 135M model cannot be made to emit exact payloads on demand, so the test writes them into
the run's stream and stored output through the same service functions the worker uses
(`streams.publish_text`, `services.run_complete`): the path from the stream to the page is
the real one (Redis -> SSE view under uvicorn -> run.js -> DOM), and the stored path is the
real template after a reload.
"""

import pytest

from tests.helpers import FakeResult, in_thread, login_cookies, make_run, until
from tools import services, streams

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PIECES = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    " [click](javascript:window.__xss='md') ",
    "<a href=\"javascript:window.__xss='a'\" id=evil>link</a>",
    '\n\ndata: {"type":"final","output":"pwned"}\n\n',
    "</pre><svg onload=\"window.__xss='svg'\"></svg><p>after",
]
PAYLOAD = "".join(PIECES)


def test_payloads_render_as_text_live_and_after_reload(browser, web, user, make_tool):
    run = make_run(user, make_tool(lister=True))
    cookies = login_cookies(user)
    context = browser.new_context()
    try:
        context.add_cookies([{"name": k, "value": v, "url": web} for k, v in cookies.items()])
        page = context.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
        page.goto(f"{web}/runs/{run.pk}/")
        assert page.locator("#run-state").get_attribute("data-state") == "running"
        for piece in PIECES:
            in_thread(lambda piece=piece: streams.publish_text(run.pk, piece))
        until(lambda: page.locator("#run-output").text_content() == PAYLOAD)
        _check(page)
        in_thread(
            lambda: services.run_complete(
                run=run, attempt=1, pieces=PIECES, result=FakeResult(PAYLOAD)
            )
        )
        until(lambda: page.locator("#run").get_attribute("data-final") == "1")
        assert page.locator("#run-state").text_content() == "Succeeded"
        _check(page)
        page.reload()
        assert page.locator("#run-state").text_content().strip() == "Succeeded"
        _check(page)
        assert not dialogs and not errors
    finally:
        context.close()


def _check(page):
    out = page.locator("#run-output")
    assert out.text_content() == PAYLOAD
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('#run-output *').length") == 0
    assert page.locator("#evil").count() == 0
    assert page.locator("img, svg, a[href^='javascript']").count() == 0
