"""The storefront's pages: browse, search, tool pages, reviews, favorites, resources,
authors, the creator dashboard and accounts."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

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
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("t/<slug:slug>/", views.tool_detail, name="tool_detail"),
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
    path("me/tools/", views.dashboard, name="dashboard"),
    path("resources/", views.resources, name="resources"),
    path("resources/submit/", views.resource_submit, name="resource_submit"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource_detail"),
    path("accounts/", include(accounts)),
]
