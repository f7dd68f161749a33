"""Writes of the texts app: consent, appointments, reminders, sending, receipts and replies.

Sending is split in two so that each text goes out once however many workers run:
1. a text is *queued* by inserting its row; a reminder's row carries a key unique per case
   (what it reminds of, and which reminder), so a second worker's insert fails and it moves on;
2. a queued text is *claimed* by one conditional UPDATE (queued -> sending); only the worker
   whose update changed the row hands it to the gateway.
A worker killed after its claim leaves the row `sending`: after SEND_LEASE another run takes it
again, unless the gateway's receipt (whose URL carries this row's id) has meanwhile shown that
the text did go out. Nothing here runs in a request: `diversion tick` and `diversion worker`
call it.
"""

import logging
from datetime import datetime, time, timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.audit.services import audit_record
from diversion.cases.models import OPEN_STATUSES, Case, ContactKind
from diversion.cases.services.contacts import contact_record
from diversion.lib.locks import lock_key
from diversion.notifications.services import notify
from diversion.sites.models import Site
from diversion.sites.selectors import site_default
from diversion.texts import wording
from diversion.texts.deadlines import open_deadlines
from diversion.texts.models import (
    ANSWER_KINDS,
    Appointment,
    AppointmentKind,
    Direction,
    MessageKind,
    MessageStatus,
    NotSent,
    TextConsent,
    TextMessage,
)
from diversion.texts.providers import Outgoing, ProviderError, provider_get

log = logging.getLogger(__name__)

REMINDER_DAYS = (7, 3, 1)
REMINDER_AT = time(10, 0)         # local time a reminder is sent on its day
SEND_LEASE = timedelta(minutes=5)  # a claim older than this, with no receipt, is taken again
MAX_ATTEMPTS = 5
ONE_OFF_MAX = 320                  # two SMS parts in plain letters
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}


# --- numbers, quiet hours, words -------------------------------------------------------------

def _sendable_regions() -> list[str]:
    return [r.strip().upper() for r in settings.DIVERSION_SMS_REGIONS.split(",") if r.strip()]


def phone_normalize(raw: str, *, sendable: bool = True) -> str:
    """RAW as E.164 ('+15035550100'), or a ValidationError naming the field.

    A number without a country code is read as one of the first region of
    DIVERSION_SMS_REGIONS (the site's own). With SENDABLE (every number staff record), a
    number of another country is refused: the site's carrier connection texts its own country
    (a US long code does not reach a Mexican phone, or reaches it as an international text that
    the carrier may drop), and a reminder that silently never arrives is worse than none.
    Numbers that phones text *from* are read whatever their country (they are only looked up).
    """
    regions = _sendable_regions() or ["US"]
    try:
        number = phonenumbers.parse((raw or "").strip(), regions[0])
    except phonenumbers.NumberParseException:
        raise ValidationError({"phone": _("This is not a phone number.")})
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({"phone": _("This phone number does not exist (check the digits "
                                          "and the area code).")})
    region = phonenumbers.region_code_for_number(number)
    if sendable and region not in regions:
        raise ValidationError({"phone": _(
            "This is a number of another country (%(region)s, +%(code)s). Texts from the "
            "program reach only numbers of %(allowed)s: record a local number, or reach the "
            "participant another way.") % {
                "region": region or "?", "code": number.country_code,
                "allowed": ", ".join(regions)}})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _quiet_bounds() -> tuple[time, time]:
    start, end = settings.DIVERSION_SMS_QUIET_HOURS.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def quiet_until(moment: datetime, tz) -> datetime | None:
    """The end of the quiet hours MOMENT falls in (site's zone), or None outside them."""
    start, end = _quiet_bounds()
    if start == end:
        return None
    local = moment.astimezone(tz)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def _help_phone() -> str:
    return settings.DIVERSION_SMS_HELP_PHONE or "the office"


def _check_words(body: str, *, site) -> None:
    found = wording.forbidden_words(body, extra=(site.name,))
    if found:
        raise ValidationError({"body": _(
            "A text may be read by anyone holding the phone, so it never names the program, a "
            "drug, a charge, a court or a diagnosis. Take out: %(words)s.") % {
                "words": ", ".join(found)}})


