"""A lock named by values, held until the transaction ends (PostgreSQL advisory lock).

Used where two requests could insert the same unique row at once (a retried referral, a
reminder queued by two workers): each takes the lock of the key, then looks for the row,
then inserts. The second waits, finds the first's row, and inserts nothing, so PostgreSQL
never sees a duplicate key. A duplicate-key error is not only noise: with the default
`log_min_error_statement = error`, PostgreSQL writes the failing INSERT, with its values (a
referral's screening facts, a text's phone number), to its own log (attack 13, F8;
docs/operations.md §5).
"""

import hashlib

from django.db import connection


def lock_key(*parts) -> None:
    """Block until no other transaction holds the lock of PARTS; held until this transaction
    ends. Call it inside transaction.atomic(). Nothing to lock on SQLite (one writer)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(repr(parts).encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [key])
