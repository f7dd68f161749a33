from django.db import migrations


def no_superusers(apps, schema_editor):
    # The admin asks the policy (diversion.policy.admin) and is scoped to the
    # administrator's site; a superuser flag would bypass Django's permission checks.
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_superuser=True).update(is_superuser=False)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_apitoken_expiry"),
    ]

    operations = [migrations.RunPython(no_superusers, migrations.RunPython.noop)]