def _date_words(moment: datetime, tz, language: str) -> tuple[str, str]:
    date_format, time_format = wording.DATE_FORMATS[language]
    local = moment.astimezone(tz)
    with translation.override(language):
        return formats.date_format(local, date_format), formats.time_format(local, time_format)


# --- consent ---------------------------------------------------------------------------------

def _require_writer(case: Case, actor) -> None:
    if actor.site_id != case.site_id or not policy.can(actor, "text.write"):
        raise PermissionDenied("You may not change this case.")
    if actor.role == Role.CASE_MANAGER and case.case_manager_id != actor.pk:
        raise PermissionDenied("Only the case's own case manager or a supervisor may do this.")


@transaction.atomic
def text_consent_record(*, case: Case, actor, phone: str, language: str, reminders: bool,
                        messages: bool, given_at: datetime | None = None) -> TextConsent:
    """Record the participant's consent to be texted; a consent in force before is replaced
    (revoked by the same act). Nothing is texted without one."""
    _require_writer(case, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited."})
    phone = phone_normalize(phone)
    if language not in wording.TEMPLATES:
        raise ValidationError({"language": "Choose English or Spanish."})
    if not (reminders or messages):
        raise ValidationError({"reminders": "Choose at least one kind of text the participant "
                                            "agrees to, or record no consent."})
    now = timezone.now()
    old = list(TextConsent.objects.select_for_update().filter(person_id=case.person_id,
                                                              revoked_at__isnull=True))
    for consent in old:
        consent.revoked_at, consent.revoked_by = now, actor
        consent.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(actor=actor, action="text_consent.revoke", obj=consent, site=case.site_id,
                     data={"replaced": True})
    consent = TextConsent(site_id=case.site_id, person_id=case.person_id, phone=phone,
                          language=language, reminders=bool(reminders), messages=bool(messages),
                          given_at=given_at or now, given_by=actor)
    consent.full_clean(exclude=["site", "person", "given_by"])
    consent.save()
    audit_record(actor=actor, action="text_consent.record", obj=consent, site=case.site_id,
                 data={"case": case.pk, "reminders": consent.reminders,
                       "messages": consent.messages, "language": language})
    return consent


@transaction.atomic
def text_consent_revoke(*, case: Case, actor) -> int:
    """The participant withdrew consent: no text goes out after this, queued ones included."""
    _require_writer(case, actor)
    now = timezone.now()
    consents = list(TextConsent.objects.select_for_update().filter(
        person_id=case.person_id, revoked_at__isnull=True))
    for consent in consents:
        consent.revoked_at, consent.revoked_by = now, actor
        consent.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(actor=actor, action="text_consent.revoke", obj=consent, site=case.site_id,
                     data={"case": case.pk})
        _cancel_queued(Q(consent=consent), NotSent.WITHDRAWN)
    return len(consents)


def _cancel_queued(where: Q, why: str) -> int:
    return (TextMessage.objects.filter(where, direction=Direction.OUT,
                                       status=MessageStatus.QUEUED)
            .exclude(kind__in=ANSWER_KINDS)
            .update(status=MessageStatus.CANCELLED, error=why))


# --- appointments ----------------------------------------------------------------------------

@transaction.atomic
def appointment_schedule(*, case: Case, actor, at: datetime,
                         kind: str = AppointmentKind.CASE_MANAGER, service_referral=None,
                         note: str = "") -> Appointment:
    """An appointment the participant is reminded of by text the day before (if they
    consented to reminders)."""
    _require_writer(case, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited."})
    if at is None or timezone.is_naive(at):
        raise ValidationError({"at": "Give the date and time of the appointment."})
    if at <= timezone.now():
        raise ValidationError({"at": "The appointment must be in the future."})
    if kind == AppointmentKind.SERVICE:
        if service_referral is None or service_referral.case_id != case.pk:
            raise ValidationError({"service_referral": "Choose one of this case's service "
                                                       "referrals."})
    else:
        service_referral = None
    appointment = Appointment(site_id=case.site_id, case=case, kind=kind, at=at,
                              service_referral=service_referral, note=note or "",
                              created_by=actor)
    appointment.full_clean(exclude=["site", "case", "created_by", "service_referral"])
    appointment.save()
    audit_record(actor=actor, action="appointment.schedule", obj=appointment,
                 site=case.site_id, data={"case": case.pk, "kind": kind})
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, actor) -> Appointment:
    _require_writer(appointment.case, actor)
    if appointment.cancelled_at is None:
        appointment.cancelled_at = timezone.now()
        appointment.save(update_fields=["cancelled_at", "updated_at"])
        TextMessage.objects.filter(
            case_id=appointment.case_id, status=MessageStatus.QUEUED,
            reminder_key__startswith=f"appointment:{appointment.pk}:",
        ).update(status=MessageStatus.CANCELLED, error=NotSent.APPOINTMENT_CANCELLED)
        audit_record(actor=actor, action="appointment.cancel", obj=appointment,
                     site=appointment.site_id, data={"case": appointment.case_id})
    return appointment


# --- reminders -------------------------------------------------------------------------------

def _consents_for_reminders():
    return TextConsent.objects.filter(revoked_at__isnull=True, stopped_at__isnull=True,
                                      reminders=True)


def _deadline_reminder(deadline: datetime, tz, now: datetime) -> tuple[int, datetime] | None:
    """The reminder due at NOW for a deadline: the latest of 7, 3 and 1 days before the last
    day whose send time has come. A run that starts late sends that one, not the ones missed."""
    last_day = (deadline - timedelta(microseconds=1)).astimezone(tz).date()
    due = [(days, datetime.combine(last_day - timedelta(days=days), REMINDER_AT, tzinfo=tz))
           for days in REMINDER_DAYS]
    due = [(days, at) for days, at in due if at <= now]
    return min(due) if due else None


def reminders_queue(*, now: datetime) -> int:
    """Queue the texts that remind participants of their deadline (7, 3 and 1 days before the
    last day) and of appointments (the day before), each once per case, key and day."""
    in_force = _consents_for_reminders().filter(person_id=OuterRef("person_id"))
    with_consent = Case.objects.filter(Exists(in_force), status__in=OPEN_STATUSES)
    tzs = {}

    def tz_of(site_id):
        if site_id not in tzs:
            tzs[site_id] = Site.objects.get(pk=site_id).tz
        return tzs[site_id]

    # (case id, site id, person id, key, kind, the moment it reminds of)
    due = []
    for case_id, site_id, person_id, deadline in open_deadlines(
            after=now, until=now + timedelta(days=max(REMINDER_DAYS) + 1), cases=with_consent):
        tz = tz_of(site_id)
        found = _deadline_reminder(deadline, tz, now)
        if found is None:
            continue
        last_day = (deadline - timedelta(microseconds=1)).astimezone(tz)
        due.append((case_id, site_id, person_id, f"deadline:{last_day.date()}:{found[0]}",
                    "deadline", last_day))
    appointments = (Appointment.objects.filter(
        cancelled_at__isnull=True, at__gt=now, at__lte=now + timedelta(days=2),
        case__in=with_consent.values("pk"))
        .values_list("pk", "case_id", "site_id", "case__person_id", "at"))
    for pk, case_id, site_id, person_id, at in appointments:
        tz = tz_of(site_id)
        send_at = datetime.combine(at.astimezone(tz).date() - timedelta(days=1), REMINDER_AT,
                                   tzinfo=tz)
        if send_at <= now:
            due.append((case_id, site_id, person_id,
                        f"appointment:{pk}:{at.astimezone(tz):%Y%m%dT%H%M}", "appointment", at))
    if not due:
        return 0
    # Only the consents of the people due a reminder are read (not every consent in force).
    person_ids = sorted({d[2] for d in due})
    consents = {}
    for i in range(0, len(person_ids), 500):
        consents.update((c.person_id, c) for c in _consents_for_reminders().filter(
            person_id__in=person_ids[i:i + 500]))
    wanted = [(case_id, site_id, consents[person_id], key, kind, {"moment": moment})
              for case_id, site_id, person_id, key, kind, moment in due
              if person_id in consents]
    if not wanted:
        return 0
    done = set()
    case_ids = sorted({w[0] for w in wanted})
    for i in range(0, len(case_ids), 500):
        done.update(TextMessage.objects.filter(case_id__in=case_ids[i:i + 500])
                    .exclude(reminder_key="").values_list("case_id", "reminder_key"))
    queued = 0
    for case_id, site_id, consent, key, kind, values in wanted:
        if (case_id, key) in done:
            continue
        date_words, time_words = _date_words(values["moment"], tz_of(site_id), consent.language)
        body = wording.render(kind, consent.language, date=date_words, time=time_words,
                              phone=_help_phone())
        try:
            with transaction.atomic():
                # Under the key's lock, look first: another worker's reminder is found, not
                # inserted twice (a duplicate key logs the phone number: lib/locks.py).
                lock_key("text.reminder", case_id, key)
                if TextMessage.objects.filter(case_id=case_id, reminder_key=key).exists():
                    continue
                message = TextMessage.objects.create(
                    site_id=site_id, case_id=case_id, consent=consent, direction=Direction.OUT,
                    kind=kind, phone=consent.phone, body=body, status=MessageStatus.QUEUED,
                    reminder_key=key, send_after=now)
                audit_record(actor=None, action="text.queue", obj=message, site=site_id,
                             data={"case": case_id, "kind": kind, "key": key})
        except IntegrityError:
            continue  # another worker queued it a moment ago
        queued += 1
    return queued


# --- sending ---------------------------------------------------------------------------------

def _claimable(now: datetime) -> Q:
    return (Q(status=MessageStatus.QUEUED, send_after__lte=now)
            | Q(status=MessageStatus.SENDING, claimed_at__lt=now - SEND_LEASE, provider_id=""))


def texts_send_due(*, now: datetime) -> int:
    """Hand every text whose time has come to the gateway; returns how many went out."""
    provider = provider_get()
    if provider is None:
        return 0
    ids = list(TextMessage.objects.filter(_claimable(now), direction=Direction.OUT)
               .order_by("send_after", "pk").values_list("pk", flat=True))
    return sum(text_send(message_id=pk, now=now, provider=provider) for pk in ids)


def _why_not(message: TextMessage) -> str:
    """Why MESSAGE may not go out now (a NotSent code), or '' when it may."""
    words = wording.forbidden_words(message.body, extra=(message.site.name,))
    if words:
        # Every text, templates and one-off alike, is read once more on its way out.
        return f"{NotSent.FORBIDDEN}:{', '.join(words)}"
    if message.kind in ANSWER_KINDS:
        return ""
    consent = message.consent
    if consent is None or consent.revoked_at is not None:
        return NotSent.WITHDRAWN
    if consent.stopped_at is not None:
        return NotSent.STOPPED
    agreed = consent.messages if message.kind == MessageKind.ONE_OFF else consent.reminders
    return "" if agreed else NotSent.NOT_AGREED


def text_send(*, message_id: int, now: datetime | None = None, provider=None) -> bool:
    """Send one queued text if this worker wins its claim; True if the gateway took it."""
    now = now or timezone.now()
    provider = provider or provider_get()
    if provider is None:
        return False
    message = (TextMessage.objects.select_related("consent", "site")
               .filter(_claimable(now), pk=message_id, direction=Direction.OUT).first())
    if message is None:
        return False
    # Read just now: a STOP that arrived a moment ago is honoured before this text.
    why = _why_not(message)
    if why:
        TextMessage.objects.filter(pk=message.pk, status__in=[
            MessageStatus.QUEUED, MessageStatus.SENDING]).update(
            status=MessageStatus.CANCELLED, error=why[:200])
        if why.startswith(NotSent.FORBIDDEN):
            log.warning("text %s held back: it contains forbidden words", message.pk)
        return False
    if message.kind not in ANSWER_KINDS:
        later = quiet_until(now, message.site.tz)
        if later is not None:
            TextMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
                send_after=later)
            return False
    claimed = TextMessage.objects.filter(_claimable(now), pk=message.pk).update(
        status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False  # another worker has it
    try:
        provider_id = provider.send(Outgoing(message_id=message.pk, to=message.phone,
                                             body=message.body))
    except ProviderError as exc:
        attempts = message.attempts + 1
        log.warning("text %s not taken by the gateway (attempt %s): %s", message.pk, attempts,
                    exc)
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            TextMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.FAILED, failed_at=now, error=str(exc)[:200])
        else:
            TextMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.QUEUED, send_after=now + timedelta(minutes=2 ** attempts))
        return False
    # The receipt may have come first and moved the row on: then only fill what is missing.
    if not TextMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.SENT, sent_at=now, provider_id=provider_id):
        TextMessage.objects.filter(pk=message.pk, provider_id="").update(
            provider_id=provider_id)
    return True


