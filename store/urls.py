from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("t/<slug:slug>/", views.tool_detail, name="tool_detail"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    path("resources/", views.resources, name="resources"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource_detail"),
    path("", include("tools.urls")),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve,
         {"document_root": settings.MEDIA_ROOT}),
]
