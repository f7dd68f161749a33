from dataclasses import dataclass, field
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
    LocationType,
    LooseRow,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    ServiceReferral,
    ServiceReferralStatus,
    Taxonomy,
    TaxonomyTerm,
)

# --- HSDS import and export ---------------------------------------------------------------

_MODELS = {
    "taxonomy": Taxonomy, "organization": Organization, "location": Location,
    "taxonomy_term": TaxonomyTerm, "service": Service, "service_at_location": ServiceAtLocation,
}
# kind -> {searchable column: (HSDS property, max length or None)}.
_COLUMNS = {
    "taxonomy": {"name": ("name", 250), "uri": ("uri", 500), "version": ("version", 100)},
    "organization": {"name": ("name", 250), "alternate_name": ("alternate_name", 250),
                     "description": ("description", None), "email": ("email", 254),
                     "website": ("website", 500)},
    "location": {"location_type": ("location_type", 10), "url": ("url", 500),
                 "name": ("name", 250), "alternate_name": ("alternate_name", 250),
                 "description": ("description", None),
                 "transportation": ("transportation", None)},
    "taxonomy_term": {"code": ("code", 100), "name": ("name", 200),
                      "description": ("description", None), "taxonomy": ("taxonomy", 200),
                      "parent_hsds_id": ("parent_id", 100)},
    "service": {"name": ("name", 250), "alternate_name": ("alternate_name", 250),
                "description": ("description", None), "url": ("url", 500),
                "email": ("email", 254), "status": ("status", 20),
                "application_process": ("application_process", None),
                "fees_description": ("fees_description", None),
                "eligibility_description": ("eligibility_description", None)},
    "service_at_location": {"description": ("description", None)},
}
# kind -> {link: model foreign key}.
_FKS = {
    "service": {"organization": "organization"}, "location": {"organization": "organization"},
    "service_at_location": {"service": "service", "location": "location"},
    "taxonomy_term": {"taxonomy": "taxonomy_ref"}, "organization": {}, "taxonomy": {},
}
_LINK_KIND = {"organization": "organization", "service": "service", "location": "location",
              "taxonomy": "taxonomy"}


@dataclass(frozen=True)
class ImportResult:
    created: dict[str, int]
    updated: dict[str, int]
    warnings: list[hsds.HsdsError] = field(default_factory=list)


def _text(value, limit: int | None) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text[:limit] if limit else text


