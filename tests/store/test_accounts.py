import pytest
from django.core import mail
from django.urls import reverse

from store import forms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    # The cache is a real Redis that outlives a test run: start every test from zero.
    def reset():
        for ip in ("127.0.0.1", "10.1.2.3", "10.9.8.7"):
            forms.login_throttle_reset(ip=ip)
        for name in ("victim-1", "ok-user-1", "ip-user", "alice"):
            forms.login_throttle_reset(username=name)

    reset()
    yield
    reset()


def test_signup_logs_in_and_creates_profile(client, django_user_model):
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-Long-pass-4821",
            "password2": "a-Long-pass-4821",
        },
    )
    assert response.status_code == 302
    user = django_user_model.objects.get(username="newbie")
    assert user.profile and client.get(reverse("favorites")).status_code == 200


def test_login_is_throttled_per_username(client, django_user_model):
    django_user_model.objects.create_user("victim-1", password="right-pass-123")
    url = reverse("login")
    for _ in range(forms.LOGIN_MAX_FAILURES_PER_USERNAME):
        response = client.post(url, {"username": "victim-1", "password": "wrong"})
        assert "Please enter a correct username" in response.content.decode()
    # Locked now: even the right password is refused, with a clear message.
    response = client.post(url, {"username": "victim-1", "password": "right-pass-123"})
    assert response.status_code == 200
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another username from another address still logs in.
    django_user_model.objects.create_user("ok-user-1", password="right-pass-123")
    response = client.post(
        url, {"username": "ok-user-1", "password": "right-pass-123"}, REMOTE_ADDR="10.9.8.7"
    )
    assert response.status_code == 302


def test_login_is_throttled_per_ip(client, django_user_model):
    url = reverse("login")
    ip = "10.1.2.3"
    for i in range(forms.LOGIN_MAX_FAILURES_PER_IP):
        client.post(url, {"username": f"spray-{i}", "password": "x"}, REMOTE_ADDR=ip)
    django_user_model.objects.create_user("ip-user", password="right-pass-123")
    response = client.post(
        url, {"username": "ip-user", "password": "right-pass-123"}, REMOTE_ADDR=ip
    )
    assert "Too many failed log-in attempts" in response.content.decode()


def test_password_reset_sends_mail(client, user):
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/password/reset/" in mail.outbox[0].body


def test_password_change_and_profile_edit(client, user):
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice-123",
            "new_password1": "another-Pass-9981",
            "new_password2": "another-Pass-9981",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("profile_edit"),
        {"display_name": "Alice A.", "email": "alice@new.example.com", "bio": "Hi"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.profile.display_name == "Alice A." and user.email == "alice@new.example.com"
    assert "Alice A." in client.get(reverse("author", args=["alice"])).content.decode()
