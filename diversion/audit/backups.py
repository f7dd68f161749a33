"""Backups of the whole database, and restoring one.

SQLite: the online backup API (a consistent copy while the site runs).
PostgreSQL: pg_dump's custom format, restored with pg_restore --clean.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone


class BackupError(Exception):
    pass


def _conn(alias: str = "default"):
    return connections[alias]


def default_backup_path(alias: str = "default") -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if _conn(alias).vendor == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"diversion-{stamp}.{suffix}"


def _pg_env_args(settings_dict: dict) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    return env, args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def database_backup(*, out: Path | None = None, alias: str = "default") -> Path:
    """Write a consistent copy of the database to OUT (made if missing); return its path."""
    conn = _conn(alias)
    out = Path(out) if out else default_backup_path(alias)
    out.parent.mkdir(parents=True, exist_ok=True)
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        tmp = out.with_suffix(out.suffix + ".part")
        target = sqlite3.connect(tmp)
        try:
            conn.connection.backup(target)
        finally:
            target.close()
        tmp.replace(out)
    elif conn.vendor == "postgresql":
        env, args = _pg_env_args(conn.settings_dict)
        cmd = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out), *args,
               conn.settings_dict["NAME"]]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    else:
        raise BackupError(f"no backup method for the {conn.vendor} database")
    os.chmod(out, 0o600)  # a backup holds everything the database holds
    return out


def database_restore(*, path: Path, alias: str = "default") -> None:
    """Replace the database's contents with the backup at PATH."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    conn = _conn(alias)
    magic, kind = ((b"SQLite format 3\x00", "an SQLite") if conn.vendor == "sqlite"
                   else (b"PGDMP", "a pg_dump custom-format"))
    with path.open("rb") as f:
        if f.read(len(magic)) != magic:
            raise BackupError(f"{path} is not {kind} backup")
    if conn.in_atomic_block:
        raise BackupError("cannot restore inside a transaction")
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(conn.connection)
        finally:
            source.close()
    elif conn.vendor == "postgresql":
        conn.close()
        env, args = _pg_env_args(conn.settings_dict)
        cmd = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
               "--exit-on-error", *args, "--dbname", conn.settings_dict["NAME"], str(path)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
    else:
        raise BackupError(f"no restore method for the {conn.vendor} database")