def _coordinate(value, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if low <= value <= high else None


def _columns(kind: str, record: dict) -> dict:
    values = {col: _text(record.get(prop), limit)
              for col, (prop, limit) in _COLUMNS[kind].items()}
    if kind == "location":
        values["latitude"] = _coordinate(record.get("latitude"), -90, 90)
        values["longitude"] = _coordinate(record.get("longitude"), -180, 180)
    return values


def _dangling(bundle: hsds.Bundle, *, site, file: str) -> None:
    """Links to ids neither the file nor the directory holds: kept in the record, left out
    of the searchable columns, and said as a warning."""
    for kind in hsds.KINDS:
        for name, target_kind in ((n, _LINK_KIND[n]) for n in _FKS[kind]):
            wanted = {e.links.get(name) for e in bundle.entities[kind].values()
                      if e.links.get(name)}
            missing = wanted - set(bundle.entities[target_kind])
            if missing:
                missing -= set(_MODELS[target_kind].objects.filter(
                    site=site, hsds_id__in=missing).values_list("hsds_id", flat=True))
            for entity in bundle.entities[kind].values():
                if entity.links.get(name) in missing and not bundle.tabular:
                    bundle.warnings.append(hsds.HsdsError(file, None, f"{kind} {entity.id}", (
                        f"{hsds.LINKS[kind][name][1]} {entity.links[name]!r}: no such "
                        f"{target_kind} in the file or the directory; the reference is kept "
                        "in the record, not followed")))
                if entity.links.get(name) in missing:
                    entity.links[name] = None
    for table, row in bundle.loose:
        if table not in hsds.CHILD_KEYS:
            continue  # a table that hangs off nothing (meta_table_description)
        where = hsds.tables()[table]["path"] if bundle.tabular else file
        bundle.warnings.append(hsds.HsdsError(where, None, f"{table} {row.get('id')}", (
            "refers to nothing in the file or the directory; kept as it is")))


def _derived(kind: str, objs: dict[str, object], bundle: hsds.Bundle, *, site,
             terms: dict[str, object]) -> None:
    """Rebuild the searchable phones, addresses and service categories of OBJS from their
    records (they are derived: the record is what is kept)."""
    if kind not in ("organization", "service", "location", "service_at_location"):
        return
    pks = [o.pk for o in objs.values()]
    Phone.objects.filter(**{f"{kind}_id__in": pks}).delete()
    phones = []
    for hid, obj in objs.items():
        for p in bundle.entities[kind][hid].record.get("phones") or []:
            if isinstance(p, dict) and p.get("number"):
                phones.append(Phone(site=site, hsds_id=_text(p.get("id"), 100), **{kind: obj},
                                    number=_text(p["number"], 50),
                                    extension=_text(p.get("extension"), 20),
                                    type=_text(p.get("type"), 20),
                                    description=_text(p.get("description"), None)))
    Phone.objects.bulk_create(phones, batch_size=1000)
    if kind == "location":
        Address.objects.filter(location_id__in=pks).delete()
        addresses = []
        for hid, obj in objs.items():
            for a in bundle.entities[kind][hid].record.get("addresses") or []:
                if not isinstance(a, dict):
                    continue
                address_type = _text(a.get("address_type"), 10)
                addresses.append(Address(
                    site=site, hsds_id=_text(a.get("id"), 100), location=obj,
                    attention=_text(a.get("attention"), 250),
                    address_1=_text(a.get("address_1"), 250),
                    address_2=_text(a.get("address_2"), 250), city=_text(a.get("city"), 100),
                    region=_text(a.get("region"), 100),
                    state_province=_text(a.get("state_province"), 100),
                    postal_code=_text(a.get("postal_code"), 20),
                    country=_text(a.get("country"), 2),
                    address_type=address_type if address_type in LocationType.values
                    else LocationType.PHYSICAL))
        Address.objects.bulk_create(addresses, batch_size=1000)
    if kind == "service":
        ServiceAttribute.objects.filter(service_id__in=pks).delete()
        attributes = []
        for hid, obj in objs.items():
            for a in bundle.entities[kind][hid].record.get("attributes") or []:
                if not isinstance(a, dict):
                    continue
                term = a.get("taxonomy_term")
                term_id = term.get("id") if isinstance(term, dict) else a.get(
                    "taxonomy_term_id")
                if term_id in terms:
                    attributes.append(ServiceAttribute(
                        site=site, hsds_id=_text(a.get("id"), 100), service=obj,
                        taxonomy_term=terms[term_id]))
        ServiceAttribute.objects.bulk_create(attributes, batch_size=1000)


def _store(bundle: hsds.Bundle, *, site) -> tuple[dict, dict]:
    created = dict.fromkeys(hsds.KINDS, 0)
    updated = dict.fromkeys(hsds.KINDS, 0)
    stored: dict[str, dict[str, object]] = {}
    for kind in hsds.KINDS:
        model = _MODELS[kind]
        entities = bundle.entities[kind]
        stored[kind] = {}
        # Targets of this kind's links: rows of this import, then the directory's.
        targets: dict[str, dict[str, int]] = {}
        for name in _FKS[kind]:
            target_kind = _LINK_KIND[name]
            wanted = {e.links.get(name) for e in entities.values() if e.links.get(name)}
            have = {hid: o.pk for hid, o in stored.get(target_kind, {}).items()}
            rest = wanted - set(have)
            if rest:
                have.update(model_ids(target_kind, site=site, hsds_ids=rest))
            targets[name] = have
        existing = {}
        ids = list(entities)
        for start in range(0, len(ids), 2000):
            existing.update({o.hsds_id: o for o in model.objects.filter(
                site=site, hsds_id__in=ids[start:start + 2000])})
        new, changed = [], []
        now = timezone.now()
        for hid, entity in entities.items():
            obj = existing.get(hid) or model(site=site, hsds_id=hid)
            for col, value in _columns(kind, entity.record).items():
                setattr(obj, col, value)
            obj.record = entity.record
            for name, fk in _FKS[kind].items():
                setattr(obj, f"{fk}_id", targets[name].get(entity.links.get(name) or ""))
            if obj.pk:
                obj.updated_at = now  # bulk_update does not touch auto_now fields
            (changed if obj.pk else new).append(obj)
            stored[kind][hid] = obj
        model.objects.bulk_create(new, batch_size=1000)
        if changed:
            fields = [*_COLUMNS[kind], "record", "updated_at", *_FKS[kind].values(),
                      *(["latitude", "longitude"] if kind == "location" else [])]
            model.objects.bulk_update(changed, fields, batch_size=1000)
        created[kind], updated[kind] = len(new), len(changed)
        terms = stored.get("taxonomy_term", {})
        if kind == "service":
            wanted = {t for e in entities.values() for t in _term_ids(e.record)} - set(terms)
            terms = {**terms, **{o.hsds_id: o for o in TaxonomyTerm.objects.filter(
                site=site, hsds_id__in=wanted)}}
        _derived(kind, stored[kind], bundle, site=site, terms=terms)
    for table, row in bundle.loose:
        LooseRow.objects.update_or_create(site=site, table=table,
                                          hsds_id=_text(row.get("id"), 100),
                                          defaults={"record": row})
    return created, updated


def _term_ids(record: dict) -> set[str]:
    out = set()
    for a in record.get("attributes") or []:
        if isinstance(a, dict):
            term = a.get("taxonomy_term")
            tid = term.get("id") if isinstance(term, dict) else a.get("taxonomy_term_id")
            if tid:
                out.add(tid)
    return out


def model_ids(kind: str, *, site, hsds_ids) -> dict[str, int]:
    ids = list(hsds_ids)
    out = {}
    for start in range(0, len(ids), 2000):
        out.update(dict(_MODELS[kind].objects.filter(
            site=site, hsds_id__in=ids[start:start + 2000]).values_list("hsds_id", "pk")))
    return out


@transaction.atomic
def hsds_import(*, site, path: Path, actor, kind: str | None = None) -> ImportResult:
    """Import an HSDS file (a .json of any of its objects, or a directory or .zip of its CSV
    tables) into SITE's directory, each object kept whole.

    The file is validated against the official HSDS 3.0 schemas first; if they refuse it,
    `hsds.HsdsInvalid` lists every problem and nothing is stored. Rows are matched on their
    HSDS id: an existing row is replaced by the new record, a new one created; nothing is
    deleted. What HSDS allows but the directory cannot follow (a reference to an id it does
    not hold) is stored and said in `warnings`.
    """
    path = Path(path)
    bundle = hsds.read(path, kind=kind)
    _dangling(bundle, site=site, file=path.name)
    created, updated = _store(bundle, site=site)
    audit_record(actor=actor, action="resources.import", site=site,
                 object_type="resources.directory", object_id=site.pk,
                 data={"created": created, "updated": updated,
                       "warnings": len(bundle.warnings)})
    return ImportResult(created=created, updated=updated, warnings=bundle.warnings)


def hsds_directory(*, site) -> hsds.Directory:
    """SITE's whole directory, as the HSDS format module composes and flattens it."""
    entities: dict[str, dict[str, hsds.Entity]] = {}
    for kind, model in _MODELS.items():
        fks = _FKS[kind]
        columns = ["hsds_id", "record", *(f"{fk}__hsds_id" for fk in fks.values())]
        entities[kind] = {}
        for row in model.objects.filter(site=site).values_list(*columns):
            links = {name: row[2 + i] for i, name in enumerate(fks)}
            entities[kind][row[0]] = hsds.Entity(kind, row[0], row[1], links)
    loose = [(t, r) for t, r in LooseRow.objects.filter(site=site).order_by(
        "table", "hsds_id").values_list("table", "record")]
    return hsds.Directory(entities, loose)


def hsds_export(*, site, path: Path, actor, kind: str = "service") -> list[Path]:
    """Write SITE's directory to PATH (a .json file of KIND, a .zip, or a directory of CSV
    files)."""
    written = hsds.write(hsds_directory(site=site), Path(path), kind=kind)
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
