"""Fewer indexes on the imported records, so an import writes fewer B-trees.

Dropped: the site foreign key's own index (the unique (site, record_id) and, for arrests,
(site, arrested_at) both begin with the site) and PostgreSQL's second, pattern-ops index on
person_key (for LIKE, which nothing runs). person_key keeps a plain index under a name of
its own. The indexes are dropped by name, so neither database copies the table (SQLite's
AlterField would rebuild it four times, PostgreSQL's would re-check the foreign key).
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's generated names, the same on both databases.
_DROPPED = [
    "reports_arrestrecord_person_key_863cc3bb",
    "reports_arrestrecord_person_key_863cc3bb_like",
    "reports_arrestrecord_site_id_d3536f57",
    "reports_programrecord_person_key_8eec0736",
    "reports_programrecord_person_key_8eec0736_like",
    "reports_programrecord_site_id_d2542e2c",
]


def drop(apps, schema_editor):
    for name in _DROPPED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for table in ("reports_arrestrecord", "reports_programrecord"):
        names = [n for n in _DROPPED if n.startswith(table + "_")]
        for name in names:
            column = "site_id" if "_site_id_" in name else "person_key"
            if name.endswith("_like"):
                if pg:
                    schema_editor.execute(
                        f'CREATE INDEX "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')
            else:
                schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0004_person_site_key_index'),
        ('reports', '0004_report_snapshot_json_text'),
        ('sites', '0002_default_site'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name='arrestrecord',
                    name='person_key',
                    field=models.CharField(blank=True, help_text="The source system's key for the person; the same key space in both files.", max_length=64),
                ),
                migrations.AlterField(
                    model_name='arrestrecord',
                    name='site',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='arrests', to='sites.site'),
                ),
                migrations.AlterField(
                    model_name='programrecord',
                    name='person_key',
                    field=models.CharField(blank=True, help_text="The source system's key for the person; the same key space in both files.", max_length=64),
                ),
                migrations.AlterField(
                    model_name='programrecord',
                    name='site',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='program_records', to='sites.site'),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='arrestrecord',
            index=models.Index(fields=['person_key'], name='arrest_person_key_idx'),
        ),
        migrations.AddIndex(
            model_name='programrecord',
            index=models.Index(fields=['person_key'], name='program_person_key_idx'),
        ),
    ]
