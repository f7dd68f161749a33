"""The bearer-token lookup of every API request, compiled once per process.

Building the ORM query (select_related over token, user and site) costs about ten times the query
itself, which made token authentication most of the time of `POST /api/v1/screenings`.
Here the query is compiled once per process and database alias and only executed per
request: the rows still go through Django's converters and model construction, so the
token, user and site are ordinary model instances. The rule: an unrevoked, unexpired token
of an active user (accounts/tests/test_tokens.py). `accounts.services.token_authenticate`
calls this.
"""

from __future__ import annotations

import threading

from django.db import connections
from django.db.models.query import get_related_populators
from django.utils import timezone

from diversion.accounts.models import ApiToken, User

_MARK = "\x00token-hash\x00"
_TOUCH_EVERY_SECONDS = 60


def _queryset(key_hash: str):
    return ApiToken.objects.select_related("user", "user__site").filter(
        key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)[:1]


class _Compiled:
    def __init__(self, alias: str):
        compiler = _queryset(_MARK).query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.index = self.params.index(_MARK)
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _, _ in compiler.select])
        fields = compiler.klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.attnames = [col.target.attname for col, _, _ in compiler.select[self.start:self.end]]
        self.populators = get_related_populators(compiler.klass_info, compiler.select, alias)
        self.alias = alias

    def fetch(self, key_hash: str) -> ApiToken | None:
        params = list(self.params)
        params[self.index] = key_hash
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        row = rows[0]
        token = ApiToken.from_db(self.alias, self.attnames, row[self.start:self.end])
        for populator in self.populators:
            populator.populate(row, token)
        return token


_compiled: dict[tuple[str, str], _Compiled] = {}
_lock = threading.Lock()


def _lookup(alias: str = "default") -> _Compiled:
    key = (alias, connections[alias].vendor)
    found = _compiled.get(key)
    if found is None:
        with _lock:
            found = _compiled.get(key) or _Compiled(alias)
            _compiled[key] = found
    return found


def token_user(key: str) -> User | None:
    """The active user of an unrevoked, unexpired bearer token KEY, with their site; None
    otherwise."""
    if not key:
        return None
    token = _lookup().fetch(ApiToken.hash_key(key))
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at <= now:
        return None
    # Touch at most once a minute: a busy client should not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > \
            _TOUCH_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
