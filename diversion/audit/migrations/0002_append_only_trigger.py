"""On PostgreSQL, a trigger refuses UPDATE and DELETE on the audit table.

The one UPDATE let through is a scrub: only `data` changes, and it becomes
{"scrubbed": true, "data_hash": "..."} (see audit_scrub_person). Whoever forges
a scrub can erase detail but cannot change what the chain proves. TRUNCATE is
left to the owner (test databases are flushed with it); a cut tail is found
against the exported checkpoint. SQLite has no such guard: use PostgreSQL in
production.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (to_jsonb(NEW) - 'data') = (to_jsonb(OLD) - 'data')
     AND NOT (OLD.data ? 'scrubbed')
     AND NEW.data -> 'scrubbed' = 'true'::jsonb
     AND jsonb_typeof(NEW.data -> 'data_hash') = 'string'
     AND (SELECT count(*) FROM jsonb_object_keys(NEW.data)) = 2 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

DROP = r"""
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
