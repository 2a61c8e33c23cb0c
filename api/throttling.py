"""DRF throttles that read their rates when called (so settings overrides apply) and keep
their counters in the cache named by API_THROTTLE_CACHE. Over the limit DRF answers 429
with `Retry-After`. Clients are told apart by `core.clientip.client_ip`, which believes
X-Forwarded-For only behind TRUSTED_PROXIES (DRF's own `get_ident` trusts it whenever
NUM_PROXIES is unset)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.clientip import client_ip


class _RatesFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    @property
    def cache(self):
        return caches[getattr(settings, "API_THROTTLE_CACHE", "default")]

    def get_ident(self, request):
        return client_ip(request)


class AnonThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    scope = "user"
