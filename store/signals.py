from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from tools.signals import tool_changed

from . import services
from .models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, **kwargs):
    # Users made by the admin or createsuperuser get a profile too, not only sign-ups.
    if created:
        Profile.objects.get_or_create(user=instance)


@receiver(tool_changed)
def reindex_tool(sender, tool, **kwargs):
    services.tool_reindex(tool=tool)


@receiver(user_logged_out)
def say_logged_out(sender, request, user, **kwargs):
    # The page after log-out says so; without it the only sign is a changed header.
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, "You have logged out. See you soon.")