@task()
def text_send_task(*, message_id: int) -> None:
    text_send(message_id=message_id)


def _enqueue(message: TextMessage) -> None:
    transaction.on_commit(lambda: text_send_task.enqueue(message_id=message.pk))


# --- receipts --------------------------------------------------------------------------------

_FAILED_STATES = {"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN", "FAILED"}


def text_receipt_record(*, message_id: int, level: str, status: str, provider_id: str,
                        error: str = "") -> TextMessage | None:
    """A delivery receipt from the gateway: level 1 says whether the carrier took the text,
    level 2 whether the phone got it. Status only moves forward (a late 'sent' never undoes
    'delivered').

    A receipt is taken only for a text that was handed to the gateway and only with the
    gateway's own id for it: the id written down when the gateway took the text, or, while
    the text is still being handed over (a worker killed before it could write the id down),
    the receipt's id becomes the text's. Any other receipt (a queued text never sent, a
    cancelled one, another id) changes nothing and returns None; the endpoint answers it like
    any other, so that the gateway does not retry it."""
    now = timezone.now()
    provider_id = (provider_id or "")[:80]
    if not provider_id:
        return None
    handed = [MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED,
              MessageStatus.FAILED]
    with transaction.atomic():
        message = (TextMessage.objects.select_for_update()
                   .filter(pk=message_id, direction=Direction.OUT, status__in=handed).first())
        if message is None:
            return None
        if message.provider_id != provider_id:
            if message.provider_id or message.status != MessageStatus.SENDING:
                return None
            message.provider_id = provider_id
            message.save(update_fields=["provider_id"])
    qs = TextMessage.objects.filter(pk=message_id, provider_id=provider_id)
    early = [MessageStatus.SENDING]
    if level == "1":
        if status == "ESME_ROK":
            qs.filter(status__in=early).update(status=MessageStatus.SENT, sent_at=now)
        else:
            qs.filter(status__in=[*early, MessageStatus.SENT]).update(
                status=MessageStatus.FAILED, failed_at=now,
                error=f"carrier refused: {status}"[:200])
    elif level == "2":
        if status == "DELIVRD":
            qs.update(status=MessageStatus.DELIVERED, delivered_at=now)
        elif status in _FAILED_STATES:
            qs.exclude(status=MessageStatus.DELIVERED).update(
                status=MessageStatus.FAILED, failed_at=now,
                error=f"not delivered: {status} {error}".strip()[:200])
    return qs.first()


