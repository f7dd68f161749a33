import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django_tasks import task

from diversion.lib.locks import lock_key
from diversion.notifications.models import Notification

log = logging.getLogger(__name__)


def in_language(recipient, text, params: dict | None = None) -> str:
    """TEXT (a gettext_lazy message, with %(name)s PARAMS) in RECIPIENT's language: the one
    they chose with the switcher, or the site's default."""
    with translation.override(getattr(recipient, "language", "") or settings.LANGUAGE_CODE):
        text = str(text)
        if params:
            text = text % {k: str(v) if isinstance(v, Promise) or not callable(v) else v()
                           for k, v in params.items()}
        return text


def notify(*, recipient, kind: str, subject, body, url: str = "",
           dedupe_key: str | None = None, email: bool = True,
           params: dict | None = None) -> Notification | None:
    """Put a message in RECIPIENT's inbox and email it after the transaction commits.

    SUBJECT and BODY are written in the recipient's language when they are translatable
    messages (gettext_lazy), with PARAMS filled in there.
    With a dedupe_key, a second call for the same recipient and key does nothing
    and returns None (scheduled reminders rely on this).
    """
    subject = in_language(recipient, subject, params)
    body = in_language(recipient, body, params)
    try:
        with transaction.atomic():
            if dedupe_key is not None:
                # Look before inserting, under the key's lock: a duplicate key would put the
                # INSERT, with its text, in PostgreSQL's log (diversion/lib/locks.py).
                lock_key("notification", recipient.pk, dedupe_key)
                if Notification.objects.filter(recipient=recipient,
                                               dedupe_key=dedupe_key).exists():
                    return None
            note = Notification.objects.create(
                site_id=recipient.site_id, recipient=recipient, kind=kind, subject=subject,
                body=body, url=url, dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if email and recipient.email:
        # Queued after commit (settings.TASKS): `diversion worker` sends it, not the request.
        transaction.on_commit(lambda: notification_email_task.enqueue(notification_id=note.pk))
    return note


@task()
def notification_email_task(*, notification_id: int) -> None:
    notification_email(notification_id=notification_id)


def notification_email(*, notification_id: int) -> None:
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    if note.emailed_at is not None:
        return
    link = settings.SITE_URL.rstrip("/") + note.url if note.url else settings.SITE_URL
    ctx = {"note": note, "link": link}
    # The email's own words in the recipient's language, as the message itself.
    with translation.override(note.recipient.language or settings.LANGUAGE_CODE):
        message = EmailMultiAlternatives(
            subject=f"[diversion] {note.subject}",
            body=render_to_string("notifications/email.txt", ctx),
            to=[note.recipient.email],
        )
        message.attach_alternative(render_to_string("notifications/email.html", ctx),
                                   "text/html")
    try:
        message.send()
    except OSError as exc:
        # Stays unsent (emailed_at empty) for `diversion tick` to retry; the inbox has it.
        log.warning("email for notification %s not sent: %s", note.pk, exc.__class__.__name__)
        return
    Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now())


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
