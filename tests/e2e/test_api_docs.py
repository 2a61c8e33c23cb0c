"""Both API documentation pages render in a real browser (their assets are served locally)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])  # the old ReDoc address redirects
def test_api_docs_render(page, live_server, path):
    csp = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp.append(m.text))
    page.goto(live_server.url + path)
    expect(page.get_by_text(re.compile("GPT Store API")).first).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile(r"/api/tools/")).first).to_be_attached(timeout=15_000)
    assert csp == []
