from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from diversion.audit.services import audit_record
from diversion.lib.dates import local_date
from diversion.notifications.services import notify
from diversion.resources import hsds
from diversion.resources.models import (
    Address,
    Location,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    ServiceReferral,
    ServiceReferralStatus,
    TaxonomyTerm,
)

# --- HSDS import and export ---------------------------------------------------------------

# table -> (model, {hsds field: model FK attribute}) in the order rows must be stored.
_MODELS = {
    "organization": (Organization, {}),
    "taxonomy_term": (TaxonomyTerm, {}),
    "service": (Service, {"organization_id": ("organization", "organization")}),
    "attribute": (ServiceAttribute, {"link_id": ("service", "service"),
                                     "taxonomy_term_id": ("taxonomy_term", "taxonomy_term")}),
    "location": (Location, {"organization_id": ("organization", "organization")}),
    "service_at_location": (ServiceAtLocation, {"service_id": ("service", "service"),
                                                "location_id": ("location", "location")}),
    "address": (Address, {"location_id": ("location", "location")}),
    "phone": (Phone, {"organization_id": ("organization", "organization"),
                      "service_id": ("service", "service"),
                      "location_id": ("location", "location"),
                      "service_at_location_id": ("service_at_location",
                                                 "service_at_location")}),
}
# HSDS fields that must be present (beyond the id and the references checked below).
_REQUIRED = {
    "organization": ["name"], "taxonomy_term": ["name"],
    "service": ["name", "organization_id"], "attribute": ["link_id", "taxonomy_term_id"],
    "service_at_location": ["service_id", "location_id"],
    "address": ["location_id", "address_1", "city"], "phone": ["number"],
}
# Columns in the HSDS file that are not model fields.
_NOT_STORED = {"attribute": {"link_type", "link_entity", "value", "label"}}


@dataclass(frozen=True)
class ImportResult:
    created: dict[str, int]
    updated: dict[str, int]


def _number(row: hsds.Row, field: str, low: float, high: float, errors) -> float | None:
    raw = row.values.get(field)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        errors.append(row.error(field, "must be a number"))
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append(row.error(field, f"{raw!r} is not a number"))
        return None
    if not low <= value <= high:
        errors.append(row.error(field, f"must be between {low:g} and {high:g}"))
        return None
    return value


