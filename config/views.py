"""Project-level endpoints that belong to no app."""

from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """For load balancers and `make run`: 200 when the database answers, else a 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"ok": False, "database": "unreachable"}, status=503)
    return JsonResponse({"ok": True})
