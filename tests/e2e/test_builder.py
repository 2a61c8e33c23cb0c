"""The creator's acceptance flow in a real browser (Debian chromium through Playwright), on the
real stack: uvicorn (SSE) and a Celery worker with the real default model, against the test
database. Redis database 7 keeps this stack's queues apart from other test runs."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from bench import processes as stack
from tools.models import Run, Tool

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "builder-e2e-worker"
REDIS_DB = 7
RUN_TIMEOUT = 180_000  # ms: the model runs on a busy CPU


def _with_db(url: str, db: int) -> str:
    """The same Redis server, another database number (unix://...?db=N or redis://host/N)."""
    if url.startswith("unix://"):
        return re.sub(r"([?&]db=)\d+", rf"\g<1>{db}", url) if "db=" in url else f"{url}?db={db}"
    return re.sub(r"(redis://[^/]+)(/\d*)?$", rf"\g<1>/{db}", url)


@pytest.fixture(scope="module")
def builder_env(stack_db):
    from django.db import connection

    redis_url = _with_db(settings.REDIS_URL, REDIS_DB)
    return stack.stack_env(
        connection.settings_dict,
        redis_url,
        GPTSTORE_EMBED_ON_SAVE="False",
        GPTSTORE_SSE_KEEPALIVE="1",
    )


@pytest.fixture(scope="module")
def web(builder_env):
    proc, base = stack.start_web(builder_env, name="builder-web")
    yield base
    stack.stop(proc)


@pytest.fixture(scope="module")
def worker(builder_env):
    import redis

    r = redis.Redis.from_url(builder_env["REDIS_URL"], decode_responses=True)
    r.delete("inference", "default", f"gptstore:engine:metrics:{WORKER}")
    proc = stack.start_worker(builder_env, WORKER, concurrency=4)
    try:
        stack.wait_engine_ready(r, WORKER, proc, timeout=600)
        yield proc
    finally:
        stack.stop(proc)


def _login(browser, base: str, user):
    c = Client()
    c.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text),
    )
    return context, page


def _wait_final(page) -> str:
    expect(page.locator("#run")).to_have_attribute("data-final", "1", timeout=RUN_TIMEOUT)
    expect(page.locator("#run-state")).to_have_text("Succeeded")
    return page.locator("#run-output").text_content() or ""


def test_create_test_publish_find_run_version_remix(browser, web, worker, django_user_model):
    alice = django_user_model.objects.create_user("alice", "a@example.com", "pw-alice-123")
    bob = django_user_model.objects.create_user("bob", "b@example.com", "pw-bob-123")
    ctx, page = _login(browser, web, alice)

    # Build: a long text and a choice field; the description previews as Markdown.
    page.goto(web + "/")
    page.get_by_role("link", name="Publish a tool").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish a tool")
    page.wait_for_load_state("load")
    page.locator("[name=name]").fill("Zanzibar Summarizer")
    page.locator("[name=tagline]").fill("Summaries in the tone you like")
    page.locator("[name=description]").fill("Makes **short** summaries.")
    expect(page.locator("#description-preview strong")).to_have_text("short")
    page.locator("[name=max_new_tokens]").fill("12")
    page.locator("[name=temperature]").fill("0")
    expect(page.locator("[name=fields-0-name]")).to_have_value("text")
    page.locator("[name=fields-0-type]").select_option("long_text")
    page.get_by_role("button", name="Add field").click()  # JS: no page load
    page.locator("[name=fields-1-name]").fill("tone")
    page.locator("[name=fields-1-label]").fill("Tone")
    page.locator("[name=fields-1-type]").select_option("choice")
    page.locator("[name=fields-1-choices]").fill("plain\nfun")
    page.locator("[name=prompt_template]").fill(
        "Summarize in one {{tone}} sentence: {{text}} {{style}}"
    )
    page.get_by_role("button", name="Create draft").click()
    errors = page.locator("#builder-errors")
    expect(errors).to_contain_text("Nothing was saved")
    expect(errors).to_contain_text("undeclared fields: {{style}}")
    assert not Tool.objects.filter(name="Zanzibar Summarizer").exists()
    page.locator("[name=prompt_template]").fill("Summarize in one {{tone}} sentence: {{text}}")
    page.get_by_label("Prompt visible and remixable").check()  # else Bob cannot remix it
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Zanzibar Summarizer”")
    tool = Tool.objects.get(name="Zanzibar Summarizer")
    assert tool.status == Tool.Status.DRAFT and tool.author == alice

    # Test the draft: the answer streams into the builder page.
    test = page.locator("#test")
    test.get_by_label("Text").fill("The cat sat on the mat all day long.")
    test.get_by_label("Tone").select_option("fun")
    test.get_by_role("button", name="Test run").click()
    expect(page.locator("#run")).to_be_visible()
    assert page.locator("#run").get_attribute("data-final") == "0"  # not yet done: streamed
    text = _wait_final(page)
    assert text.strip()
    test_run = Run.objects.get(user=alice)
    assert test_run.output == text and test_run.version.number == 1

    # Publish (public).
    page.get_by_role("link", name="Publish…").click()
    page.get_by_label("Public").check()
    page.get_by_label("Changelog (one line)").fill("First version")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zanzibar Summarizer")
    expect(page.locator(".tool-meta")).to_contain_text("Version 1")

    # Bob, in a fresh session, finds it through search and runs it.
    bctx, bpage = _login(browser, web, bob)
    bpage.goto(web + "/search/?q=zanzibar")
    bpage.get_by_role("link", name="Zanzibar Summarizer").first.click()
    expect(bpage.get_by_role("heading", level=1)).to_have_text("Zanzibar Summarizer")
    bpage.get_by_label("Text").fill("Rain fell on the quiet town.")
    bpage.get_by_label("Tone").select_option("plain")
    bpage.get_by_role("button", name="Run", exact=True).click()
    expect(bpage).to_have_url(re.compile(r"/runs/[0-9a-f-]+/$"))
    bob_run_url = bpage.url
    assert _wait_final(bpage).strip()
    expect(bpage.locator("#run")).to_contain_text("v1")

    # Alice edits and republishes: version 2.
    page.locator("#edit-tool").click()
    page.locator("[name=prompt_template]").fill("Summarize in one {{tone}} line: {{text}}")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved")
    page.get_by_role("link", name="Publish…").click()
    page.get_by_label("Changelog (one line)").fill("Shorter wording")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".tool-meta")).to_contain_text("Version 2")
    about = page.locator("section.panel", has_text="About this tool")
    expect(about).to_contain_text("Version 2: Shorter wording")

    # Bob's earlier run still shows version 1.
    bpage.goto(bob_run_url)
    expect(bpage.locator("#run")).to_contain_text("v1")

    # Bob remixes it into his own draft, linked both ways once published.
    bpage.goto(web + f"/t/{tool.slug}/")
    bpage.get_by_role("button", name="Remix").click()
    expect(bpage.get_by_role("heading", level=1)).to_contain_text("(remix)")
    expect(bpage.locator(".builder-head")).to_contain_text("remixed from Zanzibar Summarizer")
    remix = Tool.objects.get(author=bob)
    assert remix.forked_from_id == tool.pk and remix.status == Tool.Status.DRAFT

    assert not page.csp_errors and not bpage.csp_errors
    bctx.close()
    ctx.close()
