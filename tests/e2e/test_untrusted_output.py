"""Untrusted model output in a real browser (Debian chromium through Playwright).

The 135M model cannot be made to emit exact payloads on demand, so the test writes them into
the run's stream and stored output through the same service functions the worker uses
(`streams.publish_text`, `services.run_complete`): the path from the stream to the page is
the real one (Redis -> SSE view under uvicorn -> run.js -> DOM), then the answer rendered as
Markdown (tools/answers.py) swapped in at the end, and the stored path is the real template
after a reload.
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

# The same attacks written as Markdown, which the finished answer renders.
MARKDOWN_PIECES = [
    "# Report\n\n",
    "[js](javascript:window.__xss='md-link') [data](data:text/html,<script>alert(1)</script>) ",
    "<javascript:window.__xss='autolink'> [ok](https://example.com/ok)\n\n",
    '[t](https://example.com "x\\" onmouseover=\\"window.__xss=\'title\'")\n\n',
    "![leak](http://127.0.0.2:9/leak.png) ![js](javascript:window.__xss='img-md') ",
    "![d](data:image/svg+xml,<svg onload=alert(1)>)\n\n",
    '<div onclick="window.__xss=\'div\'" style="position:fixed;inset:0">raw block</div>\n\n',
    "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
    "<style>body{display:none}</style>\n\n",
    "| a | <b onmouseover=\"window.__xss='cell'\">b</b> |\n|---|---|\n",
    "| 1 | <script>x</script> |\n\n",
    "```html\n<script>window.__xss='fence'</script>\n",
    "<img src=x onerror=\"window.__xss='fi'\">\n```\n\n",
    "```\n</code></pre><script>window.__xss='escape'</script>\n```\n\n",
    "    <svg onload=\"window.__xss='indented'\"></svg>\n\n",
    "Done: <img src=x onerror=\"window.__xss='inline'\">",
]
MARKDOWN = "".join(MARKDOWN_PIECES)
# What a rendered answer may contain, and nothing else (tools.answers.ALLOWED_TAGS, plus the
# Copy bar run.js puts over each code block).
ALLOWED = (
    "p br hr strong em s code pre blockquote ul ol li h3 h4 h5 h6 a table thead tbody tr th td "
    "span div button"
).split()


def _open(browser, web, user):
    context = browser.new_context()
    context.add_cookies(
        [{"name": k, "value": v, "url": web} for k, v in login_cookies(user).items()]
    )
    # Before any page script, so a violation anywhere on the page is seen.
    context.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.dialogs, page.errors, page.foreign = [], [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: "Content Security Policy" in m.text and page.errors.append(m.text))
    page.on("request", lambda r: r.url.startswith(web) or page.foreign.append(r.url))
    return context, page


def _finish(run, pieces, text):
    in_thread(
        lambda: services.run_complete(run=run, attempt=1, pieces=pieces, result=FakeResult(text))
    )


def test_payloads_render_as_text_live_and_after_reload(browser, web, user, make_tool):
    run = make_run(user, make_tool(lister=True))
    context, page = _open(browser, web, user)
    try:
        page.goto(f"{web}/runs/{run.pk}/")
        assert page.locator("#run-state").get_attribute("data-state") == "running"
        for piece in PIECES:
            in_thread(lambda piece=piece: streams.publish_text(run.pk, piece))
        until(lambda: page.locator("#run-output").text_content() == PAYLOAD)
        _check_text(page, PAYLOAD)
        _finish(run, PIECES, PAYLOAD)
        until(lambda: page.locator(".answer").get_attribute("data-rendered") == "1")
        assert page.locator("#run-state").text_content() == "Succeeded"
        _check_rendered(page)
        # The tags came out as text, not as elements.
        assert "<script>window.__xss='script'</script>" in page.locator("#run-output").inner_text()
        page.reload()
        assert page.locator("#run-state").text_content().strip() == "Succeeded"
        _check_rendered(page)
        _check_quiet(page)
    finally:
        context.close()


def test_markdown_payloads_streamed_then_rendered_then_reloaded(browser, web, user, make_tool):
    run = make_run(user, make_tool(lister=True))
    context, page = _open(browser, web, user)
    try:
        page.goto(f"{web}/runs/{run.pk}/")
        for piece in MARKDOWN_PIECES:
            in_thread(lambda piece=piece: streams.publish_text(run.pk, piece))
        until(lambda: page.locator("#run-output").text_content() == MARKDOWN)
        _check_text(page, MARKDOWN)  # while it streams: one text node, no markup at all
        _finish(run, MARKDOWN_PIECES, MARKDOWN)
        until(lambda: page.locator(".answer").get_attribute("data-rendered") == "1")
        for reloaded in (False, True):
            if reloaded:
                page.reload()
            _check_rendered(page)
            out = page.locator("#run-output")
            assert out.locator("h3").text_content() == "Report"
            assert out.locator("a[href='https://example.com/ok']").count() == 1
            assert out.locator("a.md-image").first.text_content() == "Image: leak"
            assert out.locator("table td").count() == 2
            # Code fences keep their HTML as text, with a Copy button each.
            assert out.locator(".code-block").count() == 3
            assert "<script>window.__xss='fence'</script>" in out.locator("pre").first.inner_text()
            assert out.locator(".code-block button").first.text_content() == "Copy code"
            assert "raw block" in out.inner_text() and "<iframe" in out.inner_text()
        _check_quiet(page)
    finally:
        context.close()


def _check_text(page, text):
    assert page.locator("#run-output").text_content() == text
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('#run-output *').length") == 0
    assert page.locator("#evil").count() == 0
    assert page.locator("img, svg, iframe, a[href^='javascript']").count() == 0


def _check_rendered(page):
    assert page.evaluate("window.__xss") is None
    found = page.evaluate(
        """() => {
          const els = [...document.querySelectorAll('#run-output *')];
          return {
            tags: [...new Set(els.map(e => e.localName))],
            attrs: [...new Set(els.flatMap(e => e.getAttributeNames()))],
            hrefs: els.filter(e => e.hasAttribute('href')).map(e => e.getAttribute('href')),
          };
        }"""
    )
    assert set(found["tags"]) <= set(ALLOWED), found["tags"]
    assert not [a for a in found["attrs"] if a.startswith("on") or a in ("style", "src", "id")]
    assert all(h.startswith(("https:", "http:", "mailto:")) for h in found["hrefs"])
    assert page.locator("#evil").count() == 0
    assert page.locator("img, svg, iframe, script:not([src]), object, embed").count() == 0


def _check_quiet(page):
    assert page.evaluate("window.__csp") == []
    assert not page.dialogs and not page.errors
    assert not page.foreign  # the Markdown image was never fetched
