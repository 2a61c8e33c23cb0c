"""django-axes hooks: log-in failures count per (account, client address), and each new
lockout of the same pair lasts longer.

Axes refuses a pair after AXES_FAILURE_LIMIT failures within the cool-off; only that pair is
refused, so nobody can lock another person out of their account from their own address.
The cool-off doubles with every lockout the pair had within LOGIN_LOCKOUT_MEMORY seconds
(from LOGIN_COOLOFF_MINUTES up to LOGIN_COOLOFF_MAX_MINUTES); a successful log-in from the
pair forgets them. The lockout count lives in the shared cache; the failures themselves in
axes' tables.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from axes.helpers import get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.dispatch import receiver
from django.shortcuts import render

from core.clientip import UNKNOWN, client_ip

LOCKED_MESSAGE = "Too many failed log-in attempts from here."


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: `client_ip`, or None where a request has no address (a test
    client's force_login, a Unix socket): axes stores it in an IP-address column."""
    ip = client_ip(request)
    return None if ip == UNKNOWN else ip


def _pair(request, username: str | None = None) -> str | None:
    if request is None:
        return None
    if username is None:
        credentials = getattr(request, "axes_credentials", None)
        username = get_client_username(request, credentials)
    if not username:
        return None
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    digest = hashlib.sha256(f"{username}\0{ip}".encode()).hexdigest()[:32]
    return f"login-lockouts:{digest}"


def lockouts(request, username: str | None = None) -> int:
    """How many times this (account, client) pair was locked out lately."""
    key = _pair(request, username)
    return int(cache.get(key) or 0) if key else 0


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: the base cool-off, doubled for each earlier lockout of the pair."""
    base = settings.LOGIN_COOLOFF_MINUTES
    most = settings.LOGIN_COOLOFF_MAX_MINUTES
    earlier = max(0, lockouts(request) - 1)
    return timedelta(minutes=min(most, base * 2 ** min(earlier, 20)))


@receiver(user_locked_out)
def count_lockout(sender, request=None, username=None, **kwargs):
    # Axes signals again on every refused attempt; only the failure that reaches the limit
    # starts a new lockout.
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    key = _pair(request, username)
    if key:
        cache.add(key, 0, settings.LOGIN_LOCKOUT_MEMORY)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_LOCKOUT_MEMORY)


@receiver(user_logged_in)
def forget_lockouts(sender, request=None, user=None, **kwargs):
    if request is not None and user is not None:
        key = _pair(request, user.get_username())
        if key:
            cache.delete(key)


def lockout_response(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE: the locked-out page (429, `Retry-After`) for the store's and the
    admin's log-in forms alike."""
    wait = cool_off(request)
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    response = render(
        request,
        "registration/locked_out.html",
        {"message": LOCKED_MESSAGE, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