# --- replies ---------------------------------------------------------------------------------

def _keyword(body: str) -> str:
    word = body.strip().strip(".!¡¿?").strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return ""


def _answer(*, consent: TextConsent, kind: str, case_id: int | None) -> TextMessage:
    body = wording.render(kind, consent.language, phone=_help_phone())
    message = TextMessage.objects.create(
        site_id=consent.site_id, case_id=case_id, consent=consent, direction=Direction.OUT,
        kind=kind, phone=consent.phone, body=body, status=MessageStatus.QUEUED,
        send_after=timezone.now())
    _enqueue(message)
    return message


@transaction.atomic
def text_inbound_receive(*, sender: str, body: str, provider_id: str = "") -> TextMessage:
    """A text from a phone. STOP and its synonyms end every text to that number at once
    (confirmed once), START resumes them, HELP is answered with the program's number; any
    other text is a reply for the case manager.

    A reply is placed on a case only when the number belongs to exactly one person with one
    open case. A number shared by several people (or unknown) never guesses: the reply waits
    in the supervisors' list of unplaced replies, and a supervisor places it.
    """
    try:
        phone = phone_normalize(sender if sender.startswith("+") else "+" + sender,
                                sendable=False)
    except ValidationError:
        phone = sender[:20]
    if provider_id:
        existing = TextMessage.objects.filter(direction=Direction.IN,
                                              provider_id=provider_id).first()
        if existing is not None:
            return existing  # the gateway retried a callback we already have
    consents = list(TextConsent.objects.select_for_update().filter(
        phone=phone, revoked_at__isnull=True).order_by("pk"))
    people = {c.person_id for c in consents}
    cases = list(Case.objects.filter(person_id__in=people, status__in=OPEN_STATUSES)
                 .values_list("pk", "site_id", "case_manager_id")) if people else []
    case_id, site_id, manager_id = cases[0] if len(cases) == 1 else (None, None, None)
    if site_id is None:
        site_id = consents[0].site_id if consents else site_default().pk
    keyword = _keyword(body)
    message = TextMessage.objects.create(
        site_id=site_id, case_id=case_id, consent=consents[0] if len(consents) == 1 else None,
        direction=Direction.IN, kind=MessageKind.KEYWORD if keyword else MessageKind.REPLY,
        phone=phone, body=body[:1600], status=MessageStatus.RECEIVED, provider_id=provider_id)
    now = timezone.now()
    if keyword == "stop":
        newly = [c for c in consents if c.stopped_at is None]
        for consent in newly:
            consent.stopped_at = now
            consent.save(update_fields=["stopped_at", "updated_at"])
            audit_record(actor=None, action="text_consent.stop", obj=consent,
                         site=consent.site_id, data={"message": message.pk})
        _cancel_queued(Q(phone=phone), NotSent.STOPPED)
        if newly:
            _answer(consent=newly[0], kind=MessageKind.CONFIRM_STOP, case_id=case_id)
    elif keyword == "start":
        stopped = [c for c in consents if c.stopped_at is not None]
        for consent in stopped:
            consent.stopped_at = None
            consent.save(update_fields=["stopped_at", "updated_at"])
            audit_record(actor=None, action="text_consent.start", obj=consent,
                         site=consent.site_id, data={"message": message.pk})
        if stopped:
            _answer(consent=stopped[0], kind=MessageKind.CONFIRM_START, case_id=case_id)
    elif keyword == "help":
        if consents:
            _answer(consent=consents[0], kind=MessageKind.HELP, case_id=case_id)
    else:
        audit_record(actor=None, action="text.receive", obj=message, site=site_id,
                     data={"case": case_id, "placed": case_id is not None})
        _tell_about_reply(message=message, manager_id=manager_id)
    return message


