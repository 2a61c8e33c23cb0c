from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path

from . import registry, selectors, services
from .models import Category, Run, Tag, Tool, ToolVersion, UsageBudget
from .signals import tool_changed


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "ordering"]
    list_editable = ["ordering"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ToolVersionInline(admin.TabularInline):
    model = ToolVersion
    extra = 0
    fields = ["number", "changelog", "created"]
    readonly_fields = ["number", "changelog", "created"]
    can_delete = False
    show_change_link = True


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "author",
        "category",
        "status",
        "visibility",
        "featured",
        "run_count",
        "review_count",
        "created",
    ]
    list_filter = ["status", "visibility", "featured", "category"]
    search_fields = ["name", "slug", "tagline", "author__username"]
    autocomplete_fields = ["author", "tags", "forked_from"]
    readonly_fields = [
        "run_count",
        "review_count",
        "rating_sum",
        "created",
        "updated",
        "published_at",
    ]
    raw_id_fields = ["current_version"]
    inlines = [ToolVersionInline]
    actions = ["feature", "unfeature", "remove", "restore"]

    @admin.action(description="Feature selected tools")
    def feature(self, request, queryset):
        self.message_user(request, f"{queryset.update(featured=True)} featured.")

    @admin.action(description="Unfeature selected tools")
    def unfeature(self, request, queryset):
        self.message_user(request, f"{queryset.update(featured=False)} unfeatured.")

    @admin.action(description="Remove selected tools from the store")
    def remove(self, request, queryset):
        n = queryset.update(status=Tool.Status.REMOVED, featured=False)
        self.message_user(request, f"{n} removed.", messages.WARNING)

    @admin.action(description="Restore selected tools as published")
    def restore(self, request, queryset):
        n = queryset.exclude(current_version=None).update(status=Tool.Status.PUBLISHED)
        self.message_user(request, f"{n} restored.")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tool_changed.send(sender=Tool, tool=form.instance)

    def get_urls(self):
        view = self.admin_site.admin_view(self.models_view)
        return [path("models/", view, name="tools_models"), *super().get_urls()]

    def models_view(self, request):
        """The model registry, read-only: it comes from GPTSTORE_MODELS_FILE, not the database."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        specs = registry.models()
        served = selectors.models_served()
        # Published tools whose model left the registry: they say so instead of running.
        orphans = (
            Tool.objects.filter(status=Tool.Status.PUBLISHED, current_version__isnull=False)
            .exclude(current_version__model__in=list(specs))
            .values("current_version__model")
            .annotate(tools=Count("pk"))
            .order_by("current_version__model")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Models",
            "opts": self.model._meta,
            "rows": [{"spec": spec, "served": spec.id in served} for spec in specs.values()],
            "default_id": registry.default_model_id(),
            "models_file": settings.GPTSTORE_MODELS_FILE,
            "orphans": [(o["current_version__model"], o["tools"]) for o in orphans],
        }
        return TemplateResponse(request, "admin/tools/models.html", context)


@admin.register(ToolVersion)
class ToolVersionAdmin(admin.ModelAdmin):
    list_display = ["tool", "number", "model", "changelog", "created"]
    search_fields = ["tool__name"]
    raw_id_fields = ["tool"]


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


@admin.register(UsageBudget)
class UsageBudgetAdmin(admin.ModelAdmin):
    """Users' own daily token budgets, and a page of who and what spends the most."""

    list_display = ["user", "tokens_per_day", "note", "updated"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
    change_list_template = "admin/tools/usagebudget/change_list.html"

    def save_model(self, request, obj, form, change):
        saved = services.usage_budget_set(
            user=obj.user, tokens_per_day=obj.tokens_per_day, note=obj.note
        )
        obj.pk, obj.updated = saved.pk, saved.updated

    def get_urls(self):
        view = self.admin_site.admin_view(self.top_view)
        return [path("top/", view, name="tools_usage_top"), *super().get_urls()]

    def top_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Top users and tools by tokens",
            "opts": self.model._meta,
            "default_budget": settings.GPTSTORE_DAILY_TOKEN_BUDGET,
            "windows": [
                {
                    "label": label,
                    "users": selectors.top_users(days=days),
                    "tools": selectors.top_tools(days=days),
                }
                for label, days in (("Today (UTC)", 1), ("Last 30 days", selectors.USAGE_DAYS))
            ],
        }
        return TemplateResponse(request, "admin/tools/usagebudget/top.html", context)
