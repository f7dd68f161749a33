"""Duplicate records: flag, merge, undo, dismiss.

A pair that looks like one human is flagged; only a reviewer's action merges it, and a merge
records what it moved so that undoing it restores exactly the previous pointers.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from diversion import policy
from diversion.audit.services import audit_record
from diversion.people.duplicates import duplicate_candidates
from diversion.people.models import Person, PersonLink


def _require_reviewer(actor, site_id) -> None:
    if actor is None or not policy.can(actor, "person.review_duplicates") \
            or actor.site_id != site_id:
        raise PermissionDenied("Only a supervisor reviews duplicate records.")


@transaction.atomic
def person_links_flag(*, site, actor=None) -> list[PersonLink]:
    """Flag every new candidate pair of SITE for review. A pair already flagged, dismissed,
    merged or undone is not flagged again. Returns the new flags."""
    known = set(PersonLink.objects.filter(site=site).values_list("first_id", "second_id"))
    created = []
    for c in duplicate_candidates(site=site):
        if (c.first_id, c.second_id) in known:
            continue
        link = PersonLink(site=site, first_id=c.first_id, second_id=c.second_id,
                          reason=c.reason)
        link.full_clean()
        link.save()
        created.append(link)
    if created:
        audit_record(actor=actor, action="person.duplicates_flag", site=site,
                     object_type="people.personlink", object_id="",
                     data={"links": [link.pk for link in created]})
    return created


def _pointing_at_person(relation: str):
    """The model of another app whose rows point at a person (the reverse relation RELATION of
    Person), found through the relation rather than imported: referrals and cases sit above
    people (docs/architecture.md)."""
    return Person._meta.get_field(relation).related_model


def _lock_link(link: PersonLink, version: int | None) -> PersonLink:
    locked = PersonLink.objects.select_for_update().get(pk=link.pk)
    if version is not None and locked.version != version:
        raise ValidationError({"link": "Someone acted on this pair since you opened it; "
                                       "reload the page."})
    return locked


@transaction.atomic
def person_merge(*, link: PersonLink, survivor: Person, actor,
                 version: int | None = None) -> PersonLink:
    """Confirm that the pair is one human: re-point the duplicate's referrals and cases to
    SURVIVOR and mark the duplicate merged into it. Records exactly what moved."""
    Case, Referral = _pointing_at_person("cases"), _pointing_at_person("referrals")
    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status not in (PersonLink.Status.FLAGGED, PersonLink.Status.UNDONE):
        raise ValidationError({"link": f"This pair is {locked.get_status_display().lower()}."})
    if survivor.pk not in (locked.first_id, locked.second_id):
        raise ValidationError({"survivor": "Choose one of the two records to keep."})
    duplicate_id = locked.second_id if survivor.pk == locked.first_id else locked.first_id
    people = {p.pk: p for p in Person.objects.select_for_update().filter(
        pk__in=[locked.first_id, locked.second_id])}
    if any(p.merged_into_id for p in people.values()):
        raise ValidationError({"link": "One of these records is already merged into another; "
                                       "undo that merge first."})
    referrals = sorted(Referral.objects.filter(person_id=duplicate_id)
                       .values_list("pk", flat=True))
    cases = sorted(Case.objects.filter(person_id=duplicate_id).values_list("pk", flat=True))
    Referral.objects.filter(pk__in=referrals).update(person_id=survivor.pk)
    Case.objects.filter(pk__in=cases).update(person_id=survivor.pk)
    duplicate = people[duplicate_id]
    duplicate.merged_into_id = survivor.pk
    duplicate.version += 1
    duplicate.save(update_fields=["merged_into", "version", "updated_at"])
    locked.status = PersonLink.Status.MERGED
    locked.survivor_id = survivor.pk
    locked.moved = {"referrals": referrals, "cases": cases}
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, action="person.merge", obj=locked, site=locked.site_id,
                 data={"survivor": survivor.pk, "duplicate": duplicate_id,
                       "referrals": referrals, "cases": cases})
    return locked


@transaction.atomic
def person_merge_undo(*, link: PersonLink, actor, version: int | None = None) -> PersonLink:
    """Undo a merge: the referrals and cases it moved point at the duplicate again, and the
    duplicate is no longer marked merged. Records the merge created later stay where they are.
    """
    Case, Referral = _pointing_at_person("cases"), _pointing_at_person("referrals")
    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status != PersonLink.Status.MERGED:
        raise ValidationError({"link": "Only a merged pair can be undone."})
    duplicate_id = locked.second_id if locked.survivor_id == locked.first_id \
        else locked.first_id
    moved = locked.moved or {}
    Referral.objects.filter(pk__in=moved.get("referrals", []),
                            person_id=locked.survivor_id).update(person_id=duplicate_id)
    Case.objects.filter(pk__in=moved.get("cases", []),
                        person_id=locked.survivor_id).update(person_id=duplicate_id)
    duplicate = Person.objects.select_for_update().get(pk=duplicate_id)
    duplicate.merged_into = None
    duplicate.version += 1
    duplicate.save(update_fields=["merged_into", "version", "updated_at"])
    locked.status = PersonLink.Status.UNDONE
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(actor=actor, action="person.merge_undo", obj=locked, site=locked.site_id,
                 data={"survivor": locked.survivor_id, "duplicate": duplicate_id,
                       "referrals": moved.get("referrals", []),
                       "cases": moved.get("cases", [])})
    return locked


@transaction.atomic
def person_link_dismiss(*, link: PersonLink, actor, version: int | None = None) -> PersonLink:
    """The reviewer says the pair are two different people; it is not flagged again."""
    locked = _lock_link(link, version)
    _require_reviewer(actor, locked.site_id)
    if locked.status not in (PersonLink.Status.FLAGGED, PersonLink.Status.UNDONE):
        raise ValidationError({"link": f"This pair is {locked.get_status_display().lower()}."})
    locked.status = PersonLink.Status.DISMISSED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(actor=actor, action="person.link_dismiss", obj=locked, site=locked.site_id)
    return locked
