import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from diversion.audit.models import AuditEvent

GENESIS = "0" * 64
# Any fixed 64-bit number: the key of the transaction-scoped PostgreSQL lock
# that serialises appends to the chain.
_PG_LOCK_KEY = 7_301_245_117


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def data_digest(data: dict) -> str:
    """The SHA-256 of an event's data, the part of the data the chain seals.

    A scrubbed event keeps only this digest (see `audit_scrub_person`), so the
    chain still verifies after personal values are erased.
    """
    if is_scrubbed(data):
        return data["data_hash"]
    return hashlib.sha256(_canonical(data or {}).encode()).hexdigest()


def is_scrubbed(data) -> bool:
    return (isinstance(data, dict) and set(data) == {"scrubbed", "data_hash"}
            and data["scrubbed"] is True and isinstance(data["data_hash"], str))


def event_digest(*, prev_hash: str, at, actor_label: str, action: str, object_type: str,
                 object_id: str, outcome: str, data: dict, site_id, ip) -> str:
    """The hash of one link: the previous hash plus every column, data by its digest."""
    payload = _canonical(
        [prev_hash, at.isoformat(), actor_label, action, object_type, object_id, outcome,
         data_digest(data), site_id, ip],
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_record(*, actor, action: str, obj=None, site=None, data: dict | None = None,
                 outcome: str = AuditEvent.Outcome.OK, ip: str | None = None,
                 object_type: str | None = None, object_id=None) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Call it from the service that makes the change: if the change rolls back,
    so does its event, and a failure here rolls the change back.
    """
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_record(actor=actor, action=action, obj=obj, site=site, data=data,
                                outcome=outcome, ip=ip, object_type=object_type,
                                object_id=object_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev = last or GENESIS
    at = timezone.now()
    actor_label = getattr(actor, "username", None) or "system"
    otype = object_type or (obj._meta.label_lower if obj is not None else "")
    oid = str(object_id if object_id is not None else (obj.pk if obj is not None else ""))
    site_id = getattr(site, "pk", site)
    # Round-trip through JSON so the digest is taken over exactly what is stored.
    data = json.loads(_canonical(data or {}))
    digest = event_digest(prev_hash=prev, at=at, actor_label=actor_label, action=action,
                          object_type=otype, object_id=oid, outcome=outcome, data=data,
                          site_id=site_id, ip=ip)
    return AuditEvent.objects.create(
        at=at, site_id=site_id, actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label, action=action, object_type=otype, object_id=oid, ip=ip,
        outcome=outcome, data=data, prev_hash=prev, hash=digest,
    )


@dataclass(frozen=True)
class Checkpoint:
    """The chain's tail as last exported: kept off the server, it proves nothing was cut."""

    last_id: int
    hash: str
    count: int
    at: str = ""

    def as_dict(self) -> dict:
        return {"last_id": self.last_id, "hash": self.hash, "count": self.count, "at": self.at}

    @classmethod
    def from_dict(cls, raw: dict) -> "Checkpoint":
        try:
            return cls(last_id=int(raw["last_id"]), hash=str(raw["hash"]),
                       count=int(raw["count"]), at=str(raw.get("at", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"checkpoint: not a checkpoint file ({exc})")


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def audit_checkpoint() -> Checkpoint:
    """The current tail of the chain, to be exported and kept elsewhere."""
    last = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    count = AuditEvent.objects.count()
    now = timezone.now().isoformat()
    if last is None:
        return Checkpoint(last_id=0, hash=GENESIS, count=0, at=now)
    return Checkpoint(last_id=last["id"], hash=last["hash"], count=count, at=now)


def audit_verify_chain(*, checkpoint: Checkpoint | None = None) -> VerifyResult:
    """Walk the chain from the start and report the first broken link.

    A changed row breaks its own hash; a deleted or reordered row breaks the
    next row's link to it; a cut tail leaves no broken link, so it is found
    against the CHECKPOINT last exported (its last id, hash and count).
    """
    prev = GENESIS
    count = 0
    seen_checkpoint = checkpoint is None or checkpoint.last_id == 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        expected = event_digest(prev_hash=prev, at=event.at, actor_label=event.actor_label,
                                action=event.action, object_type=event.object_type,
                                object_id=event.object_id, outcome=event.outcome,
                                data=event.data, site_id=event.site_id, ip=event.ip)
        if event.prev_hash != prev:
            return VerifyResult(count, event.pk, f"event {event.pk} does not follow the event "
                                "before it: one was deleted, inserted or moved here")
        if event.hash != expected:
            return VerifyResult(count, event.pk, f"event {event.pk} was changed after it was "
                                "written")
        count += 1
        if checkpoint is not None and event.pk == checkpoint.last_id:
            seen_checkpoint = True
            if event.hash != checkpoint.hash or count != checkpoint.count:
                return VerifyResult(count, event.pk, f"event {event.pk} differs from the "
                                    "checkpoint: the chain was rewritten up to here")
        prev = event.hash
    if not seen_checkpoint:
        return VerifyResult(count, checkpoint.last_id,
                            f"the chain ends after {count} events but the checkpoint has "
                            f"{checkpoint.count} up to event {checkpoint.last_id}: the tail "
                            "was cut")
    return VerifyResult(count)


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Walk the chain. Returns (events checked, first broken event or None)."""
    result = audit_verify_chain()
    if result.ok:
        return result.checked, None
    return result.checked, AuditEvent.objects.filter(pk=result.broken_id).first()


# Keys of event data that name a person directly.
_PERSON_KEYS = ("person_id", "person")


def _events_about_person(person_id: int):
    from django.db.models import Q

    ids = [str(person_id)]
    q = Q(object_type="people.person", object_id__in=ids)
    for key in _PERSON_KEYS:
        q |= Q(**{f"data__{key}": person_id}) | Q(**{f"data__{key}": str(person_id)})
    # Records hanging off the person (referrals, cases...) are found through
    # their own tables when they exist; the audit app imports none of them.
    from django.apps import apps

    for label, field in (("referrals.Referral", "person_id"), ("cases.Case", "person_id"),
                         ("consent.Consent", "person_id")):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        if not any(f.attname == field for f in model._meta.concrete_fields):
            continue
        pks = [str(pk) for pk in model.objects.filter(**{field: person_id})
               .values_list("pk", flat=True)]
        if pks:
            q |= Q(object_type=model._meta.label_lower, object_id__in=pks)
    return AuditEvent.objects.filter(q).exclude(action="audit.scrub")


@transaction.atomic
def audit_scrub_person(*, person_id: int, actor=None) -> int:
    """Blank the event data about PERSON_ID to honour an erasure; returns events scrubbed.

    Events are never deleted: each keeps who, what, which record and when, and
    its data is replaced by {"scrubbed": true, "data_hash": ...}, the digest the
    chain sealed, so `diversion audit verify` still passes. Call it before the
    person's rows are purged (it finds their referrals and cases through them).
    """
    scrubbed = 0
    for event in _events_about_person(person_id).order_by("id"):
        if is_scrubbed(event.data):
            continue
        sealed = {"scrubbed": True, "data_hash": data_digest(event.data)}
        AuditEvent.objects.filter(pk=event.pk).update(data=sealed)
        scrubbed += 1
    audit_record(actor=actor, action="audit.scrub", object_type="people.person",
                 object_id=person_id, data={"events": scrubbed})
    return scrubbed
