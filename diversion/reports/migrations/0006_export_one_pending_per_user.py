"""One extract being prepared per user. Requests that raced before this (two pending rows of
one user) keep the newest; the others are marked failed, as the page already showed them."""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def keep_newest_pending(apps, schema_editor):
    export = apps.get_model("reports", "ExportFile")
    seen = set()
    for row in export.objects.filter(ready_at__isnull=True, failed_at__isnull=True) \
            .order_by("-requested_at", "-id").only("id", "requested_by_id"):
        if row.requested_by_id in seen:
            export.objects.filter(pk=row.pk).update(failed_at=timezone.now())
        seen.add(row.requested_by_id)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0005_fewer_import_indexes'),
        ('sites', '0002_default_site'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_newest_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='exportfile',
            constraint=models.UniqueConstraint(condition=models.Q(('failed_at__isnull', True), ('ready_at__isnull', True)), fields=('requested_by',), name='export_one_pending_per_user'),
        ),
    ]
