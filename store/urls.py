"""The storefront's pages: browse, search, tool pages, reviews, favorites, resources,
authors, the creator dashboard and accounts."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import accounts, catalog, creator, search, tool_page

account_urls = [
    path("signup/", accounts.signup, name="signup"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", accounts.profile_edit, name="profile_edit"),
    path("password/", accounts.password_change, name="password_change"),
    path("password/done/", accounts.password_change_done, name="password_change_done"),
    path("password/reset/", accounts.password_reset, name="password_reset"),
    path("password/reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
]

urlpatterns = [
    path("", catalog.home, name="home"),
    path("search/", search.search, name="search"),
    path("search/suggest/", search.search_suggest, name="search_suggest"),
    path("t/<slug:slug>/", tool_page.tool_detail, name="tool_detail"),
    path("t/<slug:slug>/review/", tool_page.review_submit, name="review_submit"),
    path("t/<slug:slug>/favorite/", tool_page.favorite_toggle, name="favorite_toggle"),
    path("t/<slug:slug>/report/", tool_page.report_tool, name="report_tool"),
    path("reviews/<int:pk>/helpful/", tool_page.review_helpful, name="review_helpful"),
    path("reviews/<int:pk>/report/", tool_page.report_review, name="report_review"),
    path("categories/", catalog.categories, name="categories"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("tag/<slug:slug>/", catalog.tag, name="tag"),
    path("u/<str:username>/", catalog.author, name="author"),
    path("favorites/", tool_page.favorites, name="favorites"),
    path("me/tools/", creator.dashboard, name="dashboard"),
    path("resources/", catalog.resources, name="resources"),
    path("resources/submit/", creator.resource_submit, name="resource_submit"),
    path("resources/<slug:slug>/", catalog.resource_detail, name="resource_detail"),
    path("accounts/", include(account_urls)),
]
