from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from diversion.platform.tick import tick_run


class Command(BaseCommand):
    help = (
        "Run everything that is due, once. Safe to run every minute from cron and twice at "
        "once. Rules: (1) a prosecution hold still held when its deadline passes (the end of "
        "the rule set's 30th local day after the arrest, in the site's time zone) ends "
        "'referred', or 'declined' if the psychosocial assessment was completed before the "
        "deadline; each hold is resolved exactly once and the site's prosecutors are "
        "notified; (2) the case manager and the supervisors are reminded 7, 3 and 1 days "
        "before a hold's deadline, each reminder once; (3) a case without contact for "
        "DIVERSION_INACTIVE_AFTER_DAYS (default 90) becomes inactive, and nothing else ever "
        "changes a case's status by itself; (4) emails that failed in the last 2 days are "
        "retried. Apps add jobs in their jobs.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this moment (ISO 8601 with an "
                                          "offset), for tests and drills.")
        parser.add_argument("--only", action="append", help="Run only this job (repeatable).")

    def handle(self, *args, now=None, only=None, **options):
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError("--now: give an ISO 8601 date and time, e.g. "
                                   "2027-02-12T08:00:00-08:00")
            if timezone.is_naive(moment):
                raise CommandError("--now: give the UTC offset too (e.g. -08:00 or Z)")
        else:
            moment = timezone.now()
        try:
            results = tick_run(now=moment, only=only)
        except ValueError as exc:
            raise CommandError(f"--only: {exc}")
        for name, count in results.items():
            self.stdout.write(f"{name}: {count}")