def _validate(bundle: dict[str, list[hsds.Row]], *, site) -> list[hsds.HsdsError]:
    """Every problem in the bundle, found before anything is stored."""
    errors: list[hsds.HsdsError] = []
    known: dict[str, set[str]] = {}
    for table, (model, _) in _MODELS.items():
        ids = set(model.objects.filter(site=site).values_list("hsds_id", flat=True))
        seen: set[str] = set()
        for row in bundle[table]:
            rid = row.values.get("id") or ""
            if not rid:
                errors.append(row.error("id", "is required"))
            elif rid in seen:
                errors.append(row.error("id", f"{rid!r} is used by another row of this table"))
            seen.add(rid)
        known[table] = ids | seen
    for table, (model, refs) in _MODELS.items():
        not_stored = _NOT_STORED.get(table, set())
        for row in bundle[table]:
            v = row.values
            for field in _REQUIRED.get(table, []):
                if not v.get(field):
                    errors.append(row.error(field, "is required"))
            for field, (target, _) in refs.items():
                if v.get(field) and v[field] not in known[target]:
                    errors.append(row.error(field, f"no {target} with id {v[field]!r}"))
            if table == "phone" and not any(v.get(f) for f in refs):
                errors.append(row.error("service_id", "a phone must belong to an organization, "
                                        "service, location or service at location"))
            if table == "attribute" and v.get("link_entity") not in ("", "service"):
                errors.append(row.error("link_entity", "only service attributes are kept"))
            if table == "location":
                v["latitude"] = _number(row, "latitude", -90, 90, errors)
                v["longitude"] = _number(row, "longitude", -180, 180, errors)
            fields = {f: v[f] for f in hsds.TABLES[table][1]
                      if f != "id" and f not in refs and f not in not_stored}
            instance = model(site=site, hsds_id=v.get("id") or "x", **fields)
            try:
                instance.full_clean(exclude=["site", *{a for _, a in refs.values()}],
                                    validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    if field in ("latitude", "longitude"):
                        continue  # already reported with the file's own wording
                    name = "id" if field == "hsds_id" else field
                    errors.append(row.error(name, " ".join(messages)))
    # One message per field of a row: "is required" beats the model's "cannot be blank".
    unique: dict[tuple, hsds.HsdsError] = {}
    for error in errors:
        unique.setdefault((error.file, error.line, error.field), error)
    return list(unique.values())


@transaction.atomic
def hsds_import(*, site, path: Path, actor) -> ImportResult:
    """Import an HSDS directory (CSV directory or .zip, or JSON) into SITE's directory.

    Rows are matched on their HSDS id: an existing row is updated, a new one created; nothing
    is deleted. Any bad row raises `hsds.HsdsInvalid` listing every problem (file, line,
    field) and stores nothing.
    """
    bundle = hsds.read(Path(path))
    errors = _validate(bundle, site=site)
    if errors:
        raise hsds.HsdsInvalid(errors)
    created = dict.fromkeys(_MODELS, 0)
    updated = dict.fromkeys(_MODELS, 0)
    stored: dict[str, dict[str, object]] = {}
    for table, (model, refs) in _MODELS.items():
        ids = {r.values["id"] for r in bundle[table]}
        # Targets of references: rows of this import plus rows already in the directory.
        for target, _ in refs.values():
            if target not in stored:
                stored[target] = {}
        existing = {o.hsds_id: o for o in model.objects.filter(site=site, hsds_id__in=ids)}
        stored.setdefault(table, {})
        not_stored = _NOT_STORED.get(table, set())
        for row in bundle[table]:
            v = row.values
            obj = existing.get(v["id"]) or model(site=site, hsds_id=v["id"])
            is_new = obj.pk is None
            for f in hsds.TABLES[table][1]:
                if f == "id" or f in refs or f in not_stored:
                    continue
                setattr(obj, f, v[f])
            for field, (target, attr) in refs.items():
                ref = v.get(field)
                if not ref:
                    setattr(obj, attr, None)
                    continue
                target_obj = stored[target].get(ref)
                if target_obj is None:
                    target_obj = _MODELS[target][0].objects.get(site=site, hsds_id=ref)
                    stored[target][ref] = target_obj
                setattr(obj, attr, target_obj)
            obj.full_clean(validate_unique=False)
            obj.save()
            stored[table][v["id"]] = obj
            (created if is_new else updated)[table] += 1
    audit_record(actor=actor, action="resources.import", site=site,
                 object_type="resources.directory", object_id=site.pk,
                 data={"created": created, "updated": updated})
    return ImportResult(created=created, updated=updated)


def hsds_bundle(*, site) -> dict[str, list[dict]]:
    """SITE's directory as HSDS rows (the shape `hsds.write` takes)."""
    bundle: dict[str, list[dict]] = {t: [] for t in hsds.TABLES}
    fk_cols = {"organization_id": "organization__hsds_id", "service_id": "service__hsds_id",
               "location_id": "location__hsds_id", "link_id": "service__hsds_id",
               "taxonomy_term_id": "taxonomy_term__hsds_id",
               "service_at_location_id": "service_at_location__hsds_id"}
    for table, (model, refs) in _MODELS.items():
        fields = hsds.TABLES[table][1]
        not_stored = _NOT_STORED.get(table, set())
        columns = {"id": "hsds_id"}
        for f in fields:
            if f in refs:
                columns[f] = fk_cols[f]
            elif f != "id" and f not in not_stored:
                columns[f] = f
        for values in model.objects.filter(site=site).values(*columns.values()):
            row = {f: values[col] for f, col in columns.items()}
            for f in fields:
                if f in refs or f in not_stored:
                    row[f] = row.get(f) or ""
            if table == "attribute":
                row.update(link_type=hsds.ATTRIBUTE_LINK_TYPE, link_entity="service")
            bundle[table].append(row)
    return bundle


def hsds_export(*, site, path: Path, actor) -> list[Path]:
    """Write SITE's directory to PATH (a .json file, a .zip, or a directory of CSV files)."""
    written = hsds.write(hsds_bundle(site=site), Path(path))
    audit_record(actor=actor, action="resources.export", site=site,
                 object_type="resources.directory", object_id=site.pk,
                 data={"format": "json" if str(path).endswith(".json") else "csv"})
    return written


# --- Service referrals --------------------------------------------------------------------

def _follow_up_days() -> int:
    return int(getattr(settings, "SERVICE_REFERRAL_FOLLOW_UP_DAYS", 7))


# status -> statuses it may move to. A referral ends completed or closed, and stays ended.
TRANSITIONS = {
    ServiceReferralStatus.REFERRED: {ServiceReferralStatus.CONNECTED,
                                     ServiceReferralStatus.CLOSED},
    ServiceReferralStatus.CONNECTED: {ServiceReferralStatus.COMPLETED,
                                      ServiceReferralStatus.CLOSED},
    ServiceReferralStatus.COMPLETED: set(),
    ServiceReferralStatus.CLOSED: set(),
}


@transaction.atomic
def service_referral_create(*, case, service: Service, actor, location: Location | None = None,
                            at: datetime | None = None) -> ServiceReferral:
    """Refer a participant to a service; the case manager is reminded to follow up."""
    at = at or timezone.now()
    if service.site_id != case.site_id:
        raise ValidationError({"service": "No such service at this site."})
    if not case.is_open:
        raise ValidationError({"case": "This case is closed; reopen it before referring."})
    if location is not None and not service.service_at_locations.filter(
            location=location).exists():
        raise ValidationError({"location": "This service is not offered at that location."})
    referral = ServiceReferral(
        site_id=case.site_id, case=case, service=service, location=location,
        referred_by=actor, referred_at=at,
        follow_up_on=local_date(at, case.site.tz) + timedelta(days=_follow_up_days()),
    )
    referral.full_clean()
    referral.save()
    audit_record(actor=actor, action="service_referral.create", obj=referral,
                 site=case.site_id, data={"case": case.pk, "service": service.pk})
    return referral


@transaction.atomic
def service_referral_transition(*, referral: ServiceReferral, status: str, actor,
                                version: int | None = None, reason: str = "",
                                at: datetime | None = None) -> ServiceReferral:
    """Move a service referral on: referred → connected → completed, or closed from either.

    With VERSION (what the user saw), a change someone made meanwhile is refused rather than
    overwritten.
    """
    at = at or timezone.now()
    locked = ServiceReferral.objects.select_for_update().select_related("case__site").get(
        pk=referral.pk)
    if version is not None and locked.version != version:
        raise ValidationError({"status": "Someone changed this referral since you opened it; "
                                         "reload and try again."})
    if status not in ServiceReferralStatus.values:
        raise ValidationError({"status": f"{status!r} is not a service referral status."})
    current = ServiceReferralStatus(locked.status)
    if status not in TRANSITIONS[current]:
        raise ValidationError({"status": f"A {current.label.lower()} referral cannot become "
                                         f"{ServiceReferralStatus(status).label.lower()}."})
    if status == ServiceReferralStatus.CLOSED and not reason.strip():
        raise ValidationError({"reason": "Say why the referral is closed."})
    tz = locked.case.site.tz
    locked.status = status
    if status == ServiceReferralStatus.CONNECTED:
        locked.connected_at = at
        locked.follow_up_on = local_date(at, tz) + timedelta(days=_follow_up_days())
    else:
        locked.ended_at = at
        locked.follow_up_on = None
        locked.close_reason = reason.strip()[:200]
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, action=f"service_referral.{status}", obj=locked,
                 site=locked.site_id, data={"from": current.value, "to": status})
    return locked


