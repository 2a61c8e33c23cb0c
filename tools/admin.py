from django.contrib import admin

from .models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "tool",
        "user",
        "state",
        "finish_reason",
        "completion_tokens",
        "attempts",
        "queued_at",
    ]
    list_filter = ["state", "finish_reason"]
    search_fields = ["id", "tool__slug", "user__username"]
    raw_id_fields = ["tool", "version", "user"]
    # Runs change only through tools.services (worker, cancel, reconciler).
    readonly_fields = [f.name for f in Run._meta.fields if f.name != "shared"]

    def has_add_permission(self, request):
        return False