def _tell_about_reply(*, message: TextMessage, manager_id: int | None) -> None:
    """The inbox note and its email say a reply came and link to it; never a name or words."""
    if message.case_id is not None:
        recipient = User.objects.filter(pk=manager_id, is_active=True).first()
        if recipient is not None:
            notify(recipient=recipient, kind="text.reply",
                   subject=f"Case #{message.case_id}: a reply to a text",
                   body="A participant replied to a text. Open the case's texts to read it.",
                   url=reverse("texts:case", args=[message.case_id]))
        return
    for sup in User.objects.filter(site_id=message.site_id, role=Role.SUPERVISOR,
                                   is_active=True):
        notify(recipient=sup, kind="text.unplaced",
               subject="A text reply to place on a case",
               body="A reply came from a number that is not one participant's alone. "
                    "Place it on the right case.",
               url=reverse("texts:supervisor"))


@transaction.atomic
def text_reply_place(*, message: TextMessage, case: Case, actor) -> TextMessage:
    """A supervisor places an unplaced reply on the case it belongs to: a case of someone
    who consented to texts at that number."""
    if not policy.can(actor, "text.supervise") or actor.site_id != message.site_id:
        raise PermissionDenied("Only a supervisor places replies.")
    message = TextMessage.objects.select_for_update().get(pk=message.pk)
    if message.direction != Direction.IN or message.case_id is not None:
        raise ValidationError({"case": "This reply is already on a case."})
    if case.site_id != message.site_id or not TextConsent.objects.filter(
            person_id=case.person_id, phone=message.phone).exists():
        raise ValidationError({"case": "This case's participant never gave this number."})
    message.case = case
    message.save(update_fields=["case"])
    audit_record(actor=actor, action="text.place", obj=message, site=message.site_id,
                 data={"case": case.pk})
    notify(recipient=case.case_manager, kind="text.reply",
           subject=f"Case #{case.pk}: a reply to a text",
           body="A participant replied to a text. Open the case's texts to read it.",
           url=reverse("texts:case", args=[case.pk]))
    return message


