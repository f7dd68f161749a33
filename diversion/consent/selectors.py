"""Reads with visibility: the one consent check, and the accounting of disclosures."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import Http404

from diversion import policy
from diversion.accounts.models import Role
from diversion.consent.models import Consent, Disclosure
from diversion.people.models import Person

# Who manages consents: the case team of the person's site.

ACCOUNTING_MAX = timedelta(days=3 * 366)


def _candidates(*, person_ids, recipient_role, recipient_org, category):
    agency_id = getattr(recipient_org, "pk", recipient_org)
    consents = (Consent.objects.filter(person_id__in=person_ids,
                                       recipients__role=recipient_role)
                .prefetch_related("recipients").order_by("-signed_at", "-pk").distinct())
    for consent in consents:
        if category not in (consent.categories or []):
            continue
        if any(r.role == recipient_role and (r.agency_id is None or r.agency_id == agency_id)
               for r in consent.recipients.all()):
            yield consent


def consent_allows(*, person, recipient_role: str, recipient_org, category: str,
                   at) -> Consent | None:
    """The consent in force AT that lets RECIPIENT_ROLE at RECIPIENT_ORG receive CATEGORY
    about PERSON, or None. Every disclosure outside the case team asks this first; it reads
    the database each time, so a revocation or expiry takes effect on the next request.
    """
    pid = getattr(person, "pk", person)
    for consent in _candidates(person_ids=[pid], recipient_role=recipient_role,
                               recipient_org=recipient_org, category=category):
        if consent.in_force(at):
            return consent
    return None


def consents_allowing(*, person_ids, recipient_role: str, recipient_org, category: str,
                      at) -> dict[int, Consent]:
    """consent_allows for many people at once (one query): {person_id: consent}."""
    found: dict[int, Consent] = {}
    for consent in _candidates(person_ids=list(person_ids), recipient_role=recipient_role,
                               recipient_org=recipient_org, category=category):
        if consent.person_id not in found and consent.in_force(at):
            found[consent.person_id] = consent
    return found


def get_person_for_consent(user, pk: int) -> Person:
    """The access helper for a person's consents and accounting: their site's supervisors and
    administrators, and the case manager who carries one of the person's cases."""
    if not policy.can(user, "consent.manage"):
        raise Http404("No such person.")
    people = Person.objects.filter(pk=pk, site_id=user.site_id)
    if user.role == Role.CASE_MANAGER:
        # A case manager: only the people of their own caseload (like get_case_for_user).
        # Imported here: cases sits above consent, and this object-level rule is the one
        # import still against the layers here (docs/architecture.md, "What is left").
        from diversion.cases.selectors import cases_visible_to

        people = people.filter(cases__in=cases_visible_to(user=user)).distinct()
    person = people.first()
    if person is None:
        raise Http404("No such person.")
    return person


def disclosure_accounting(*, person, start, end):
    """Every disclosure of PERSON's information from START to END (at most 3 years, §2.25)."""
    if end <= start:
        raise ValidationError({"to": "The end of the window must be after its start."})
    if end - start > ACCOUNTING_MAX:
        raise ValidationError({"from": "An accounting covers at most 3 years."})
    return (Disclosure.objects.filter(person=person, at__gte=start, at__lt=end)
            .select_related("recipient_agency").order_by("at", "id"))