@transaction.atomic
def service_referral_set_follow_up(*, referral: ServiceReferral, on, actor) -> ServiceReferral:
    locked = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
    if not locked.is_open:
        raise ValidationError({"follow_up_on": "This referral has ended."})
    locked.follow_up_on = on
    locked.version += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, action="service_referral.follow_up", obj=locked,
                 site=locked.site_id, data={"follow_up_on": on.isoformat() if on else None})
    return locked


def service_referral_followups(now: datetime) -> int:
    """Remind the case manager of each open service referral whose follow-up day has come
    (in the site's time zone). Once per referral per follow-up date, however often it runs;
    safe to run twice at once (the notification's dedupe key is unique). Returns how many
    reminders were sent.
    """
    sent = 0
    due = (ServiceReferral.objects.filter(status__in=[ServiceReferralStatus.REFERRED,
                                                      ServiceReferralStatus.CONNECTED],
                                          follow_up_on__isnull=False,
                                          follow_up_on__lte=now.date() + timedelta(days=1))
           .select_related("case__site", "case__case_manager", "service")
           .order_by("id"))
    for referral in due.iterator(chunk_size=500):
        case = referral.case
        if local_date(now, case.site.tz) < referral.follow_up_on:
            continue
        with transaction.atomic():
            note = notify(
                recipient=case.case_manager, kind="service_referral.follow_up",
                subject=f"Follow up: service referral #{referral.pk} (case #{case.pk})",
                body=("A service referral you are following is due for a check-in: did the "
                      "participant get there, and is it still what they need?"),
                url=reverse("cases:detail", args=[case.pk]),
                dedupe_key=f"service_referral:{referral.pk}:follow_up:"
                           f"{referral.follow_up_on.isoformat()}",
            )
        sent += note is not None
    return sent
