"""Accounts: sign-up that never tells whether an e-mail address is registered."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, login_url: str, reset_url: str):
    """Create an account. An address another account already uses is not linked to the new
    one (the new account starts without an e-mail); its owner is told by mail instead, so the
    sign-up page answers the same whether the address was free or not."""
    users = get_user_model()
    taken = users.objects.filter(email__iexact=email).first()
    user = users.objects.create_user(username, email="" if taken else email, password=password)
    if taken is not None:
        body = render_to_string(
            "registration/signup_taken_email.txt",
            {"user": taken, "login_url": login_url, "reset_url": reset_url},
        )
        recipient = taken.email
        transaction.on_commit(
            lambda: send_mail(
                "Someone tried to sign up with your e-mail address",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [recipient],
            )
        )
    return user
