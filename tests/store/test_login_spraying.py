"""One address cannot try passwords on many accounts: log-in posts are limited per client
address on the store's and the admin's log-in forms (lockouts count per account + address)."""

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_window(one_rate_window):
    """Every limit here counts in fixed windows: keep each test inside one."""


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_log_in_posts_are_limited_per_address(client, settings, django_user_model, url):
    settings.WEB_RATE_LOGIN = "3/hour"
    caches[settings.WEB_RATE_CACHE].clear()
    spray = {"REMOTE_ADDR": "10.7.7.7"}
    for i in range(3):
        response = client.post(url, {"username": f"someone-{i}", "password": "guess"}, **spray)
        assert response.status_code == 200  # the form again, with its error
    refused = client.post(
        url, {"username": "someone-9", "password": "guess"}, REMOTE_ADDR="10.7.7.7"
    )
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "Too many requests" in refused.content.decode()
    # Another address, and reading the page, are not affected.
    django_user_model.objects.create_user("real", password="right-pass-123", is_staff=True)
    ok = client.post(
        url, {"username": "real", "password": "right-pass-123"}, REMOTE_ADDR="10.8.8.8"
    )
    assert ok.status_code == 302
    assert client.get(url, **spray).status_code in (200, 302)
