"""Category, Tag, Tool and ToolVersion move from `store` to `tools`, keeping every row.

The tables are renamed in place (rows, sequences, indexes and foreign keys follow a renamed
table in PostgreSQL); only Django's model state is rebuilt. The content types are relabelled,
so permissions and admin history keep pointing at the same models.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import pgvector.django.vector
from django.conf import settings
from django.db import migrations, models

TABLES = ["category", "tag", "tool", "tool_tags", "toolversion"]
MODELS = ["category", "tag", "tool", "toolversion"]


def _renames(old: str, new: str) -> list[str]:
    return [f"ALTER TABLE {old}_{t} RENAME TO {new}_{t}" for t in TABLES]


def _relabel(old: str, new: str) -> str:
    names = ", ".join(f"'{m}'" for m in MODELS)
    return (
        f"UPDATE django_content_type SET app_label = '{new}' "
        f"WHERE app_label = '{old}' AND model IN ({names})"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("tools", "0002_run_openai"),
        ("store", "0005_bench_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(_renames("store", "tools"), _renames("tools", "store")),
                migrations.RunSQL(_relabel("store", "tools"), _relabel("tools", "store")),
            ],
            state_operations=[
                migrations.CreateModel(
                    name='Category',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, unique=True)),
                        ('slug', models.SlugField(max_length=80, unique=True)),
                        ('description', models.TextField(blank=True)),
                        ('ordering', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'verbose_name_plural': 'categories',
                        'ordering': ['ordering', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='Tag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=40, unique=True)),
                        ('slug', models.SlugField(max_length=40, unique=True)),
                    ],
                    options={
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Tool',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80)),
                        ('slug', models.SlugField(max_length=100, unique=True)),
                        ('tagline', models.CharField(blank=True, max_length=160)),
                        ('description', models.TextField(blank=True, help_text='Markdown')),
                        ('icon', models.CharField(default='🤖', help_text='An emoji', max_length=16)),
                        ('icon_image', models.ImageField(blank=True, upload_to='tool-icons/')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published'), ('removed', 'Removed')], default='draft', max_length=12)),
                        ('visibility', models.CharField(choices=[('public', 'Public'), ('unlisted', 'Unlisted'), ('private', 'Private')], default='public', max_length=12)),
                        ('featured', models.BooleanField(default=False)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('run_count', models.PositiveIntegerField(default=0)),
                        ('review_count', models.PositiveIntegerField(default=0)),
                        ('rating_sum', models.PositiveIntegerField(default=0)),
                        ('search_vector', django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                        ('embedding', pgvector.django.vector.VectorField(blank=True, dimensions=384, editable=False, null=True)),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tools', to=settings.AUTH_USER_MODEL)),
                        ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tools', to='tools.category')),
                        ('forked_from', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='remixes', to='tools.tool')),
                        ('tags', models.ManyToManyField(blank=True, related_name='tools', to='tools.tag')),
                    ],
                    options={
                        'ordering': ['-created'],
                        'indexes': [
                            django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='store_tool_search__7fa46a_gin'),
                            models.Index(fields=['status', 'visibility'], name='store_tool_status_fa47ed_idx'),
                            django.contrib.postgres.indexes.GinIndex(fields=['name'], name='tool_name_trgm', opclasses=['gin_trgm_ops']),
                            django.contrib.postgres.indexes.GinIndex(fields=['tagline'], name='tool_tagline_trgm', opclasses=['gin_trgm_ops']),
                        ],
                        'constraints': [
                            models.CheckConstraint(condition=models.Q(('rating_sum__gte', 0), ('review_count__gte', 0), ('run_count__gte', 0)), name='tool_counters_non_negative'),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name='ToolVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('prompt_template', models.TextField()),
                        ('system_prompt', models.TextField(blank=True)),
                        ('input_schema', models.JSONField(default=list)),
                        ('sampling_defaults', models.JSONField(blank=True, default=dict)),
                        ('example_inputs', models.JSONField(blank=True, default=list)),
                        ('changelog', models.CharField(blank=True, max_length=200)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('tool', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='tools.tool')),
                    ],
                    options={
                        'ordering': ['tool', '-number'],
                        'constraints': [
                            models.UniqueConstraint(fields=('tool', 'number'), name='toolversion_unique_number'),
                            models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='toolversion_number_positive'),
                        ],
                    },
                ),
                migrations.AddField(
                    model_name='tool',
                    name='current_version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tools.toolversion'),
                ),
                migrations.AlterField(
                    model_name='run',
                    name='tool',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='runs', to='tools.tool'),
                ),
                migrations.AlterField(
                    model_name='run',
                    name='version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='runs', to='tools.toolversion'),
                ),
            ],
        ),
    ]
