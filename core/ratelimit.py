"""Fixed-window rate limits for pages, per client address, counted in the shared cache.

A limit is a setting `WEB_RATE_<SCOPE>` such as "30/minute" (DRF's notation: a count per
second, minute, hour or day); empty or "0" turns the scope off. Rates are read on every
request, so settings overrides apply. Over the limit a page answers 429 with a styled page
and `Retry-After` (`rate_limited`); code that must refuse without a page calls `rate_hit`.
"""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

from .clientip import client_ip
from .errors import ApplicationError, response_headers

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(ApplicationError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int):
        super().__init__("That was a lot of requests in a short time. Wait a moment and try again.")
        self.retry_after = retry_after


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "30/minute" -> (30, 60); None when the limit is off. A malformed rate is a setup
    mistake and fails loudly."""
    if not rate or rate.strip() in ("0", ""):
        return None
    count, _, period = rate.partition("/")
    seconds = PERIODS[period.strip()[0].lower()]
    return int(count), seconds


def _cache():
    return caches[getattr(settings, "WEB_RATE_CACHE", "default")]


def clock() -> float:
    """The time windows are counted in (tests hold it inside one window)."""
    return time.time()


def rate_hit(scope: str, ident: str, rate: str | None = None) -> None:
    """Count one request of `ident` (an address, an e-mail) in `scope`; raise `RateLimited`
    once the window's count is over the scope's limit. `rate` defaults to WEB_RATE_<SCOPE>."""
    if rate is None:
        rate = getattr(settings, f"WEB_RATE_{scope.upper()}", None)
    parsed = parse_rate(rate)
    if parsed is None:
        return
    limit, period = parsed
    now = int(clock())
    window = now // period
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    cache = _cache()
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, (window + 1) * period - now))


def too_many_requests(request, exc: RateLimited):
    """The styled 429 page."""
    response = render(request, "429.html", {"message": exc.message}, status=exc.status)
    for name, value in response_headers(exc).items():
        response[name] = value
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] | None = None):
    """View decorator: at most WEB_RATE_<SCOPE> requests per client address (counting only
    `methods` when given)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if methods is None or request.method in methods:
                    rate_hit(scope, client_ip(request))
            except RateLimited as exc:
                return too_many_requests(request, exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
