"""The prosecution hold: the prosecutor's decision, reminders before the deadline, and the
resolution at the deadline (each hold exactly once)."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from diversion import policy
from diversion.audit.services import audit_record
from diversion.cases.models import (
    Case,
    HoldDecision,
    HoldStatus,
    ProsecutionHold,
)
from diversion.cases.services.common import _case_url, _lock_case, _prosecutors, _supervisors
from diversion.lib.display import deadline as deadline_words
from diversion.notifications.models import Notification
from diversion.notifications.services import notify
from diversion.policy import holds as hold_rules

REMINDER_DAYS = (7, 3, 1)


def _hold_resolve(*, hold: ProsecutionHold, case: Case, to: str, by: str, actor) -> None:
    """End a held hold (the caller holds the locks on the case and the hold)."""
    hold.status = to
    hold.resolved_at = timezone.now()
    hold.resolved_by = by
    hold.full_clean()
    hold.save()
    audit_record(actor=actor, action="hold.resolve", obj=hold, site=case.site_id,
                 data={"case": case.pk, "status": to, "by": by})
    outcome = (_("prosecution declined: the assessment was completed in time")
               if to == HoldStatus.DECLINED else
               _("referred for prosecution: the assessment was not completed in time"))
    params = {"hold": hold.pk, "case": case.pk, "outcome": outcome,
              "status": HoldStatus(to).label}
    for da in _prosecutors(case.site_id):
        notify(recipient=da, kind="hold.resolved", subject=_("Hold #%(hold)s: %(outcome)s"),
               body=_("A prosecution hold has ended. Open the holds list for the arrest date, "
                      "due date and outcome."), params=params,
               url=reverse("cases:holds"), dedupe_key=f"hold-resolved:{hold.pk}")
    notify(recipient=case.case_manager, kind="hold.resolved",
           subject=_("Case #%(case)s: hold ended, %(status)s"),
           body=_("The prosecution hold ended: %(outcome)s."), params=params,
           url=_case_url(case.pk), dedupe_key=f"hold-resolved:{hold.pk}")


def hold_resolve_due(*, hold_id: int, now: datetime) -> str | None:
    """Resolve one hold whose deadline has passed, in its own transaction. Returns the new
    status, or None if it was not due, already resolved, or being handled by another
    process (PostgreSQL: SKIP LOCKED; SQLite: the IMMEDIATE transaction serialises)."""
    with transaction.atomic():
        lock = Case.objects.select_for_update(of=("self",), skip_locked=True)
        if connection.vendor != "postgresql":
            lock = Case.objects.all()
        case = (lock.select_related("site", "case_manager")
                .filter(hold__pk=hold_id, hold__status=HoldStatus.HELD, hold__due_at__lte=now)
                .first())
        if case is None:
            return None
        hold = ProsecutionHold.objects.select_for_update().get(pk=hold_id)
        if hold.status != HoldStatus.HELD or hold.due_at > now:
            return None
        done = case.assessment_completed_at
        to = HoldStatus.DECLINED if done is not None and done < hold.due_at \
            else HoldStatus.REFERRED
        _hold_resolve(hold=hold, case=case, to=to, by="tick", actor=None)
        return to


def holds_resolve_due(*, now: datetime) -> int:
    ids = list(ProsecutionHold.objects.filter(status=HoldStatus.HELD, due_at__lte=now)
               .order_by("due_at", "pk").values_list("pk", flat=True))
    return sum(1 for pk in ids if hold_resolve_due(hold_id=pk, now=now) is not None)


def _reminder_days(left: timedelta) -> int:
    return min(d for d in REMINDER_DAYS if left <= timedelta(days=d))


def hold_reminders_send(*, now: datetime) -> int:
    """Remind the case manager and the supervisors 7, 3 and 1 days before a hold's deadline.
    Each reminder has a dedupe key, so it is sent once however often tick runs; a run that
    starts late sends only the most urgent reminder due, not the ones it missed."""
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    holds = (ProsecutionHold.objects.filter(status=HoldStatus.HELD, due_at__gt=now,
                                            due_at__lte=horizon)
             .select_related("case", "case__case_manager", "case__site")
             .filter(case__assessment_completed_at__isnull=True))
    sups_by_site: dict[int, list] = {}
    sent = 0
    holds = list(holds)
    # The reminders already sent, read at once: a run every minute then costs one query
    # instead of one refused insert per hold and recipient.
    keys = [f"hold-reminder:{h.pk}:{_reminder_days(h.due_at - now)}d" for h in holds]
    done = set()
    for i in range(0, len(keys), 2000):
        done.update(Notification.objects.filter(dedupe_key__in=keys[i:i + 2000])
                    .values_list("recipient_id", "dedupe_key"))
    for start in range(0, len(holds), 200):
        # One transaction per 200 holds: a commit each, not one per reminder.
        with transaction.atomic():
            sent += _hold_reminders_batch(holds[start:start + 200], keys[start:start + 200],
                                          done, sups_by_site)
    return sent


def _hold_reminders_batch(holds, keys, done, sups_by_site) -> int:
    sent = 0
    for hold, key in zip(holds, keys, strict=True):
        days = int(key.rsplit(":", 1)[1][:-1])
        case = hold.case
        if case.site_id not in sups_by_site:
            sups_by_site[case.site_id] = list(_supervisors(case.site_id))
        due = hold.due_at.astimezone(case.site.tz)
        for user in [case.case_manager, *sups_by_site[case.site_id]]:
            if (user.pk, key) in done:
                continue
            note = notify(
                recipient=user, kind="hold.reminder",
                subject=ngettext_lazy(
                    "Case #%(case)s: psychosocial assessment due in %(days)s day",
                    "Case #%(case)s: psychosocial assessment due in %(days)s days", days),
                body=_("Complete the psychosocial assessment %(deadline)s: the prosecution "
                       "hold ends then, and the case is referred for prosecution."),
                params={"case": case.pk, "days": days,
                        "deadline": lambda due=due: deadline_words(due)},
                url=_case_url(case.pk), dedupe_key=key,
            )
            sent += note is not None
    return sent


@transaction.atomic
def hold_da_decide(*, hold: ProsecutionHold, actor, to_status: str, reason: str) -> HoldDecision:
    """The prosecutor's recorded decision: the only way a `referred` hold changes (e.g. to
    `declined` after a late assessment), and a way to decline early."""
    case = _lock_case(hold.case_id)
    hold = ProsecutionHold.objects.select_for_update().get(pk=hold.pk)
    if actor is None or not policy.can(actor, "hold.decide") or actor.site_id != case.site_id:
        raise PermissionDenied("Only a prosecutor of this site records a decision on a hold.")
    if to_status not in (HoldStatus.DECLINED, HoldStatus.REFERRED):
        raise ValidationError({"to_status": "Choose declined or referred."})
    now = timezone.now()
    hold.case = case
    # The program's rule decides what may be recorded, and when (diversion.policy.holds).
    if to_status not in hold_rules.may_record(hold=hold, role=actor.role, now=now):
        raise ValidationError({"to_status": hold_rules.why_not(
            hold=hold, role=actor.role, to_status=to_status, now=now)})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for the decision."})
    decision = HoldDecision(hold=hold, decided_by=actor, decided_at=now, from_status=hold.status,
                            to_status=to_status, reason=reason.strip())
    decision.full_clean()
    decision.save()
    old = hold.status
    hold.status = to_status
    hold.resolved_at = hold.resolved_at or now
    hold.resolved_by = "da"
    hold.save()
    audit_record(actor=actor, action="hold.decide", obj=hold, site=case.site_id,
                 data={"case": case.pk, "from": old, "to": to_status, "decision": decision.pk})
    notify(recipient=case.case_manager, kind="hold.decided",
           subject=_("Case #%(case)s: the prosecutor recorded a decision (%(status)s)"),
           body=_("The prosecutor recorded a decision on the prosecution hold."),
           params={"case": case.pk, "status": HoldStatus(to_status).label},
           url=_case_url(case.pk))
    return decision
