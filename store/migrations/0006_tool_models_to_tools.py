"""The storefront's foreign keys follow Category, Tag and Tool to `tools` (state only).

`tools.0003_move_tool_models` renamed the tables; the columns and constraints are unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("store", "0005_bench_indexes"),
        ("tools", "0003_move_tool_models"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="resource",
                    name="category",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="resources", to="tools.category"),
                ),
                migrations.AlterField(
                    model_name="resource",
                    name="tags",
                    field=models.ManyToManyField(blank=True, related_name="resources", to="tools.tag"),
                ),
                migrations.AlterField(
                    model_name="review",
                    name="tool",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="reviews", to="tools.tool"),
                ),
                migrations.AlterField(
                    model_name="favorite",
                    name="tool",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="favorites", to="tools.tool"),
                ),
                migrations.AlterField(
                    model_name="report",
                    name="tool",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="reports", to="tools.tool"),
                ),
                migrations.RemoveField(model_name="tool", name="current_version"),
                migrations.DeleteModel(name="ToolVersion"),
                migrations.DeleteModel(name="Tool"),
                migrations.DeleteModel(name="Tag"),
                migrations.DeleteModel(name="Category"),
            ],
        ),
    ]
