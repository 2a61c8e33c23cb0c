from django.urls import path

from . import web

urlpatterns = [
    path("tokens/", web.tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", web.token_revoke_view, name="api_token_revoke"),
]
