"""REST API under /api/ (mounted by config.urls with `path("api/", include("api.urls"))`)."""

from django.urls import path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import runs, views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="api-category")
router.register("tags", views.TagViewSet, basename="api-tag")
router.register("resources", views.ResourceViewSet, basename="api-resource")
router.register("tools", views.ToolViewSet, basename="api-tool")
router.register(
    r"tools/(?P<tool_slug>[-a-zA-Z0-9_]+)/versions", views.ToolVersionViewSet, "api-version"
)
router.register("reviews", views.ReviewViewSet, basename="api-review")
router.register("favorites", views.FavoriteViewSet, basename="api-favorite")
router.register("runs", runs.RunViewSet, basename="api-run")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("runs/<uuid:run_id>/events/", runs.run_events, name="api-run-events"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # One documentation page: ReDoc's bundle fetches its logo from a CDN (a failed request
    # offline, and a third party in every visit), so its old address leads to Swagger UI.
    path("redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True), name="api-redoc"),
    *router.urls,
    re_path(r"", views.not_found),  # last: unknown /api/ paths answer JSON, not HTML
]
