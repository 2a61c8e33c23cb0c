"""Writes and checks for personal API tokens (and the few API-only writes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError

from .models import ApiToken

TOKEN_PREFIX = "gpts_"
MAX_TOKENS_PER_USER = 50
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenError(ApplicationError):
    """A token cannot be created; the message is meant for its owner."""

    code = "token_refused"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(
    *, user: AbstractBaseUser, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; return the row and the full secret, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenError("Give the token a name of 1 to 80 characters.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("The expiry must be in the future.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS_PER_USER:
        raise TokenError(f"At most {MAX_TOKENS_PER_USER} active tokens; revoke one first.")
    for _ in range(5):
        prefix = secrets.token_hex(6)
        full = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    secret_hash=_hash(full),
                    expires_at=expires_at,
                )
        except IntegrityError:  # prefix collision: draw again
            continue
        return token, full
    raise TokenError("Could not create a token; try again.")


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching `raw` (user loaded), or None. Marks it used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    # One write per token per minute at most, however busy the client.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used=now)
    return token


def tokens_of(user: AbstractBaseUser):
    return ApiToken.objects.filter(user=user)


def tool_update(*, tool, tags: list[str] | None = None, **fields):
    """Edit a tool's own fields: the one implementation lives in store.services."""
    from tools.services import tool_update as store_tool_update

    return store_tool_update(tool=tool, tags=tags, **fields)
