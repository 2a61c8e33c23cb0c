"""Hostile input to every form: NUL, 1 MB strings, garbage and out-of-range numbers. Refused
text is a 400 (413 for the size); a form that cannot be saved shows its errors; never a 5xx,
and no row changes.

Lone surrogates cannot reach a form: a form body is UTF-8, and Django decodes the bytes of a
surrogate (ED A0 80) into U+FFFD, which is ordinary text. The JSON suite covers them.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.tools.builder_form import builder_post

from .conftest import row_counts

pytestmark = pytest.mark.django_db

MB = "x" * 1_000_000
TEXT_VALUES = {"nul": "a\u0000b", "megabyte": MB}
NUMBER_VALUES = {
    "negative": "-1",
    "huge": "9" * 5000,
    "enormous": "1e308",
    "nan": "nan",
    "text": "many",
    "nul": "\u0000",
}


def forms(tool, own_tool) -> list[tuple[str, str, dict, list[str], list[str], bool]]:
    """(name, url, valid data, text fields, number fields, logged in) of every form."""
    return [
        (
            "signup",
            reverse("signup"),
            {
                "username": "mallory",
                "email": "m@example.com",
                "password1": "pw-Mallory-123",
                "password2": "pw-Mallory-123",
            },
            ["username", "email", "password1"],
            [],
            False,
        ),
        (
            "login",
            reverse("login"),
            {"username": "alice", "password": "pw-alice-123"},
            ["username", "password"],
            [],
            False,
        ),
        (
            "review",
            reverse("review_submit", args=[tool.slug]),
            {"stars": "4", "text": "Good"},
            ["text"],
            ["stars"],
            True,
        ),
        (
            "report",
            reverse("report_tool", args=[tool.slug]),
            {"reason": "spam", "details": "Spam"},
            ["reason", "details"],
            [],
            True,
        ),
        (
            "builder save",
            reverse("builder_new"),
            builder_post(),
            ["name", "system_prompt", "prompt_template", "example_inputs", "fields-0-name"],
            ["temperature", "max_new_tokens"],
            True,
        ),
        (
            "builder test",
            reverse("builder_test", args=[own_tool.slug]),
            {"text": "hello"},
            ["text"],
            [],
            True,
        ),
        ("run", reverse("run_new", args=[tool.slug]), {"text": "hello"}, ["text"], [], True),
        (
            "profile",
            reverse("profile_edit"),
            {"display_name": "Alice", "email": "alice@example.com", "bio": "Hi"},
            ["display_name", "email", "bio"],
            [],
            True,
        ),
        (
            "resource",
            reverse("resource_submit"),
            {
                "title": "A guide",
                "url": "https://example.com/guide",
                "kind": "guide",
                "description": "Useful",
            },
            ["title", "url", "description"],
            [],
            True,
        ),
    ]


@pytest.fixture
def setting(user, other_user, make_tool):
    return make_tool("Bob Echo", author=other_user), make_tool("Alice Own", author=user)


def client_for(user, logged_in: bool) -> Client:
    client = Client(raise_request_exception=False)
    if logged_in:
        client.force_login(user)
    return client


def test_hostile_text_is_refused_on_every_form(setting, user):
    tool, own = setting
    before = row_counts()
    failures = []
    for name, url, data, texts, _, logged_in in forms(tool, own):
        for field in texts:
            for label, value in TEXT_VALUES.items():
                r = client_for(user, logged_in).post(url, {**data, field: value})
                expected = 413 if label == "megabyte" else 400
                if r.status_code != expected:
                    failures.append(f"{name} {field}={label}: {r.status_code}")
    assert failures == []
    assert row_counts() == before


def test_hostile_numbers_show_form_errors(setting, user):
    tool, own = setting
    before = row_counts()
    failures = []
    for name, url, data, _, numbers, logged_in in forms(tool, own):
        for field in numbers:
            for label, value in NUMBER_VALUES.items():
                r = client_for(user, logged_in).post(url, {**data, field: value})
                # Refused text (400), the form again with its errors (200), or back to the
                # page with an error message (the review form's 302); never a 5xx, and the
                # row counts below show nothing was saved.
                if r.status_code not in (200, 302, 400):
                    failures.append(f"{name} {field}={label}: {r.status_code}")
    assert failures == []
    assert row_counts() == before


def test_hostile_query_strings_on_pages(setting):
    tool, _ = setting
    c = Client(raise_request_exception=False)
    urls = ["/search/", "/", f"/t/{tool.slug}/", "/resources/", "/api/tools/", "/v1/models"]
    for url in urls:
        for query in ("q=%00", "page=-1", "page=99999999999999999999", "q=" + "x" * 5000):
            r = c.get(f"{url}?{query}")
            assert r.status_code < 500, (url, query, r.status_code)
