from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "tools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A bad model registry stops every process at start, naming the entry, instead of
        # failing the first run that needs it.
        from .registry import default_model_id

        default_model_id()
