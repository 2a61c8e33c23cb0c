"""A tool's life in pages: build and publish it (the builder), run it, read its runs."""

from django.urls import path

from . import history_views, thread_views, usage_views, views
from .builder import views as builder

urlpatterns = [
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
    path("t/<slug:slug>/run", views.run_new, name="run_new"),
    path("runs/", history_views.run_list, name="run_list"),
    path(
        "runs/threads/<uuid:thread>/delete/",
        history_views.thread_delete,
        name="thread_delete",
    ),
    path("me/usage/", usage_views.usage, name="usage"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/events", views.run_events, name="run_events"),
    path("runs/<uuid:run_id>/answer", views.run_answer, name="run_answer"),
    path("runs/<uuid:run_id>/answer.md", views.run_answer_md, name="run_answer_md"),
    path("runs/<uuid:run_id>/again", views.run_again, name="run_again"),
    path("runs/<uuid:run_id>/cancel", views.run_cancel, name="run_cancel"),
    path("runs/<uuid:run_id>/share", views.run_share, name="run_share"),
    path("runs/<uuid:run_id>/followup", thread_views.run_followup, name="run_followup"),
    path("s/<uuid:run_id>/", views.run_shared, name="run_shared"),
]
