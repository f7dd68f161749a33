import contextlib
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diversion import eligibility
from diversion.audit.services import audit_record
from diversion.cases.services.lifecycle import case_open
from diversion.lib.locks import lock_key
from diversion.lib.models import full_clean_held
from diversion.lib.names import name_key
from diversion.people.models import Person
from diversion.people.services import person_create
from diversion.policy.people import match_allowance
from diversion.referrals.models import Decision, Referral
from diversion.referrals.selectors import decision_current, person_record_facts


@dataclass(frozen=True)
class PersonInput:
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str = Person.Sex.UNKNOWN
    race: str = Person.Race.UNKNOWN
    ethnicity: str = Person.Ethnicity.UNKNOWN


def _invalid(exc: eligibility.InvalidInput, prefix: str = "") -> ValidationError:
    field = f"{prefix}{exc.field}" if exc.field else (prefix.rstrip(".") or "input")
    return ValidationError({field: exc.message})


def rule_set_for(*, site, occurred_at, rule_set_id: str | None = None):
    registry = eligibility.Registry.default()
    try:
        if rule_set_id or site.pinned_rule_set:
            return registry.get(rule_set_id or site.pinned_rule_set)
        return registry.in_force(occurred_at, site=site.rule_set_site)
    except eligibility.InvalidInput as exc:
        raise _invalid(exc)


def screening_run(*, site, data, rule_set_id: str | None = None):
    """Screen one referral or a list of them without storing anything (the screening contract)."""
    try:
        if isinstance(data, list):
            return eligibility.screen_many(data, rule_set=rule_set_id or site.pinned_rule_set
                                           or None, site=site.rule_set_site)
        return eligibility.screen(data, rule_set=rule_set_id or site.pinned_rule_set or None,
                                  site=site.rule_set_site)
    except eligibility.InvalidInput as exc:
        raise _invalid(exc)


# What the records hold of a person created a moment ago: nothing.
_NO_RECORDS = {"lead_status": "never", "no_contact_order_with_participant": False,
               "last_failed_deflection_on": "none"}


def _latest_failure(typed, recorded: str):
    """The later of the typed and the recorded failure dates: the records beat "none" and
    null; a later date typed (a failure the records cannot know of) stands."""
    if recorded == "none":
        return "none" if typed in (None, "none") else typed
    if typed in (None, "none") or not isinstance(typed, str) or typed < recorded:
        return recorded
    return typed


def _screen_with_records(*, site, data: dict, person: Person | None, rule_set_id,
                         new_person: bool = False):
    """Facts the program's own records hold beat what was typed: a current participant or a
    no-contact order on record is never missed because the officer did not know of it."""
    facts = dict(data)
    if person is not None and person.pk:
        if new_person:
            records = _NO_RECORDS
        else:
            stop_day = None
            if facts.get("pathway") == "deflection":
                # a failure after the stop's local date is no part of its history
                with contextlib.suppress(eligibility.InvalidInput):
                    stop_day = eligibility.validate(facts).occurred_at.astimezone(site.tz).date()
            records = person_record_facts(person=person, on_or_before=stop_day)
        rank = {"never": 0, "former": 1, "current": 2}
        typed = facts.get("lead_status")
        if typed not in rank or rank[records["lead_status"]] > rank[typed]:
            facts["lead_status"] = records["lead_status"]
        if records["no_contact_order_with_participant"]:
            facts["no_contact_order_with_participant"] = True
        if facts.get("pathway") == "deflection":
            facts["last_failed_deflection_on"] = _latest_failure(
                facts.get("last_failed_deflection_on"), records["last_failed_deflection_on"])
    try:
        occurred_at = eligibility.validate(facts).occurred_at
        rule_set = rule_set_for(site=site, occurred_at=occurred_at, rule_set_id=rule_set_id)
        output = eligibility.screen(facts, rule_set=rule_set.id)
    except eligibility.InvalidInput as exc:
        raise _invalid(exc)
    return facts, output, rule_set, occurred_at


