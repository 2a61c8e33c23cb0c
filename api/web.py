"""The token settings page: create (shown once), list, revoke. Signed-in users only.

Creating answers with a redirect (post/redirect/get), so reloading the page never makes a
second token. The new secret rides along in a short-lived signed cookie scoped to this page
and read once: it is never written to the database, only its hash is.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import form_add_error

from .models import ApiToken
from .services import TokenError, token_create, token_revoke, tokens_of

EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “laptop CLI”.")
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None


NEW_SECRET_COOKIE = "gptstore_new_token"
NEW_SECRET_SALT = "api.web.new-token"
NEW_SECRET_MAX_AGE = 120  # seconds between the redirect and the page that shows it


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = token_create(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except TokenError as exc:
            form_add_error(form, exc)
        else:
            response = redirect("api_tokens")
            response.set_signed_cookie(
                NEW_SECRET_COOKIE,
                secret,
                salt=NEW_SECRET_SALT,
                max_age=NEW_SECRET_MAX_AGE,
                path=request.path,
                secure=request.is_secure(),
                httponly=True,
                samesite="Strict",
            )
            return response
    new_secret = None
    if request.method == "GET":
        new_secret = request.get_signed_cookie(
            NEW_SECRET_COOKIE, default=None, salt=NEW_SECRET_SALT, max_age=NEW_SECRET_MAX_AGE
        )
    mine = tokens_of(request.user)
    context = {
        "form": form if request.method == "POST" else TokenForm(),
        "new_secret": new_secret,
        "tokens": mine.filter(revoked_at=None).order_by("-created"),
        "revoked_count": mine.exclude(revoked_at=None).count(),
        "now": timezone.now(),
    }
    response = render(
        request, "api/tokens.html", context, status=400 if request.method == "POST" else 200
    )
    if new_secret is not None:
        response.delete_cookie(NEW_SECRET_COOKIE, path=request.path, samesite="Strict")
    return response


@login_required
@require_POST
def token_revoke_view(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # others' tokens: 404
    token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api_tokens")
