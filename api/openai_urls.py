"""OpenAI-compatible API (mounted by config.urls at /v1/); see api.openai."""

from django.urls import path, re_path

from . import openai

urlpatterns = [
    path("models", openai.models, name="openai-models"),
    re_path(r"^models/(?P<model_id>.+)$", openai.model_detail, name="openai-model"),
    path("chat/completions", openai.chat_completions, name="openai-chat-completions"),
    path("completions", openai.completions, name="openai-completions"),
    re_path(r"", openai.not_found),  # last: unknown /v1/ paths answer JSON, not HTML
]