def texts_mark_read(*, case: Case, actor) -> int:
    return TextMessage.objects.filter(case=case, direction=Direction.IN,
                                      read_at__isnull=True).update(read_at=timezone.now(),
                                                                   read_by=actor)


# --- one-off texts ---------------------------------------------------------------------------

@transaction.atomic
def text_one_off_send(*, case: Case, actor, body: str) -> TextMessage:
    """The case manager's own text to the participant, recorded as a contact (kind: text)."""
    _require_writer(case, actor)
    if not case.is_open:
        raise ValidationError({"case": "This case has exited."})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the text."})
    if len(body) > ONE_OFF_MAX:
        raise ValidationError({"body": f"A text is at most {ONE_OFF_MAX} characters "
                                       f"(this one has {len(body)})."})
    _check_words(body, site=case.site)
    consent = TextConsent.objects.filter(person_id=case.person_id,
                                         revoked_at__isnull=True).first()
    if consent is None or not consent.messages:
        raise ValidationError({"body": "The participant has not agreed to texts from you."})
    if consent.stopped_at is not None:
        raise ValidationError({"body": "The participant texted STOP: nothing can be sent until "
                                       "they text START."})
    now = timezone.now()
    message = TextMessage.objects.create(
        site_id=case.site_id, case=case, consent=consent, direction=Direction.OUT,
        kind=MessageKind.ONE_OFF, phone=consent.phone, body=body, status=MessageStatus.QUEUED,
        send_after=now, sent_by=actor)
    audit_record(actor=actor, action="text.queue", obj=message, site=case.site_id,
                 data={"case": case.pk, "kind": MessageKind.ONE_OFF})
    contact_record(case=case, actor=actor, at=now, kind=ContactKind.TEXT,
                   note=f"Text sent: {body}")
    _enqueue(message)
    return message


# --- the supervisors' daily list -------------------------------------------------------------

def texts_failed_notify(*, now: datetime) -> int:
    """Once a day, tell each site's supervisors how many texts failed in the last day (the
    list is on their texts page); nothing when none failed."""
    since = now - timedelta(days=1)
    told = 0
    sites = (TextMessage.objects.filter(status=MessageStatus.FAILED, failed_at__gt=since)
             .values_list("site_id", flat=True).distinct())
    for site_id in sites:
        count = TextMessage.objects.filter(site_id=site_id, status=MessageStatus.FAILED,
                                           failed_at__gt=since).count()
        for sup in User.objects.filter(site_id=site_id, role=Role.SUPERVISOR, is_active=True):
            note = notify(recipient=sup, kind="text.failed",
                          subject=f"{count} text(s) to participants failed in the last day",
                          body="See which on the texts page and reach those participants "
                               "another way.",
                          url=reverse("texts:supervisor"),
                          dedupe_key=f"texts-failed:{now.date().isoformat()}")
            told += note is not None
    return told
