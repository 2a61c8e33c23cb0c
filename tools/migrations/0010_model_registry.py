"""Models are chosen per tool version and routed per run: `ToolVersion.model` and
`Run.model_key` hold a registry id (tools/registry.py). Existing rows get the default
model's id as the registry names it when this migration runs: what they ran on until now."""

from django.db import migrations, models


def _default_id(apps, schema_editor):
    from tools.registry import default_model_id

    model_id = default_model_id()
    apps.get_model("tools", "ToolVersion").objects.update(model=model_id)
    apps.get_model("tools", "Run").objects.update(model_key=model_id)


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0009_deleted_usage"),
    ]

    operations = [
        migrations.AddField(
            model_name="toolversion",
            name="model",
            field=models.CharField(default="", max_length=100),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="run",
            name="model_key",
            field=models.CharField(db_index=True, default="", max_length=100),
            preserve_default=False,
        ),
        migrations.RunPython(_default_id, migrations.RunPython.noop),
    ]
