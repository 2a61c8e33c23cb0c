"""The client address behind every limit: X-Forwarded-For counts only behind TRUSTED_PROXIES,
for the API throttle and the page rate limits alike."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from core.clientip import client_ip

pytestmark = pytest.mark.django_db


def _request(xff=None, remote="203.0.113.9"):
    headers = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (0, "198.51.100.1", "203.0.113.9"),  # no proxy trusted: the header is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the forged left part is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "198.51.100.1"),  # fewer hops than proxies
        (1, "not-an-address", "203.0.113.9"),
        (1, "", "203.0.113.9"),
        (1, None, "203.0.113.9"),
    ],
)
def test_client_ip(settings, proxies, xff, expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_ip(_request(xff)) == expected


@pytest.fixture
def low_api_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }


def test_api_throttle_ignores_forwarded_for_without_trusted_proxies(anon, low_api_rates, settings):
    settings.TRUSTED_PROXIES = 0
    codes = [
        anon.get("/api/tags/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


def test_api_throttle_honours_forwarded_for_behind_one_proxy(anon, low_api_rates, settings):
    settings.TRUSTED_PROXIES = 1
    # The proxy appends the address it saw; whatever the client put before it does not count.
    same = [
        anon.get("/api/tags/", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 198.51.100.7").status_code
        for i in range(4)
    ]
    assert same == [200, 200, 200, 429]
    assert anon.get("/api/tags/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


@pytest.fixture
def search_limit(settings, one_rate_window):
    settings.WEB_RATE_SEARCH = "3/minute"
    caches[settings.WEB_RATE_CACHE].clear()


def test_search_limit_ignores_forwarded_for_without_trusted_proxies(client, search_limit, settings):
    settings.TRUSTED_PROXIES = 0
    codes = [
        client.get("/search/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_search_limit_honours_forwarded_for_behind_one_proxy(client, search_limit, settings):
    settings.TRUSTED_PROXIES = 1
    codes = [
        client.get("/search/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(4)
    ]
    assert codes == [200] * 4
    one = [client.get("/search/", HTTP_X_FORWARDED_FOR="198.51.100.50").status_code for _ in "abcd"]
    assert one == [200, 200, 200, 429]
