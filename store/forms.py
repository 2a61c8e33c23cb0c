"""Page forms. They validate input only; writes go through services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import URLValidator

from .models import Report, Resource

# Lowest first: the radios are drawn in this order, so ArrowRight raises the rating.
STAR_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)]


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
        # Whether the address is taken is not told here: the sign-up service decides, so the
        # page reads the same either way.
        return self.cleaned_data["email"].strip()


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
