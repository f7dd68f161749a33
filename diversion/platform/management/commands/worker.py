"""`diversion worker`: drains the database-backed task queue (email and other slow work)."""

from django.conf import settings
from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import valid_backend_name


class Command(DbWorkerCommand):
    help = (
        "Run the queued work that requests leave behind (notification email; later exports "
        "and large reports), from the database queue. Run one or more next to `diversion "
        "serve`; several workers never take the same task (SELECT … FOR UPDATE SKIP LOCKED "
        "on PostgreSQL). --batch drains the queue and exits."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Checked in handle(), after TASKS_BACKEND, so the error names the setting to change.
        for action in parser._actions:
            if action.dest == "backend_name":
                action.type = str

    def configure_logging(self, verbosity: int) -> None:
        # django-tasks would set its loggers to INFO, a line per task state. Leave them where
        # settings.LOGGING puts them (failures only) unless asked for more with -v 2.
        if verbosity >= 2:
            super().configure_logging(verbosity)

    def handle(self, *args, **options):
        if settings.TASKS_BACKEND != "database":
            raise CommandError(
                f"TASKS_BACKEND is {settings.TASKS_BACKEND!r}: tasks run inside the web "
                "process and there is no queue to drain. Set TASKS_BACKEND=database.")
        options["backend_name"] = valid_backend_name(options["backend_name"])
        return super().handle(*args, **options)
