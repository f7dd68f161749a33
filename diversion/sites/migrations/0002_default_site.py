from django.conf import settings
from django.db import migrations


def create_default_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    if not Site.objects.exists():
        Site.objects.create(
            slug=settings.DIVERSION_DEFAULT_SITE, name="Multnomah County LEAD®",
            time_zone=settings.TIME_ZONE, rule_set_site="multnomah", is_default=True,
        )


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ["officer", "case_manager", "supervisor", "prosecutor", "ops_team",
                 "evaluator", "administrator"]:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.RunPython(create_default_site, migrations.RunPython.noop),
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
    ]
