"""The client's address, the one answer every limit (log-in lockouts, API throttles, page rate
limits) keys on.

`X-Forwarded-For` is only believed behind `TRUSTED_PROXIES` proxies: each proxy appends the
address it received the request from, so with N trusted proxies in front the client is the
N-th entry from the right; everything left of it was written by the client and can be forged.
With 0 (the default) the header is ignored and REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the client that sent `request` (a Django or DRF request)."""
    meta = getattr(request, "META", None) or {}
    remote = _valid(meta.get("REMOTE_ADDR") or "") or UNKNOWN
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    hops = [h for h in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    if not hops:
        return remote
    # Fewer entries than trusted proxies: the request took a shorter path; the leftmost entry
    # is still one a trusted proxy wrote.
    return _valid(hops[-min(proxies, len(hops))]) or remote
