import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


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


def test_login_lockout_is_per_account_and_client(client, django_user_model):
    # Failures are counted by django-axes per (username, client address), in the test's
    # database: nothing is left over from other tests.
    django_user_model.objects.create_user("victim-1", password="right-pass-123")
    url = reverse("login")
    attacker = {"REMOTE_ADDR": "10.1.2.3"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "victim-1", "password": "wrong"}, **attacker)
        assert "Please enter a correct username" in response.content.decode()
    response = client.post(url, {"username": "victim-1", "password": "wrong"}, **attacker)
    assert response.status_code == 429
    # Locked now from that address: even the right password is refused, with a clear message.
    response = client.post(url, {"username": "victim-1", "password": "right-pass-123"}, **attacker)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The account's owner, from their own address, still logs in: no global lock.
    response = Client().post(
        url, {"username": "victim-1", "password": "right-pass-123"}, REMOTE_ADDR="10.9.8.7"
    )
    assert response.status_code == 302


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
