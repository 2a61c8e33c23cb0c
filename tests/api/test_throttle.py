"""DRF throttles for anonymous and signed-in callers: 429 with Retry-After."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }


def test_anonymous_throttle(anon, low_rates):
    codes = [anon.get("/api/tags/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = anon.get("/api/tags/")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()


def test_user_throttle_is_per_user(alice, bob, low_rates):
    assert [alice.get("/api/me/").status_code for _ in range(6)] == [200] * 5 + [429]
    assert int(alice.get("/api/me/")["Retry-After"]) > 0
    assert bob.get("/api/me/").status_code == 200  # another user's budget is untouched