def _resolve_person(*, site, person_id: int | None, person_input: PersonInput | None,
                    actor) -> tuple[Person, bool]:
    """The person referred, and whether they were created just now (and so have no records)."""
    if person_id is not None:
        try:
            person = Person.objects.get(site=site, pk=person_id)
        except Person.DoesNotExist:
            raise ValidationError({"person.id": "No such person at this site."})
        # A merged duplicate stands for the record it was merged into.
        while person.merged_into_id is not None:
            person = Person.objects.get(pk=person.merged_into_id)
        return person, False
    if person_input is None:
        raise ValidationError({"person": "Give the person's name and date of birth."})
    if person_input.date_of_birth is not None:
        # The same name and date of birth, once only, is the same person; anything looser
        # is for the officer to confirm on the form (person_find_matches), never assumed.
        exact = list(Person.objects.filter(
            site=site, date_of_birth=person_input.date_of_birth, merged_into__isnull=True,
            name_key=name_key(person_input.given_name, person_input.family_name))[:2])
        if len(exact) == 1:
            return exact[0], False
    return person_create(site=site, given_name=person_input.given_name,
                         family_name=person_input.family_name,
                         date_of_birth=person_input.date_of_birth, sex=person_input.sex,
                         race=person_input.race, ethnicity=person_input.ethnicity,
                         actor=actor), True


