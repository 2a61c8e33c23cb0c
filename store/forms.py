"""Page forms. They validate input only; writes go through services."""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.cache import cache
from django.core.validators import URLValidator

from .models import Report, Resource

STAR_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect, label="Your rating"
    )
    text = forms.CharField(
        required=False,
        max_length=4000,
        label="Your review (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        required=False,
        max_length=2000,
        label="Details (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        label="E-mail",
        help_text="For password resets only; never shown to others.",
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists.")
        return email


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=80, required=False, label="Display name")
    email = forms.EmailField(label="E-mail")
    bio = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}), label="About"
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        taken = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk)
        if taken.exists():
            raise forms.ValidationError("Another account uses this e-mail.")
        return email


# --- login throttling -----------------------------------------------------------------------

LOGIN_MAX_FAILURES_PER_USERNAME = 5
LOGIN_MAX_FAILURES_PER_IP = 20
LOGIN_LOCK_SECONDS = 15 * 60
THROTTLE_MESSAGE = (
    "Too many failed log-in attempts. Wait 15 minutes and try again, or reset your password."
)


def _key(kind: str, value: str) -> str:
    return f"login-fail:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def client_ip(request) -> str:
    # REMOTE_ADDR only: a client can forge X-Forwarded-For. Behind a proxy, set it there.
    return (request.META.get("REMOTE_ADDR") if request else "") or "unknown"


class ThrottledAuthenticationForm(AuthenticationForm):
    """AuthenticationForm with failure counters in the shared cache (per username and per IP).

    Once a username or an address has too many recent failures, even a correct password
    is refused until the window passes, so guessing cannot go on.
    """

    error_messages = {**AuthenticationForm.error_messages, "throttled": THROTTLE_MESSAGE}

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        keys = [_key("ip", client_ip(self.request))]
        if username:
            keys.append(_key("user", username))
        limits = [LOGIN_MAX_FAILURES_PER_IP, LOGIN_MAX_FAILURES_PER_USERNAME]
        counts = cache.get_many(keys)
        if any(counts.get(k, 0) >= lim for k, lim in zip(keys, limits, strict=False)):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            for key in keys:
                cache.add(key, 0, LOGIN_LOCK_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, LOGIN_LOCK_SECONDS)
            raise
        if username:
            cache.delete(_key("user", username))
        return cleaned


def login_throttle_reset(*, username: str = "", ip: str = "") -> None:
    """Forget the failure counters of a username and/or an address (support and tests)."""
    keys = []
    if username:
        keys.append(_key("user", username.strip().lower()))
    if ip:
        keys.append(_key("ip", ip))
    cache.delete_many(keys)


class ResourceSubmitForm(forms.Form):
    title = forms.CharField(max_length=160)
    url = forms.URLField(
        max_length=500,
        label="URL",
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
    )
    kind = forms.ChoiceField(choices=Resource.Kind.choices)
    description = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
