from django.core.management.base import BaseCommand, CommandError

from diversion.audit.backups import BackupError, database_backup
from diversion.audit.services import audit_checkpoint, audit_record


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the whole database while the site runs (SQLite: online "
        "backup API; PostgreSQL: pg_dump custom format). Default file: "
        "var/backups/diversion-<UTC time>.sqlite3|.dump, readable by its owner only. It holds "
        "every record: store it encrypted, off this server. The audit chain's checkpoint at "
        "the time is printed; keep it with the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Where to write the backup.")

    def handle(self, *args, out=None, **opts):
        audit_record(actor=None, action="database.backup", object_type="database")
        try:
            path = database_backup(out=out)
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup: {exc}", returncode=1)
        checkpoint = audit_checkpoint()
        self.stdout.write(f"Backup written to {path}.")
        self.stdout.write(f"Audit checkpoint: last_id={checkpoint.last_id} "
                          f"count={checkpoint.count} hash={checkpoint.hash}")