def referral_submit(*, site, officer, data: dict, person_input: PersonInput | None = None,
                    person_id: int | None = None, accepted: bool | None = None,
                    idempotency_key: str | None = None, rule_set_id: str | None = None,
                    ip: str | None = None, looked_up: bool = False) -> Referral:
    """Store a referral and its decision; if the person accepts an eligible referral, open the
    case. With an idempotency key, a retried submission returns the first referral unchanged.

    A person given by name and date of birth is matched here, and the decision then says
    whether they are known: that is a look-up of a known person, counted against the same
    limit as the referral form's look-up (diversion.policy.people; TooManyLookups past it),
    unless the caller's form already ran and counted the look-up (LOOKED_UP).
    """
    if (person_id is None and person_input is not None and not looked_up
            and person_input.date_of_birth is not None and isinstance(data, dict)):
        try:
            eligibility.validate(data)  # malformed facts are refused before any look-up
        except eligibility.InvalidInput as exc:
            raise _invalid(exc)
        match_allowance(user=officer, ip=ip, surface="referral")
        audit_record(actor=officer, action="person.match", site=site, ip=ip,
                     data={"surface": "referral"})
    # The key is unique per site: a retry fails on the insert, rolls back whatever it wrote,
    # and answers with the first referral. (The views look the key up first, so a retry
    # rarely gets this far; the constraint is what makes it safe when two race.)
    try:
        return _referral_submit(site=site, officer=officer, data=data, person_input=person_input,
                                person_id=person_id, accepted=accepted,
                                idempotency_key=idempotency_key, rule_set_id=rule_set_id, ip=ip)
    except IntegrityError:
        if idempotency_key:
            existing = Referral.objects.filter(site=site, idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_submitter(existing, officer)
        raise


def _same_submitter(referral: Referral, officer) -> Referral:
    """A retried submission is the same officer's: a key reused by anyone else is refused
    rather than answered with another officer's referral."""
    if referral.officer_id != getattr(officer, "pk", None):
        raise ValidationError({"idempotency_key": "This submission key was already used by "
                                                  "another referral; send a new one."})
    return referral


@transaction.atomic
def _referral_submit(*, site, officer, data, person_input, person_id, accepted,
                     idempotency_key, rule_set_id, ip) -> Referral:
    if not isinstance(data, dict):
        raise ValidationError({"input": "A referral is a JSON object."})
    if idempotency_key:
        # A retry racing its first: the second waits for the first, then answers with its
        # referral. No duplicate key reaches PostgreSQL (whose log would keep the INSERT).
        lock_key("referral", site.pk, idempotency_key)
        earlier = Referral.objects.filter(site=site, idempotency_key=idempotency_key).first()
        if earlier is not None:
            earlier = _same_submitter(earlier, officer)
            earlier.retried = True
            return earlier
    # Validate the facts before anything is written, so a bad field changes nothing.
    try:
        eligibility.validate(data)
    except eligibility.InvalidInput as exc:
        raise _invalid(exc)
    person, created = _resolve_person(site=site, person_id=person_id,
                                      person_input=person_input, actor=officer)
    facts, output, rule_set, occurred_at = _screen_with_records(
        site=site, data=data, person=person, rule_set_id=rule_set_id, new_person=created)
    location = facts.get("location") or {}
    referral = Referral(
        site=site, person=person, officer=officer, agency=getattr(officer, "agency", None),
        pathway=facts["pathway"], occurred_at=occurred_at,
        lat=location.get("lat"), lon=location.get("lon"),
        area=output.get("area") or location.get("area") or "",
        screening_input=facts, idempotency_key=idempotency_key or None,
    )
    full_clean_held(referral, exclude=["idempotency_key"])
    referral.save()
    decision = Decision.objects.create(
        referral=referral, made_by=officer, verdict=output["decision"],
        rule_set_id=output["rule_set"]["id"], rule_set_version=str(output["rule_set"]["version"]),
        output=output, screening_input=facts,
    )
    audit_record(actor=officer, action="referral.submit", obj=referral, site=site, ip=ip,
                 data={"pathway": referral.pathway, "decision": decision.verdict,
                       "rule_set": decision.rule_set_id, "failed": output["failed"],
                       "unknown": output["unknown"]})
    # What the caller shows next, so it need not read back what was just written.
    referral.latest_decision = decision
    referral.case_pk = None
    if accepted is not None:
        _record_choice(referral=referral, decision=decision, accepted=accepted, actor=officer,
                       rule_set=rule_set, ip=ip)
    return referral


def _record_choice(*, referral, decision, accepted: bool, actor, rule_set, ip=None):
    if referral.accepted is not None:
        raise ValidationError({"accepted": "The person's choice is already recorded."})
    if accepted and decision.verdict != Decision.Verdict.ELIGIBLE:
        raise ValidationError({"accepted": "Only an eligible referral can be accepted; this one "
                                           f"is {decision.get_verdict_display().lower()}."})
    now = timezone.now()
    referral.accepted = accepted
    referral.choice_recorded_at = now
    referral.save(update_fields=["accepted", "choice_recorded_at", "updated_at"])
    audit_record(actor=actor, action="referral.accept" if accepted else "referral.decline",
                 obj=referral, site=referral.site, ip=ip)
    if accepted:
        referral.case_pk = case_open(referral=referral, actor=actor, at=now,
                                     rule_set=rule_set).pk


@transaction.atomic
def referral_record_choice(*, referral: Referral, accepted: bool, actor, ip=None) -> Referral:
    """Record whether the person accepts the program, once. Acceptance opens the case."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    decision = decision_current(referral)
    if decision is None:  # a referral loaded without its screening (an import, a fixture)
        raise ValidationError({"accepted": "This referral has no eligibility decision: there "
                                           "is nothing to accept or decline."})
    rule_set = rule_set_for(site=referral.site, occurred_at=referral.occurred_at,
                            rule_set_id=decision.rule_set_id)
    _record_choice(referral=referral, decision=decision, accepted=accepted, actor=actor,
                   rule_set=rule_set, ip=ip)
    return referral


@transaction.atomic
def decision_remake(*, referral: Referral, updates: dict, reason: str, actor) -> Decision:
    """A new decision on new facts (an Operations Team review, a warrant check come back),
    stored beside the old one, never over it. The rule set stays the one first used."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    previous = decision_current(referral)
    facts = {**referral.screening_input, **updates}
    facts, output, _, _ = _screen_with_records(site=referral.site, data=facts,
                                            person=referral.person,
                                            rule_set_id=previous.rule_set_id)
    decision = Decision.objects.create(
        referral=referral, made_by=actor, verdict=output["decision"],
        rule_set_id=output["rule_set"]["id"], rule_set_version=str(output["rule_set"]["version"]),
        output=output, screening_input=facts, supersedes=previous, reason=reason,
    )
    referral.screening_input = facts
    referral.save(update_fields=["screening_input", "updated_at"])
    audit_record(actor=actor, action="decision.remake", obj=referral, site=referral.site,
                 data={"decision": decision.verdict, "supersedes": previous.pk,
                       "changed": sorted(updates)})
    return decision
