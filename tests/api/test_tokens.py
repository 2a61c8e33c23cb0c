"""Personal API tokens: hashed at rest, shown once, expiry, revocation, last use."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import TokenError, token_authenticate, token_create, token_revoke

pytestmark = pytest.mark.django_db


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_token_is_hashed_at_rest(user):
    token, secret = token_create(user=user, name="cli")
    row = ApiToken.objects.values().get(pk=token.pk)
    assert secret not in str(row)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(f"gpts_{token.prefix}_")


def test_token_authenticates_and_records_last_use(user):
    token, secret = token_create(user=user, name="cli")
    assert token.last_used is None
    response = client_with(secret).get("/api/me/")
    assert response.status_code == 200 and response.json()["username"] == user.username
    token.refresh_from_db()
    assert token.last_used is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer gpts_nothere_xyz",
        "Bearer not-a-token",
        "Bearer",
        "Bearer a b",
    ],
)
def test_bad_tokens_are_refused_with_401(user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/tools/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_secret_with_right_prefix_is_refused(user):
    token, secret = token_create(user=user, name="cli")
    forged = f"gpts_{token.prefix}_" + "A" * 43
    assert token_authenticate(forged) is None
    assert client_with(forged).get("/api/me/").status_code == 401


def test_expired_token_is_refused(user):
    token, secret = token_create(
        user=user, name="short", expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_with(secret).get("/api/me/").status_code == 401


def test_revoked_token_is_refused(user):
    token, secret = token_create(user=user, name="cli")
    assert client_with(secret).get("/api/me/").status_code == 200
    token_revoke(token=token)
    assert client_with(secret).get("/api/me/").status_code == 401


def test_inactive_user_token_is_refused(user):
    _, secret = token_create(user=user, name="cli")
    user.is_active = False
    user.save()
    assert client_with(secret).get("/api/me/").status_code == 401


def test_create_validates_name_and_expiry(user):
    with pytest.raises(TokenError):
        token_create(user=user, name="  ")
    with pytest.raises(TokenError):
        token_create(user=user, name="x", expires_at=timezone.now() - timedelta(days=1))


def test_anonymous_gets_401_not_403(anon):
    assert anon.get("/api/me/").status_code == 401


# --- the settings page ------------------------------------------------------------------------


def test_settings_page_needs_login(client):
    response = client.get(reverse("api_tokens"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_settings_page_shows_secret_once(client, user):
    client.force_login(user)
    response = client.post(reverse("api_tokens"), {"name": "laptop", "expires_in": "30"})
    # Post/redirect/get: reloading the page that shows the token makes no second token.
    assert response.status_code == 302 and response["Location"] == reverse("api_tokens")
    shown = client.get(reverse("api_tokens"))
    token = ApiToken.objects.get(user=user)
    body = shown.content.decode()
    secret = body.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(f"gpts_{token.prefix}_")
    assert token.expires_at > timezone.now() + timedelta(days=29)
    assert shown["Cache-Control"].startswith("max-age=0")
    again = client.get(reverse("api_tokens")).content.decode()
    assert "laptop" in again and secret not in again
    assert ApiToken.objects.filter(user=user).count() == 1
    assert client_with(secret).get("/api/me/").status_code == 200


def test_new_secret_is_not_stored_and_copy_and_confirm_are_offered(client, user):
    client.force_login(user)
    client.post(reverse("api_tokens"), {"name": "cli"})
    page = client.get(reverse("api_tokens")).content.decode()
    secret = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert 'data-copy="#new-token"' in page
    assert "data-confirm=" in page and "Revoke “cli”?" in page
    from django.contrib.sessions.models import Session

    assert not any(secret in str(s.get_decoded()) for s in Session.objects.all())


def test_revoked_tokens_are_not_listed(client, user):
    kept, _ = token_create(user=user, name="kept-token")
    gone, _ = token_create(user=user, name="gone-token")
    client.force_login(user)
    assert client.post(reverse("api_token_revoke", args=[gone.pk])).status_code == 302
    page = client.get(reverse("api_tokens")).content.decode()
    assert 'token-name">kept-token<' in page and 'token-name">gone-token<' not in page
    assert "1 revoked token not listed" in page


def test_invalid_token_form_shows_its_errors(client, user):
    client.force_login(user)
    response = client.post(reverse("api_tokens"), {"name": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not ApiToken.objects.filter(user=user).exists()


def test_settings_page_revokes_own_token_only(client, user, other_user):
    mine, _ = token_create(user=user, name="mine")
    theirs, their_secret = token_create(user=other_user, name="bobs-secret-token")
    client.force_login(user)
    page = client.get(reverse("api_tokens")).content.decode()
    assert "mine" in page and "bobs-secret-token" not in page and theirs.prefix not in page
    response = client.post(reverse("api_token_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client_with(their_secret).get("/api/me/").status_code == 200
    assert client.post(reverse("api_token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


def test_settings_page_revoke_needs_csrf(user):
    from django.test import Client

    token, _ = token_create(user=user, name="mine")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    assert csrf_client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
