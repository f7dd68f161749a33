"""The notifications app's periodic job: emails that failed are sent again (diversion.lib.jobs)."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from diversion.lib.jobs import tick_job
from diversion.notifications.models import Notification
from diversion.notifications.services import notification_email

# An email just queued (sent on commit, or by `diversion worker`) is left alone this long.
EMAIL_RETRY_GRACE = timedelta(minutes=10)
EMAIL_RETRY_WINDOW = timedelta(days=2)


@tick_job("emails_retry", order=1000)
def emails_retry(*, now):
    """Send again the emails that failed (the inbox copy exists; emailed_at is empty), for
    notifications created in the last 2 days. Uses the real clock, not --now: this is about
    the mail server, not a deadline."""
    real_now = timezone.now()
    ids = list(Notification.objects.filter(
        emailed_at__isnull=True, created_at__gte=real_now - EMAIL_RETRY_WINDOW,
        created_at__lte=real_now - EMAIL_RETRY_GRACE,
    ).exclude(recipient__email="").values_list("pk", flat=True))
    sent = 0
    for pk in ids:
        with transaction.atomic():
            qs = Notification.objects.filter(pk=pk, emailed_at__isnull=True)
            if connection.vendor == "postgresql":
                qs = qs.select_for_update(skip_locked=True)
            if qs.first() is None:
                continue
            notification_email(notification_id=pk)
            sent += Notification.objects.filter(pk=pk, emailed_at__isnull=False).exists()
    return sent
