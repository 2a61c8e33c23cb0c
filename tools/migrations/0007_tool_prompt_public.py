from django.db import migrations, models


class Migration(migrations.Migration):
    """Existing tools start with their prompt private: the API already hid it from everyone
    but the author, so only remixing (which copied it) changes for them."""

    dependencies = [
        ("tools", "0006_usage_budget"),
    ]

    operations = [
        migrations.AddField(
            model_name="tool",
            name="prompt_public",
            field=models.BooleanField(
                default=False,
                help_text="Let everyone who can open the tool read its prompt and remix it.",
                verbose_name="Prompt visible and remixable",
            ),
        ),
    ]
