from django.urls import path

from . import views

urlpatterns = [
    path("t/<slug:slug>/run", views.run_new, name="run_new"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/events", views.run_events, name="run_events"),
    path("runs/<uuid:run_id>/cancel", views.run_cancel, name="run_cancel"),
    path("runs/<uuid:run_id>/share", views.run_share, name="run_share"),
    path("s/<uuid:run_id>/", views.run_shared, name="run_shared"),
]
