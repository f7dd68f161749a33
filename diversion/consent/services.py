"""Writes: recording and revoking consent, and recording disclosures."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from diversion.accounts.models import Role
from diversion.audit.services import audit_record
from diversion.consent.models import (
    NOTICE_2_32,
    Category,
    Consent,
    ConsentKind,
    ConsentRecipient,
    Disclosure,
)
from diversion.consent.selectors import consents_allowing


@transaction.atomic
def consent_record(*, person, kind: str, categories: list[str],
                   recipients: Iterable[tuple], purpose: str, signed_name: str, actor,
                   expires_at: datetime | None = None, expiry_event: str = "",
                   signed_at: datetime | None = None) -> Consent:
    """Store a signed consent. RECIPIENTS: (agency or None, role) pairs."""
    recipients = list(recipients)
    errors = {}
    bad = [c for c in categories if c not in Category.values]
    if not categories or bad:
        errors["categories"] = "Choose at least one kind of information from the list."
    if not recipients:
        errors["recipients"] = "Name at least one recipient (organisation and role)."
    if kind == ConsentKind.GENERAL and not expires_at and not expiry_event.strip():
        errors["expires_at"] = "A general consent needs an expiry date or an expiry event."
    if expires_at and expires_at <= (signed_at or timezone.now()):
        errors["expires_at"] = "The expiry date must be after the signature."
    if errors:
        raise ValidationError(errors)
    consent = Consent(
        site_id=person.site_id, person=person, kind=kind, categories=sorted(set(categories)),
        purpose=purpose.strip(), expires_at=expires_at, expiry_event=expiry_event.strip(),
        signed_name=signed_name.strip(), signed_at=signed_at or timezone.now(),
        recorded_by=actor,
    )
    consent.full_clean()
    consent.save()
    for agency, role in recipients:
        recipient = ConsentRecipient(consent=consent, agency=agency, role=role)
        recipient.full_clean()
        recipient.save()
    audit_record(actor=actor, action="consent.record", obj=consent, site=person.site_id,
                 data={"person_id": person.pk, "kind": kind, "categories": consent.categories})
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, actor, at: datetime | None = None) -> Consent:
    """The participant withdraws the consent: no disclosure under it from AT on."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.revoked_at is not None:
        raise ValidationError({"consent": "This consent was already revoked."})
    consent.revoked_at = at or timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=actor, action="consent.revoke", obj=consent, site=consent.site_id,
                 data={"person_id": consent.person_id})
    return consent


@transaction.atomic
def consent_end_event(*, consent: Consent, actor, at: datetime) -> Consent:
    """Record that the expiry event happened (for §2.35: the criminal matter ended)."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    consent.event_occurred_at = at
    consent.save(update_fields=["event_occurred_at", "updated_at"])
    audit_record(actor=actor, action="consent.end_event", obj=consent, site=consent.site_id,
                 data={"person_id": consent.person_id})
    return consent


def _disclosure(*, consent, recipient, category, what, at) -> Disclosure:
    if category not in (consent.categories or []):
        raise ValidationError({"category": f"Consent #{consent.pk} does not cover {category}."})
    return Disclosure(
        at=at, site_id=consent.site_id, person_id=consent.person_id, consent=consent,
        recipient=recipient, recipient_label=getattr(recipient, "username", str(recipient))[:200],
        recipient_role=getattr(recipient, "role", ""),
        recipient_agency_id=getattr(recipient, "agency_id", None),
        category=category, what=what[:200], purpose=consent.purpose, notice=NOTICE_2_32,
    )


@transaction.atomic
def disclosure_record(*, consent: Consent, recipient, category: str, what: str,
                      at: datetime | None = None) -> Disclosure:
    """Log one disclosure under CONSENT (ask `consent_allows` first); it carries the notice."""
    disclosure = _disclosure(consent=consent, recipient=recipient, category=category, what=what,
                             at=at or timezone.now())
    disclosure.save()
    audit_record(actor=recipient, action="disclosure.record", obj=disclosure,
                 site=consent.site_id, data={"person_id": consent.person_id,
                                             "consent": consent.pk, "category": category})
    return disclosure


@transaction.atomic
def disclosure_record_many(*, items: Iterable[tuple[Consent, str]], recipient, category: str,
                           at: datetime | None = None) -> list[Disclosure]:
    """Log several disclosures of one page at once: ITEMS are (consent, what) pairs.

    One insert and one audit event, however many rows the page shows.
    """
    at = at or timezone.now()
    rows = [_disclosure(consent=c, recipient=recipient, category=category, what=what, at=at)
            for c, what in items]
    if not rows:
        return []
    created = Disclosure.objects.bulk_create(rows)
    audit_record(actor=recipient, action="disclosure.record", object_type="consent.disclosure",
                 object_id="", site=rows[0].site_id,
                 data={"person_ids": sorted({r.person_id for r in rows}),
                       "category": category, "count": len(rows)})
    return created


def disclose_hold_status(user, holds) -> dict[int, Consent]:
    """For the prosecutor's holds page: log a disclosure for each hold shown under a
    consent that lets this prosecutor's office see hold status ({hold pk: consent}).

    Each hold gets `disclosed_under` (the consent or None) for the template. Holds of
    people with no such consent are not logged: the page marks them as released under the
    §2.35 intake consent only ("no consent for more").
    """

    holds = list(holds)
    for hold in holds:
        hold.disclosed_under = None
    if getattr(user, "role", None) != Role.PROSECUTOR or not holds:
        return {}
    now = timezone.now()
    allowed = consents_allowing(person_ids={h.case.person_id for h in holds},
                                recipient_role=user.role, recipient_org=user.agency_id,
                                category=Category.HOLD_STATUS, at=now)
    items, shown = [], {}
    for hold in holds:
        consent = allowed.get(hold.case.person_id)
        if consent is not None:
            hold.disclosed_under = consent
            shown[hold.pk] = consent
            items.append((consent, f"hold #{hold.pk}: status {hold.status}, dates"))
    if items:
        disclosure_record_many(items=items, recipient=user, category=Category.HOLD_STATUS,
                               at=now)
    return shown
