import hashlib
import json

from django.db import connection, transaction
from django.utils import timezone

from diversion.audit.models import AuditEvent

GENESIS = "0" * 64
# Any fixed 64-bit number: the key of the transaction-scoped PostgreSQL lock
# that serialises appends to the chain.
_PG_LOCK_KEY = 7_301_245_117


def event_digest(*, prev_hash: str, at, actor_label: str, action: str, object_type: str,
                 object_id: str, outcome: str, data: dict, site_id, ip) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(), actor_label, action, object_type, object_id, outcome,
         data, site_id, ip],
        sort_keys=True, separators=(",", ":"), default=str,
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
    data = data or {}
    digest = event_digest(prev_hash=prev, at=at, actor_label=actor_label, action=action,
                          object_type=otype, object_id=oid, outcome=outcome, data=data,
                          site_id=site_id, ip=ip)
    return AuditEvent.objects.create(
        at=at, site_id=site_id, actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label, action=action, object_type=otype, object_id=oid, ip=ip,
        outcome=outcome, data=data, prev_hash=prev, hash=digest,
    )


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Walk the chain. Returns (events checked, first broken event or None)."""
    prev = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        expected = event_digest(prev_hash=prev, at=event.at, actor_label=event.actor_label,
                                action=event.action, object_type=event.object_type,
                                object_id=event.object_id, outcome=event.outcome,
                                data=event.data, site_id=event.site_id, ip=event.ip)
        if event.prev_hash != prev or event.hash != expected:
            return count, event
        prev = event.hash
        count += 1
    return count, None
