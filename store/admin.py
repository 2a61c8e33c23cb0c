from django.contrib import admin, messages

from tools.models import Tool

from . import services
from .models import Favorite, Profile, Report, Resource, Review, ReviewVote


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "category", "approved", "submitted_by", "created"]
    list_filter = ["approved", "kind", "category"]
    search_fields = ["title", "url", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    actions = ["approve", "unapprove"]

    @admin.action(description="Approve selected resources")
    def approve(self, request, queryset):
        self.message_user(request, f"{queryset.update(approved=True)} approved.")

    @admin.action(description="Hide selected resources")
    def unapprove(self, request, queryset):
        self.message_user(request, f"{queryset.update(approved=False)} hidden.")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.resource_reindex(resource=form.instance)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["tool", "user", "stars", "created"]
    list_filter = ["stars"]
    search_fields = ["tool__name", "user__username", "text"]
    raw_id_fields = ["tool", "user"]
    actions = ["delete_with_counters"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The stock bulk delete would leave the tools' rating counters wrong.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected reviews (keeps ratings exact)")
    def delete_with_counters(self, request, queryset):
        n = 0
        for review in queryset:
            services.review_delete(review=review)
            n += 1
        self.message_user(request, f"{n} deleted.")

    def has_change_permission(self, request, obj=None):
        return False  # edits go through review_upsert so counters stay right


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "created"]
    search_fields = ["user__username", "display_name"]
    raw_id_fields = ["user"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The moderation queue: open reports first; act on the target, then close the report."""

    list_display = ["created", "status", "reason", "target", "reporter", "details_short"]
    list_filter = ["status", "reason"]
    search_fields = ["details", "tool__name", "review__text", "reporter__username"]
    raw_id_fields = ["reporter", "tool", "review", "handled_by"]
    readonly_fields = [
        "reporter",
        "tool",
        "review",
        "reason",
        "details",
        "created",
        "handled_by",
        "handled_at",
    ]
    ordering = ["status", "-created"]
    actions = ["resolve", "dismiss", "remove_tools", "delete_reviews"]

    @admin.display(description="Reported")
    def target(self, obj):
        return f"Tool: {obj.tool}" if obj.tool_id else f"Review: {obj.review}"

    @admin.display(description="Details")
    def details_short(self, obj):
        return obj.details[:80]

    def _close(self, request, queryset, status):
        n = 0
        for report in queryset.filter(status=Report.Status.OPEN):
            services.report_close(report=report, by=request.user, status=status)
            n += 1
        return n

    @admin.action(description="Mark resolved")
    def resolve(self, request, queryset):
        self.message_user(
            request, f"{self._close(request, queryset, Report.Status.RESOLVED)} resolved."
        )

    @admin.action(description="Dismiss (no action needed)")
    def dismiss(self, request, queryset):
        self.message_user(
            request, f"{self._close(request, queryset, Report.Status.DISMISSED)} dismissed."
        )

    @admin.action(description="Remove the reported tools from the store and resolve")
    def remove_tools(self, request, queryset):
        tool_ids = queryset.exclude(tool=None).values_list("tool_id", flat=True)
        n = Tool.objects.filter(pk__in=list(tool_ids)).update(
            status=Tool.Status.REMOVED, featured=False
        )
        self._close(request, queryset.exclude(tool=None), Report.Status.RESOLVED)
        self.message_user(request, f"{n} tools removed.", messages.WARNING)

    @admin.action(description="Delete the reported reviews (keeps ratings exact) and resolve")
    def delete_reviews(self, request, queryset):
        n = 0
        for report in queryset.exclude(review=None).select_related("review"):
            services.report_close(report=report, by=request.user, status=Report.Status.RESOLVED)
            services.review_delete(review=report.review)  # cascades to its reports
            n += 1
        self.message_user(request, f"{n} reviews deleted.", messages.WARNING)


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ["user", "tool", "created"]
    search_fields = ["user__username", "tool__name"]
    raw_id_fields = ["user", "tool"]


@admin.register(ReviewVote)
class ReviewVoteAdmin(admin.ModelAdmin):
    list_display = ["user", "review", "created"]
    raw_id_fields = ["user", "review"]

    def has_change_permission(self, request, obj=None):
        return False  # votes go through services.review_helpful_toggle (keeps counts exact)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
