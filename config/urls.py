"""Root URLs: each app mounts its own; the admin, health check and media live here."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from core.ratelimit import rate_limited

from . import views
from .metrics import metrics_view

urlpatterns = [
    # The admin's log-in shares the store's per-address limit on log-in posts.
    path("admin/login/", rate_limited("login", methods=("POST",))(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("v1/", include("api.openai_urls")),
    path("settings/", include("api.web_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("store.urls")),
    path("", include("tools.urls")),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]
