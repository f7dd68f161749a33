"""Tick jobs of the accounts app: the retention purge (diversion/accounts/retention.py)."""

from diversion.accounts import retention  # noqa: F401 (registers "retention_purge")
