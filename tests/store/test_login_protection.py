"""Log-in protection (django-axes per account and client, growing cool-offs), page rate
limits, a sign-up that does not tell whether an e-mail is registered, and password-reset
limits."""

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ATTACKER = "10.1.2.3"
OWNER = "10.9.8.7"


@pytest.fixture(autouse=True)
def _one_window(one_rate_window):
    """Every limit here counts in fixed windows: keep each test inside one."""


@pytest.fixture(autouse=True)
def _fresh_rate_counters(settings):
    caches[settings.WEB_RATE_CACHE].clear()


@pytest.fixture
def name():
    # The lockout count of an (account, client) pair lives in the shared cache: a name of its
    # own per test keeps tests apart.
    return f"u-{uuid.uuid4().hex[:10]}"


def _fail_until_locked(client, url, username, ip, limit):
    codes = [
        client.post(url, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip).status_code
        for _ in range(limit)
    ]
    assert codes == [200] * (limit - 1) + [429]


def _age_attempts(minutes):
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_admin_login_locks_one_client_after_the_limit(client, django_user_model, settings, name):
    django_user_model.objects.create_user(name, password="right-pass-123", is_staff=True)
    url = reverse("admin:login")
    _fail_until_locked(client, url, name, ATTACKER, settings.AXES_FAILURE_LIMIT)
    refused = client.post(
        url, {"username": name, "password": "right-pass-123"}, REMOTE_ADDR=ATTACKER
    )
    assert refused.status_code == 429
    assert "Too many failed log-in attempts" in refused.content.decode()
    assert int(refused["Retry-After"]) == settings.LOGIN_COOLOFF_MINUTES * 60
    assert "_auth_user_id" not in client.session


def test_another_client_still_logs_in_while_one_is_locked(django_user_model, settings, name):
    django_user_model.objects.create_user(name, password="right-pass-123", is_staff=True)
    # One lockout covers every log-in form, so each form gets an attacker of its own.
    for url, attacker_ip in ((reverse("login"), ATTACKER), (reverse("admin:login"), "10.1.2.4")):
        attacker, owner = Client(), Client()
        _fail_until_locked(attacker, url, name, attacker_ip, settings.AXES_FAILURE_LIMIT)
        ok = owner.post(url, {"username": name, "password": "right-pass-123"}, REMOTE_ADDR=OWNER)
        assert ok.status_code == 302 and "_auth_user_id" in owner.session
        # The owner's success does not unlock the attacker's pair.
        again = attacker.post(
            url, {"username": name, "password": "right-pass-123"}, REMOTE_ADDR=attacker_ip
        )
        assert again.status_code == 429


def test_cool_off_grows_with_each_lockout(client, django_user_model, settings, name):
    django_user_model.objects.create_user(name, password="right-pass-123")
    url, base = reverse("login"), settings.LOGIN_COOLOFF_MINUTES
    _fail_until_locked(client, url, name, ATTACKER, settings.AXES_FAILURE_LIMIT)
    first = client.post(url, {"username": name, "password": "wrong"}, REMOTE_ADDR=ATTACKER)
    assert int(first["Retry-After"]) == base * 60
    # The first cool-off passes: the pair may try again...
    _age_attempts(base + 1)
    retry = client.post(url, {"username": name, "password": "wrong"}, REMOTE_ADDR=ATTACKER)
    assert retry.status_code == 200
    AccessAttempt.objects.all().delete()
    # ...and its next lockout lasts twice as long.
    _fail_until_locked(client, url, name, ATTACKER, settings.AXES_FAILURE_LIMIT)
    second = client.post(url, {"username": name, "password": "wrong"}, REMOTE_ADDR=ATTACKER)
    assert int(second["Retry-After"]) == 2 * base * 60
    _age_attempts(base + 1)
    still = client.post(url, {"username": name, "password": "right-pass-123"}, REMOTE_ADDR=ATTACKER)
    assert still.status_code == 429


def test_search_rate_limit_answers_a_styled_429(client, settings, one_rate_window):
    settings.WEB_RATE_SEARCH = "2/minute"
    settings.WEB_RATE_SUGGEST = "2/minute"
    for url in (reverse("search"), reverse("search_suggest") + "?q=ab"):
        assert [client.get(url).status_code for _ in range(2)] == [200, 200]
        refused = client.get(url)
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        assert "Too many requests" in refused.content.decode()
        assert "429.html" in [t.name for t in refused.templates]


def test_tool_and_author_pages_are_rate_limited(client, settings, make_tool, one_rate_window):
    settings.WEB_RATE_PAGES = "2/minute"
    tool = make_tool("Limited")
    urls = [reverse("tool_detail", args=[tool.slug]), reverse("author", args=["maker"])]
    assert [client.get(u).status_code for u in urls] == [200, 200]
    assert client.get(urls[0]).status_code == 429


def _signup(client, username, email):
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "email": email,
            "password1": "a-Long-pass-4821",
            "password2": "a-Long-pass-4821",
        },
    )


def test_signup_does_not_tell_whether_an_email_is_registered(
    user, django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fresh = _signup(Client(), "fresh-1", "fresh@example.com")
        taken = _signup(Client(), "taken-1", "ALICE@example.com")
    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"])
    assert fresh.status_code == 302
    # The taken address is not linked to the new account; its owner hears about the attempt.
    assert django_user_model.objects.get(username="fresh-1").email == "fresh@example.com"
    assert django_user_model.objects.get(username="taken-1").email == ""
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "tried to create a new account" in mail.outbox[0].body


def test_password_reset_is_limited_per_email(client, user, settings):
    settings.WEB_RATE_PASSWORD_RESET_EMAIL = "2/hour"
    url = reverse("password_reset")
    answers = [client.post(url, {"email": user.email}, REMOTE_ADDR=f"10.0.0.{i}") for i in range(4)]
    # The same answer every time, but no more than two mails.
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, reverse("password_reset_done"))
    }
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_client(client, settings):
    settings.WEB_RATE_PASSWORD_RESET = "2/hour"
    url = reverse("password_reset")
    assert client.get(url).status_code == 200  # showing the form does not count
    codes = [client.post(url, {"email": f"x{i}@example.com"}).status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert int(client.post(url, {"email": "y@example.com"})["Retry-After"]) > 0
