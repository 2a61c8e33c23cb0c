"""DRF throttles that read their rates when called (so settings overrides apply) and keep
their counters in the cache named by API_THROTTLE_CACHE. Over the limit DRF answers 429
with `Retry-After`."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    @property
    def cache(self):
        return caches[getattr(settings, "API_THROTTLE_CACHE", "default")]


class AnonThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    scope = "user"
