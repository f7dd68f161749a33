"""On PostgreSQL, a trigger refuses UPDATE and DELETE on the disclosure log (§2.25 accounting
must be complete). TRUNCATE is left to the owner, as for the audit table."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION consent_disclosure_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'disclosures are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consent_disclosure_append_only ON consent_disclosure;
CREATE TRIGGER consent_disclosure_append_only BEFORE UPDATE OR DELETE ON consent_disclosure
  FOR EACH ROW EXECUTE FUNCTION consent_disclosure_append_only();
"""

DROP = r"""
DROP TRIGGER IF EXISTS consent_disclosure_append_only ON consent_disclosure;
DROP FUNCTION IF EXISTS consent_disclosure_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
