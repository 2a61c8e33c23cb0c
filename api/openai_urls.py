"""OpenAI-compatible API (mounted by config.urls at /v1/); see api.openai."""

from django.urls import path, re_path

from .openai import views

urlpatterns = [
    path("models", views.models, name="openai-models"),
    re_path(r"^models/(?P<model_id>.+)$", views.model_detail, name="openai-model"),
    path("chat/completions", views.chat_completions, name="openai-chat-completions"),
    path("completions", views.completions, name="openai-completions"),
    re_path(r"", views.not_found),  # last: unknown /v1/ paths answer JSON, not HTML
]
