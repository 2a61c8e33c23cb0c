from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from . import builder, views

accounts = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", views.password_change_done, name="password_change_done"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("v1/", include("api.openai_urls")),
    path("settings/", include("api.web_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("t/<slug:slug>/", views.tool_detail, name="tool_detail"),
    path("build/", builder.builder_new, name="builder_new"),
    path("build-preview/", builder.builder_preview, name="builder_preview"),
    path("build/<slug:slug>/", builder.builder_edit, name="builder_edit"),
    path("build/<slug:slug>/test/", builder.builder_test, name="builder_test"),
    path("t/<slug:slug>/publish/", builder.tool_publish, name="tool_publish"),
    path("t/<slug:slug>/unpublish/", builder.tool_unpublish, name="tool_unpublish"),
    path("t/<slug:slug>/delete/", builder.tool_delete, name="tool_delete"),
    path("t/<slug:slug>/remix/", builder.tool_remix, name="tool_remix"),
    path("t/<slug:slug>/versions/", builder.tool_versions, name="tool_versions"),
    path("t/<slug:slug>/rollback/", builder.tool_rollback, name="tool_rollback"),
    path("me/tools/", builder.dashboard, name="dashboard"),
    path("t/<slug:slug>/review/", views.review_submit, name="review_submit"),
    path("t/<slug:slug>/favorite/", views.favorite_toggle, name="favorite_toggle"),
    path("t/<slug:slug>/report/", views.report_tool, name="report_tool"),
    path("reviews/<int:pk>/helpful/", views.review_helpful, name="review_helpful"),
    path("reviews/<int:pk>/report/", views.report_review, name="report_review"),
    path("categories/", views.categories, name="categories"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    path("u/<str:username>/", views.author, name="author"),
    path("favorites/", views.favorites, name="favorites"),
    path("resources/", views.resources, name="resources"),
    path("resources/submit/", builder.resource_submit, name="resource_submit"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource_detail"),
    path("accounts/", include(accounts)),
    path("", include("tools.urls")),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]
