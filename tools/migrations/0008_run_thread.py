"""Conversations: a run may follow up another (`parent`); every run names its first turn
(`thread`, its own id for a first turn, as every existing run is) and its position (`turn`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0007_tool_prompt_public"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="followups",
                to="tools.run",
            ),
        ),
        migrations.AddField(
            model_name="run",
            name="thread",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="run",
            name="turn",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.RunSQL("UPDATE tools_run SET thread = id", reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="run",
            name="thread",
            field=models.UUIDField(db_index=True, editable=False),
        ),
    ]
