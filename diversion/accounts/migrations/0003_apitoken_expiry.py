"""API tokens expire, and neither a revocation nor an expiry can be undone.

Tokens made before this migration expire DIVERSION_TOKEN_DAYS (90 by default) after it runs,
so an upgrade does not cut machine clients off without notice. A trigger, on PostgreSQL and on
SQLite alike, refuses an UPDATE that clears or changes `revoked_at` once set, pushes
`expires_at` later, or moves a token to another user or key: whatever writes (the admin, a
shell, a service), a revoked token stays revoked.

SQLite rebuilds a table to alter it, which drops its triggers: a later migration that alters
accounts_apitoken must run `trigger(True)` again (accounts/tests/test_tokens.py would fail).
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

POSTGRES = r"""
CREATE OR REPLACE FUNCTION apitoken_no_undo() RETURNS trigger AS $$
BEGIN
  IF NEW.user_id IS DISTINCT FROM OLD.user_id
     OR NEW.key_hash IS DISTINCT FROM OLD.key_hash
     OR NEW.prefix IS DISTINCT FROM OLD.prefix
     OR (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)
     OR NEW.expires_at > OLD.expires_at THEN
    RAISE EXCEPTION 'API tokens: a revocation or an expiry cannot be undone, nor a token moved'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS apitoken_no_undo ON accounts_apitoken;
CREATE TRIGGER apitoken_no_undo BEFORE UPDATE ON accounts_apitoken
  FOR EACH ROW EXECUTE FUNCTION apitoken_no_undo();
"""
POSTGRES_DROP = r"""
DROP TRIGGER IF EXISTS apitoken_no_undo ON accounts_apitoken;
DROP FUNCTION IF EXISTS apitoken_no_undo();
"""
# SQLite stores times as ISO text in UTC, one format, so text order is time order.
SQLITE = r"""
CREATE TRIGGER IF NOT EXISTS apitoken_no_undo BEFORE UPDATE ON accounts_apitoken
WHEN NEW.user_id IS NOT OLD.user_id
  OR NEW.key_hash IS NOT OLD.key_hash
  OR NEW.prefix IS NOT OLD.prefix
  OR (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at)
  OR NEW.expires_at > OLD.expires_at
BEGIN
  SELECT RAISE(ABORT, 'API tokens: a revocation or an expiry cannot be undone, nor a token moved');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS apitoken_no_undo;"


def _upgrade_expiry():
    return timezone.now() + timedelta(days=getattr(settings, "DIVERSION_TOKEN_DAYS", 90))


def trigger(forward: bool):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(POSTGRES if forward else POSTGRES_DROP, params=None)
        elif vendor == "sqlite":
            schema_editor.execute(SQLITE if forward else SQLITE_DROP, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_deployment_admin")]

    operations = [
        migrations.AddField(
            model_name="apitoken", name="expires_at",
            field=models.DateTimeField(default=_upgrade_expiry, help_text="The token stops working at this time (DIVERSION_TOKEN_DAYS after it was made, unless made shorter). It can be brought forward, never pushed back."),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apitoken", name="last_used_at",
            field=models.DateTimeField(blank=True, help_text="The last request made with it (to the minute).", null=True),
        ),
        migrations.AlterField(
            model_name="apitoken", name="revoked_at",
            field=models.DateTimeField(blank=True, help_text="When it was revoked; a revoked token never works again (the database refuses to clear this).", null=True),
        ),
        migrations.RunPython(trigger(True), trigger(False)),
    ]
