"""The run page in a browser: a finished answer as Markdown with copy buttons, a streamed one
swapped for its rendering, and "Run again" / "Edit inputs" refilling the form."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import RunFactory
from tests.helpers import FakeResult, in_thread, login_cookies, make_run, until
from tools import services, streams
from tools.models import Run

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = 'def moons(planet):\n    """How many."""\n    return {"Mars": 2, "Jupiter": 95}[planet]\n'
ANSWER = (
    "## Moons of the planets\n\n"
    "Some **facts** you asked for, with a [source](https://example.com/moons):\n\n"
    "| Planet | Moons | Largest |\n|:--|--:|:--|\n| Mars | 2 | Phobos |\n"
    "| Jupiter | 95 | Ganymede |\n| Saturn | 146 | Titan |\n\n"
    f"```python\n{CODE}```\n\n"
    "1. Mars has two small moons.\n2. Jupiter has the largest, "
    "`Ganymede`.\n\n> Counts change as new moons are found.\n\n"
    "A long token: " + "moon" * 80 + "\n"
)


def _context(browser, web, user, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": k, "value": v, "url": web} for k, v in login_cookies(user).items()]
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return context, page


def _overflows(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def _clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_finished_answer_renders_and_copies(browser, web, user, make_tool, width, height):
    tool = make_tool(lister=True)
    run = RunFactory(
        user=user, tool=tool, state=Run.State.SUCCEEDED, output=ANSWER, completion_tokens=90,
        inputs={"topic": "moons", "count": 3, "tone": "plain"},
    )  # fmt: skip
    context, page = _context(browser, web, user, width, height)
    try:
        page.goto(f"{web}/runs/{run.pk}/")
        out = page.locator("#run-output")
        expect(out.locator("h3")).to_have_text("Moons of the planets")
        expect(out.locator("table tbody tr")).to_have_count(3)
        expect(out.locator("pre .k").first).to_have_text("def")  # highlighted server-side
        assert not _overflows(page)

        copy = page.locator("[data-copy-answer]")
        expect(copy).to_have_accessible_name("Copy answer")
        copy.click()
        expect(copy).to_have_text("Copied")
        expect(page.locator(".answer-status")).to_have_text("Answer copied to the clipboard")
        assert _clipboard(page) == ANSWER  # the Markdown source, not the rendered text
        expect(copy).to_have_text("Copy answer", timeout=5000)

        code_copy = page.locator(".code-copy")
        expect(code_copy).to_have_count(1)
        expect(code_copy).to_have_accessible_name("Copy code")
        expect(page.locator(".code-lang")).to_have_text("python")
        code_copy.click()
        expect(code_copy).to_have_text("Copied")
        assert _clipboard(page) == CODE

        download = page.get_by_role("link", name="Download .md")
        assert download.get_attribute("href") == f"/runs/{run.pk}/answer.md"

        # Kept for a person to look at (var/ is git-ignored).
        shots = Path(settings.VAR_DIR) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-shot
        page.screenshot(path=str(shots / f"answer-{width}.png"), full_page=True)
        assert not page.console_errors
    finally:
        context.close()


def test_streamed_answer_turns_into_markdown_at_the_end(browser, web, user, make_tool):
    run = make_run(user, make_tool(lister=True))
    context, page = _context(browser, web, user, 1366, 900)
    try:
        page.goto(f"{web}/runs/{run.pk}/")
        expect(page.locator(".answer-tools")).to_be_hidden()
        half = len(ANSWER) // 2
        for piece in (ANSWER[:half], ANSWER[half:]):
            in_thread(lambda piece=piece: streams.publish_text(run.pk, piece))
        until(lambda: page.locator("#run-output").text_content() == ANSWER)
        assert page.locator("#run-output table").count() == 0  # raw while it streams
        in_thread(
            lambda: services.run_complete(
                run=run, attempt=1, pieces=[ANSWER], result=FakeResult(ANSWER)
            )
        )
        expect(page.locator(".answer")).to_have_attribute("data-rendered", "1")
        expect(page.locator("#run-output table tbody tr")).to_have_count(3)
        expect(page.locator(".answer-tools")).to_be_visible()
        page.get_by_role("button", name="Copy code").click()
        assert _clipboard(page) == CODE
        page.get_by_role("button", name="Copy answer").click()
        assert _clipboard(page) == ANSWER
        assert not page.console_errors
    finally:
        context.close()


def test_run_again_and_edit_inputs_refill_the_form(browser, web, user, make_tool):
    tool = make_tool(lister=True)
    first = RunFactory(
        user=user, tool=tool, state=Run.State.SUCCEEDED, output="Done.", completion_tokens=2,
        inputs={"topic": "the rings of Saturn", "count": 4, "tone": "fun"},
    )  # fmt: skip
    context, page = _context(browser, web, user, 390, 844)
    try:
        page.goto(f"{web}/runs/{first.pk}/")
        run_again = page.get_by_role("button", name="Run again")
        assert "btn-primary" in run_again.get_attribute("class")
        run_again.click()
        expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+/$"))
        assert page.url != f"{web}/runs/{first.pk}/"
        again = in_thread(lambda: Run.objects.exclude(pk=first.pk).get())
        assert again.inputs == first.inputs and again.state == Run.State.QUEUED

        page.goto(f"{web}/runs/{first.pk}/")
        page.get_by_role("link", name="Edit inputs").click()
        expect(page).to_have_url(f"{web}/t/{tool.slug}/run?from={first.pk}")
        expect(page.get_by_label("Topic")).to_have_value("the rings of Saturn")
        expect(page.get_by_label("Count")).to_have_value("4")
        expect(page.get_by_label("tone")).to_have_value("fun")
        assert not _overflows(page)
        page.get_by_label("Topic").fill("the moons of Mars")
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+/$"))
        edited = in_thread(lambda: Run.objects.get(inputs__topic="the moons of Mars"))
        assert edited.inputs == {"topic": "the moons of Mars", "count": 4, "tone": "fun"}
        assert not page.console_errors
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_run_form_page_shows_errors_and_the_cap_styled(
    browser, web, user, make_tool, width, height
):
    tool = make_tool(lister=True)
    context, page = _context(browser, web, user, width, height)
    try:
        page.goto(f"{web}/t/{tool.slug}/run")
        run = page.get_by_role("button", name="Run", exact=True)
        assert run.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(36, 80, 194)"
        page.get_by_role("button", name="the moon").click()
        expect(page.get_by_label("Topic")).to_have_value("the moon")
        # Four live runs (the default cap): the next one is refused with a styled alert.
        for _ in range(4):
            in_thread(lambda: RunFactory(user=user, tool=tool, state=Run.State.RUNNING))
        run.click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("in progress")
        assert alert.evaluate("a => getComputedStyle(a).borderLeftStyle") == "solid"
        expect(alert.get_by_role("link", name="Your runs")).to_be_visible()
        expect(page.get_by_label("Topic")).to_have_value("the moon")
        assert not _overflows(page)
        shots = Path(settings.VAR_DIR) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"run-form-refused-{width}.png"), full_page=True)
    finally:
        context.close()


def test_waiting_then_an_empty_answer_says_so(browser, web, user, make_tool):
    run = make_run(user, make_tool(lister=True))
    context, page = _context(browser, web, user, 390, 844)
    try:
        page.goto(f"{web}/runs/{run.pk}/")
        before = page.locator("#run-output").evaluate(
            "el => getComputedStyle(el, '::before').content"
        )
        assert before == '"Waiting for the answer…"'
        in_thread(
            lambda: services.run_complete(run=run, attempt=1, pieces=[], result=FakeResult(""))
        )
        expect(page.locator("#run-output .answer-empty")).to_have_text("No answer.")
        expect(page.locator(".answer-tools")).to_be_hidden()
        assert not page.console_errors
    finally:
        context.close()
