"""Accounts: sign-up, log-in, the profile form and the password pages.

Failed log-ins are counted by django-axes per (account, client address); see
`store.login_protection`. Sign-up and password reset are rate limited per client address,
password reset also per e-mail address, and neither tells whether an address has an account.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator

from core.ratelimit import RateLimited, rate_hit, rate_limited

from .. import services
from ..forms import ProfileForm, SignupForm
from ._common import safe_next


@method_decorator(rate_limited("login", methods=("POST",)), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@rate_limited("signup", methods=("POST",))
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            login_url=request.build_absolute_uri(reverse("login")),
            reset_url=request.build_absolute_uri(reverse("password_reset")),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect(safe_next(request, reverse("home")))
    next_url = safe_next(request, "")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


@login_required
def profile_edit(request):
    user = request.user
    profile = user.profile
    initial = {"display_name": profile.display_name, "bio": profile.bio, "email": user.email}
    form = ProfileForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=user,
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            email=form.cleaned_data["email"],
        )
        messages.success(request, "Profile saved.")
        return redirect("profile_edit")
    return render(request, "accounts/profile_edit.html", {"form": form})


password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html"
)


@method_decorator(rate_limited("password_reset", methods=("POST",)), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        try:
            rate_hit("password_reset_email", form.cleaned_data["email"].strip().lower())
        except RateLimited:
            # No more mail to this address for now, but the same page as a sent link: the
            # limit must not tell whether the address has an account.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
