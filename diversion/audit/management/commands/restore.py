import sys

from django.core.management.base import BaseCommand, CommandError

from diversion.audit.backups import BackupError, database_restore
from diversion.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `diversion backup` "
        "(stop the web server and the worker first). Everything written since the backup is "
        "lost. Checks the audit chain afterwards and exits 1 if it is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup file written by `diversion backup`.")
        parser.add_argument("--yes", action="store_true",
                            help="Do not ask for confirmation.")

    def handle(self, *args, file, yes=False, **opts):
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("restore: add --yes to confirm replacing the database",
                                   returncode=2)
            answer = input("This replaces every record with the backup's. Type 'restore': ")
            if answer.strip() != "restore":
                raise CommandError("restore: cancelled", returncode=2)
        try:
            database_restore(path=file)
        except (BackupError, OSError) as exc:
            raise CommandError(f"restore: {exc}", returncode=1)
        result = audit_verify_chain()
        if not result.ok:
            raise CommandError(f"Restored, but the audit chain is BROKEN: {result.reason}",
                               returncode=1)
        self.stdout.write(f"Restored from {file}; audit chain intact ({result.checked} events).")
